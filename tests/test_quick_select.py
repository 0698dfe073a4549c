"""QuickSelect writes the <select> Django's Select renders, without its templates."""

import pytest
from django import forms
from django.test import SimpleTestCase

from cmoselect.widgets import QuickSelect

CHOICES = [
    ("", "Any country"),
    ("DE", "Germany"),
    ("FR", 'France & "overseas" <territories>'),
    ("Services", [("7", "Fill & finish"), ("8", "Lyophilisation")]),
]

html = SimpleTestCase()


@pytest.mark.parametrize(
    ("multiple", "value"),
    [
        (False, None),
        (False, ""),
        (False, "FR"),
        (False, "8"),
        (False, 7),
        (True, ["DE", "8"]),
        (True, []),
    ],
)
def test_the_markup_is_that_of_djangos_select(multiple, value):
    attrs = {"id": "id_country", "class": "wide", "data-note": "a < b"}
    django = (forms.SelectMultiple if multiple else forms.Select)(attrs=attrs, choices=CHOICES)
    quick = QuickSelect(attrs=attrs, choices=CHOICES)
    quick.allow_multiple_selected = multiple
    expected = django.render("country", value)
    written = quick.render("country", value)
    html.assertHTMLEqual(written, expected)
    assert "<territories>" not in written and "&lt;territories&gt;" in written


def test_a_form_field_renders_and_validates_through_it():
    class Filters(forms.Form):
        country = forms.ChoiceField(choices=CHOICES, required=False, widget=QuickSelect)

    form = Filters({"country": "FR"})
    assert form.is_valid() and form.cleaned_data["country"] == "FR"
    rendered = str(form["country"])
    assert '<select name="country" id="id_country">' in rendered
    assert '<option value="FR" selected>' in rendered
    assert rendered.count(" selected") == 1
