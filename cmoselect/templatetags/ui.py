"""Small pieces of page markup shared by every app's templates."""

from collections.abc import Iterable

from django import template
from django.forms import BoundField

from cmoselect.countries import country_name

register = template.Library()


@register.inclusion_tag("partials/check_filter.html")
def check_filter(
    field: BoundField | None = None,
    *,
    name: str = "",
    label: str = "",
    options: Iterable[tuple] = (),
) -> dict:
    """A multiple-choice filter as a dropdown of checkboxes with full labels.

    It sends the same query (`name=value`, repeated) as the multi-select it replaces. Pass a form
    field, or a name, a label and (value, text, selected) options when the choices are built by
    the view.
    """
    if field is not None:
        name, label = field.html_name, str(field.label)
        options = [(str(o.data["value"]), o.choice_label, o.data["selected"]) for o in field]
    options = [(str(value), text, bool(selected)) for value, text, selected in options]
    chosen = ", ".join(text for _, text, selected in options if selected)
    return {"name": name, "label": label, "options": options, "chosen": chosen or "Any"}


@register.filter
def country(code) -> str:
    """`{{ site.country|country }}`: the country's name, without a translation per row."""
    return country_name(code)
