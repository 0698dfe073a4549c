"""Filters shared by the apps' filter sets (browser pages and API alike)."""

import django_filters
from django import forms

# Ids are bigints: a larger number can match no row, and would overflow the database's
# parameter (a 500) if it reached the query.
MAX_ID = 2**63 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (a level, a signal): `?level=1.5` is a 400 naming the parameter, as the
    schema says an integer, rather than a filter on a value no row can hold."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    """A row's id: a whole number from 1 up to the largest id, or a 400 naming the parameter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictNullBooleanField(forms.NullBooleanField):
    """true or false (or nothing: no filter); anything else is refused, not taken as nothing."""

    widget = forms.TextInput

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0"):
            return False
        raise forms.ValidationError("Either true or false.", code="invalid")

    def validate(self, value) -> None:
        pass


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that answers `?late=AAA` with a 400 naming the parameter."""

    field_class = StrictNullBooleanField
