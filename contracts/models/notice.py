"""The notice deadline rule, in Python and as a database expression that agrees with it.

The renewals dashboard and the daily alerts pick contracts by their notice deadline; computing
it per row in Python meant loading every active contract. The database function below lets
them filter, order and limit in SQL. Both must follow the same calendar rule: months are
calendar months clipped at month ends (31 May less 3 months is 28 February, 29 in a leap
year), days are plain days, and no notice period means the expiry date itself.
"""

import re
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db import NotSupportedError
from django.db.models import DateField, Func

DAYS = "days"


def notice_deadline_for(expiry: date | None, period: int | None, unit: str) -> date | None:
    """The last day to give notice for a contract expiring on `expiry` (the Python rule)."""
    if expiry is None:
        return None
    if not period:
        return expiry
    if unit == DAYS:
        return expiry - relativedelta(days=period)
    return expiry - relativedelta(months=period)


_PLACEHOLDER = re.compile(r"\{(expiry|period|unit)\}")

# date - interval clips at month ends as relativedelta does; the result is a timestamp.
_POSTGRESQL = (
    "(CASE WHEN {expiry} IS NULL THEN NULL"
    " WHEN COALESCE({period}, 0) = 0 THEN {expiry}"
    f" WHEN {{unit}} = '{DAYS}' THEN ({{expiry}} - {{period}}::integer)"
    " ELSE ({expiry} - make_interval(months => {period}::integer))::date END)"
)

# SQLite's date(x, '-N months') does not clip: 31 March less one month is "31 February",
# which it rolls over to 2 or 3 March. The clipped date is the earlier of that and the last day
# of the month N months back (ISO dates compare as text).
_SQLITE = (
    "(CASE WHEN {expiry} IS NULL THEN NULL"
    " WHEN COALESCE({period}, 0) = 0 THEN {expiry}"
    f" WHEN {{unit}} = '{DAYS}' THEN date({{expiry}}, '-' || {{period}} || ' days')"
    " ELSE min(date({expiry}, '-' || {period} || ' months'),"
    " date({expiry}, 'start of month', '-' || ({period} - 1) || ' months', '-1 day')) END)"
)


class NoticeDeadline(Func):
    """`expiry` less the notice period (`period` in `unit`, "days" or "months"), as a date."""

    output_field = DateField()
    arity = 3

    def __init__(self, expiry="expiry_date", period="notice_period", unit="notice_period_unit"):
        super().__init__(expiry, period, unit)

    def _render(self, compiler, connection, template: str) -> tuple[str, list]:
        compiled = {}
        for name, expression in zip(
            ("expiry", "period", "unit"), self.source_expressions, strict=True
        ):
            compiled[name] = compiler.compile(expression)
        params: list = []

        def fill(match: re.Match) -> str:
            sql, sql_params = compiled[match.group(1)]
            params.extend(sql_params)
            return sql

        return _PLACEHOLDER.sub(fill, template), params

    def as_sqlite(self, compiler, connection, **extra_context) -> tuple[str, list]:
        return self._render(compiler, connection, _SQLITE)

    def as_postgresql(self, compiler, connection, **extra_context) -> tuple[str, list]:
        return self._render(compiler, connection, _POSTGRESQL)

    def as_sql(self, compiler, connection, **extra_context) -> tuple[str, list]:
        raise NotSupportedError(f"No notice deadline expression for {connection.vendor}.")
