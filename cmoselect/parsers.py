"""The API's request parsers (a DRF setting, so kept apart from cmoselect.api like cmoselect.drf)."""

from collections.abc import Mapping

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ObjectJSONParser(JSONParser):
    """JSON whose top level is an object: every request body of the API is one (a list, a
    number, `true` or `null` is answered with 400, not passed on to code expecting fields)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Mapping:
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, Mapping):
            raise ParseError("The request body must be a JSON object.")
        return data
