"""Helpers every app's views use to show a service's ValidationError to the user."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def apply_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, beside the fields it names."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field_name, errors in error.message_dict.items():
        form.add_error(field_name if field_name in form.fields else None, errors)


def message_errors(request, error: ValidationError) -> None:
    """Show a service's ValidationError as messages, for actions without a form."""
    for message in error.messages:
        messages.error(request, message)
