import pytest
from django.urls import reverse
from django.utils import translation

from cmoselect.countries import countries_in, country_choices, country_name, country_options
from cmoselect.links import path_pattern
from tests.factories import CmoFactory, EstablishmentFactory, SiteFactory
from vendors.models import Cmo, Establishment, Site


def test_a_country_name_is_the_registry_s_in_the_active_language():
    assert country_name("DE") == "Germany"
    assert country_name("") == "" and country_name("XX") == ""
    with translation.override("de"):
        assert country_name("DE") == "Deutschland"
    assert country_name("DE") == "Germany"


def test_the_options_follow_the_registry_s_order_by_name():
    assert country_options(["US", "AT", "CH"]) == [
        ("AT", "Austria"),
        ("CH", "Switzerland"),
        ("US", "United States of America"),
    ]
    assert len(country_choices()) > 240


@pytest.mark.django_db
def test_the_countries_present_are_those_a_distinct_select_finds():
    assert countries_in(Site) == []
    for country in ("IN", "CH", "IN", "US", "CH"):
        SiteFactory(country=country)
    CmoFactory(headquarters_country="FR")
    EstablishmentFactory(country="")
    EstablishmentFactory(country="IE")
    for model, field in (
        (Site, "country"),
        (Cmo, "headquarters_country"),
        (Establishment, "country"),
    ):
        distinct = set(model.objects.order_by().values_list(field, flat=True).distinct()) - {""}
        assert countries_in(model, field) == sorted(distinct)
    assert countries_in(Site) == ["CH", "IN", "US"]
    us = Site.objects.get(country="US")
    assert countries_in(Site, within=Site.objects.filter(pk=us.pk)) == ["US"]
    assert countries_in(Site, within=Site.objects.exclude(pk=us.pk)) == ["CH", "IN"]
    assert countries_in(Site, within=Site.objects.none()) == []


@pytest.mark.parametrize("ids", [(1, 2), (7, 70), (123, 12)])
def test_a_path_pattern_formats_to_what_reverse_gives(ids):
    pattern = path_pattern("vendors:matrix_cell", "site", "capability")
    assert pattern.format(site=ids[0], capability=ids[1]) == reverse(
        "vendors:matrix_cell", args=ids
    )
