"""Registry establishments grouped by registrant into firms."""

import pytest
from django.urls import reverse

from tests.factories import EstablishmentFactory, SiteFactory
from vendors.models import Establishment

pytestmark = pytest.mark.django_db
FIRM = reverse("vendors:registry_firm")


@pytest.fixture
def firm():
    cork = EstablishmentFactory(
        fei="3001", firm_name="Cork Fill", registrant_name="Acme Pharma, Inc.", signal=88
    )
    lyon = EstablishmentFactory(
        fei="3002", firm_name="Lyon Pack", registrant_name="ACME PHARMA INC", signal=40
    )
    by_duns = EstablishmentFactory(
        fei="3003", firm_name="Acme Labs", registrant_name="Acme Labs", registrant_duns="123456789"
    )
    EstablishmentFactory(fei="3009", firm_name="Other", registrant_name="Acme Pharmaceuticals")
    return {"cork": cork, "lyon": lyon, "duns": by_duns}


def test_a_firm_is_its_registrant_as_normalised_or_its_registrant_duns(firm):
    assert set(Establishment.objects.of_firm(name="Acme Pharma LLC")) == {
        firm["cork"],
        firm["lyon"],
    }
    assert list(Establishment.objects.of_firm(duns="123456789")) == [firm["duns"]]
    both = Establishment.objects.of_firm(duns="123456789", name="acme pharma")
    assert both.count() == 3


def test_the_establishment_page_lists_the_firms_other_establishments(client, qa, firm):
    SiteFactory(fei_number="3002", name="Lyon site in the directory")
    client.force_login(qa)
    page = client.get(firm["cork"].get_absolute_url()).content.decode()
    assert "Other establishments of this firm" in page
    assert "Lyon Pack" in page and "Lyon site in the directory" in page
    assert "Other</a>" not in page
    assert f"{FIRM}?name=Acme+Pharma%2C+Inc." in page


@pytest.mark.parametrize("persona", ["sourcing", "qa", "manager"])
def test_the_firm_page_lists_its_establishments_with_signal_and_directory(
    client, firm, persona, request
):
    SiteFactory(fei_number="3001", name="Cork in the directory")
    client.force_login(request.getfixturevalue(persona))
    response = client.get(FIRM, {"name": "Acme Pharma, Inc."})
    assert [e.fei for e in response.context["page"].object_list] == ["3001", "3002"]
    page = response.content.decode()
    assert "Cork in the directory" in page and "not in the directory" in page
    assert ">88<" in page and ">40<" in page


def test_the_firm_page_costs_the_same_queries_for_many_establishments(
    client, qa, firm, django_assert_max_num_queries
):
    client.force_login(qa)
    with django_assert_max_num_queries(12) as few:
        client.get(FIRM, {"name": "Acme Pharma"})
    EstablishmentFactory.create_batch(20, registrant_name="Acme Pharma Ltd")
    with django_assert_max_num_queries(len(few)):
        client.get(FIRM, {"name": "Acme Pharma"})


def test_no_role_no_firm_page(client, outsider, firm):
    client.force_login(outsider)
    assert client.get(FIRM, {"name": "Acme"}).status_code == 403
