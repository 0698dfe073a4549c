"""The OpenAPI schema's shared parts: the error answers every operation can give, documented
once here (a drf-spectacular postprocessing hook) rather than on each view.

What `/api/schema/` says is what the API does: `scripts/api_contract.py` checks it against a
live server with schemathesis.
"""

import re

from drf_spectacular.openapi import AutoSchema

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "code": {"type": "string", "description": "e.g. not_found, database_busy."},
    },
    "required": ["detail"],
}

FIELD_ERRORS = {
    "type": "object",
    "description": "A list of messages per field that was refused (`non_field_errors` for the "
    "request as a whole; nested objects for nested fields), or a `detail` for a body that "
    "could not be read at all.",
    "additionalProperties": {},
    "example": {"change_reason": ["Say why this CMO is being changed."]},
}

# Why each status is answered, in the words the schema shows.
ERRORS = {
    "400": ("FieldErrors", "The request was refused: see the field errors."),
    "401": ("Error", "No valid token or session: authenticate first."),
    "403": ("Error", "Your role does not allow this."),
    "404": ("Error", "No such record (or, for a list, no such page)."),
    "500": ("Error", "Server error: it has been logged."),
    "503": (
        "Error",
        "The database is busy or the task queue unreachable: retry after "
        "the `Retry-After` header's seconds.",
    ),
}


class OneObjectSchema(AutoSchema):
    """For a viewset's `list` that answers one object (a search result), not a list of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _content(name: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _decimal_pattern(schema: dict) -> None:
    """A decimal needs at least one digit: drf-spectacular's pattern also matches "" and "."."""
    match = _DECIMAL.match(schema.get("pattern", ""))
    if match:
        whole, places = match.groups()
        schema["pattern"] = rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


def _walk(schema, visit) -> None:
    if isinstance(schema, dict):
        visit(schema)
        for value in schema.values():
            _walk(value, visit)
    elif isinstance(schema, list):
        for value in schema:
            _walk(value, visit)


def _require_on_update(result: dict, path: str, operation: dict) -> None:
    """On PUT and PATCH, `change_reason` (and an answer's `version`) are required."""
    schemas = result["components"]["schemas"]
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        component = schemas.get(name)
        if component is None:
            continue
        needed = [
            field
            for field in ("change_reason", "version")
            if field in component.get("properties", {})
            and (field == "change_reason" or path.startswith("/api/v1/answers/"))
        ]
        if not needed:
            continue
        # A PATCH body has a component of its own; a PUT body shares its with POST (where no
        # reason is needed), so it gets a copy: CmoRequest → CmoUpdateRequest.
        if name.startswith("Patched"):
            update_name = name
        else:
            update_name = f"{name.removesuffix('Request')}UpdateRequest"
        update = schemas.setdefault(update_name, dict(component))
        update["required"] = sorted({*component.get("required", []), *needed})
        media["schema"] = {"$ref": f"#/components/schemas/{update_name}"}
        operation.setdefault("description", "")
        note = f"`{'`, `'.join(needed)}` required."
        if note not in operation["description"]:
            operation["description"] = f"{operation['description']}\n\n{note}".strip()


SCORE_PARAMETERS = {"signal_min": (0, 100), "signal_max": (0, 100)}


def document_errors(result: dict, generator, request, public) -> dict:
    """Add the error answers to every operation, and tighten what drf-spectacular leaves loose."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["FieldErrors"] = FIELD_ERRORS
    for schema in schemas.values():
        _walk(schema, _decimal_pattern)
    for path, methods in result["paths"].items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                schema = parameter["schema"]
                # Ids, levels and pages all start at 1; a 0 is refused with a 400. Bounded
                # scores (a compliance signal, 0-100) say so.
                if schema.get("type") == "integer":
                    bounds = SCORE_PARAMETERS.get(parameter["name"])
                    if bounds:
                        schema.update(minimum=bounds[0], maximum=bounds[1])
                    schema.setdefault("minimum", 1)
                # An empty filter (`?date_to=`, as a browser's filter form sends it) is no filter.
                if schema.get("type") == "string" and "format" in schema:
                    parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
                for values in (schema, schema.get("items", {})):
                    if values.get("type") == "string" and "" not in values.get("enum", [""]):
                        values["enum"] = [*values["enum"], ""]
            parameters = {p["name"] for p in operation.get("parameters", [])}
            codes = ["400", "401", "403", "500", "503"]
            if "{" in path or "page" in parameters:
                codes.append("404")
            for code in codes:
                name, description = ERRORS[code]
                response = responses.setdefault(code, {"description": description})
                response.setdefault("content", _content(name))
            for code in ("409", "429"):
                if code in responses:
                    responses[code].setdefault("content", _content("Error"))
            if method in ("put", "patch"):
                _require_on_update(result, path, operation)
    return result
