"""Small pieces of page markup shared by every app's templates."""

from collections.abc import Iterable

from django import template
from django.forms import BoundField
from django.utils.safestring import mark_safe

from cmoselect import badges
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


@register.simple_tag
def status_badge(status: str, label: str) -> str:
    """`{% status_badge cmo.qualification_status cmo.get_qualification_status_display %}`."""
    return mark_safe(badges.status_badge(status, label))


@register.simple_tag
def risk_badge(risk: str, label: str) -> str:
    """`{% risk_badge entry.risk_class entry.get_risk_class_display %}`: "High risk"."""
    return mark_safe(badges.risk_badge(risk, label))


@register.simple_tag
def due_badge(entry) -> str:
    """`{% due_badge entry %}`: a qualification's valid-until date, marked when due."""
    return mark_safe(badges.due_badge(entry))


@register.simple_tag
def registration_badge(establishment) -> str:
    """`{% registration_badge e %}`: an FDA registry entry's registration, as of the last import."""
    return mark_safe(badges.registration_badge(establishment))


@register.simple_tag
def signal_badge(establishment) -> str:
    """`{% signal_badge e %}`: a registry entry's compliance signal in its band's colour."""
    return mark_safe(badges.signal_badge(establishment))


@register.filter
def signal_band(signal: int) -> str:
    """`signal-{{ compliance.signal|signal_band }}`: good, fair or poor."""
    return badges.signal_band(signal)
