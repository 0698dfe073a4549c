"""DRF settings hooks (pagination, error shape), kept apart from cmoselect.api to avoid
an import cycle: DRF reads these while its own generic views are being imported."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            bounds = {"minimum": 1}
            if parameter["name"] == self.page_size_query_param:
                bounds["maximum"] = self.max_page_size
            parameter["schema"].update(bounds)
        return parameters


def exception_handler(exc: Exception, context: dict) -> Response | None:
    # Services raise Django's ValidationError; the API answers it as a 400 with field errors.
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(as_serializer_error(exc))
    return drf_exception_handler(exc, context)
