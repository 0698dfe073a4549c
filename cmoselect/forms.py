"""Form helpers every app shares: service errors shown on forms, edits saved with history, and
status moves."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmoselect.history import save_with_history


def apply_service_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, beside the fields it names."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field_name, errors in error.message_dict.items():
        form.add_error(field_name if field_name in form.fields else None, errors)


def save_edit_form(request: HttpRequest, form: forms.ModelForm) -> models.Model | None:
    """Save a POSTed model form's instance with history, its `change_reason` as the reason.

    The model's own validation runs and many-to-many fields are saved in the same transaction;
    its errors, and the reason rule's, go beside the fields. Returns the instance saved, or None
    when the page should show the form (again).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save_with_history(
            form.save(commit=False),
            user=request.user,
            reason=form.cleaned_data["change_reason"],
            clean=True,
            save_m2m=form.save_m2m,
        )
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


def message_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's ValidationError as messages, for actions without a form."""
    for message in error.messages:
        messages.error(request, message)


class StatusMoveForm(forms.Form):
    """A move to a new status: nothing is preselected, and grave moves must be confirmed.

    Subclasses add their `reason` field and pass the allowed moves and those to confirm.
    """

    status = forms.ChoiceField(label="New status")
    confirm = forms.BooleanField(required=False, label="Yes, make this move")
    field_order = ["status", "reason", "confirm"]

    def __init__(
        self, *args, choices: list[tuple[str, str]], confirm: frozenset[str], why: str, **kwargs
    ):
        super().__init__(*args, **kwargs)
        # An empty first choice, so submitting without choosing moves nothing.
        self.fields["status"].choices = [("", "Choose…"), *choices]
        self.confirm_labels = {value: label for value, label in choices if value in confirm}
        if self.confirm_labels:
            names = " or ".join(self.confirm_labels.values())
            self.fields["confirm"].help_text = f"Required to move to {names}: {why}"
        else:
            del self.fields["confirm"]

    @property
    def has_moves(self) -> bool:
        return len(self.fields["status"].choices) > 1

    def clean(self) -> dict:
        data = super().clean()
        status = data.get("status")
        if status in self.confirm_labels and not data.get("confirm"):
            self.add_error("confirm", f"Confirm the move to {self.confirm_labels[status]}.")
        data.pop("confirm", None)
        return data


def confirm_status_page(request: HttpRequest, form: StatusMoveForm, subject) -> HttpResponse | None:
    """The second step of a grave status move posted unconfirmed, with the error beside the box."""
    if "confirm" not in form.errors:
        return None
    context = {"form": form, "subject": subject, "action": request.path}
    return render(request, "partials/status_confirm.html", context)
