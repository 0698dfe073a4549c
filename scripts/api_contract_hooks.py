"""Schemathesis hooks of the API contract check; `scripts/api_contract.py` loads them through
SCHEMATHESIS_HOOKS."""

from urllib.parse import urlencode

import schemathesis

# gunicorn refuses a request line longer than 4,094 bytes itself, with an HTML 400 before the
# app sees it (proxies have limits of their own): a query that long is not a request the API
# can answer, so none is generated. The margin leaves room for the path and the encoding.
MAX_QUERY_LENGTH = 3_000


@schemathesis.hook
def filter_query(ctx, query) -> bool:
    return not query or len(urlencode(query, doseq=True)) <= MAX_QUERY_LENGTH
