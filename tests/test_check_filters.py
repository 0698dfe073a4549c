"""Filter checkboxes send the query the multi-selects sent, and show what is chosen."""

import re
from typing import NamedTuple

import pytest

from tests.factories import CmoFactory, ContractFactory
from tests.html_forms import forms_of
from vendors.models import QualificationStatus

pytestmark = pytest.mark.django_db


class FilterForm(NamedTuple):
    """What one filter form of a page sends, the checkboxes it offers and its summaries."""

    data: list[tuple[str, str]]
    checkboxes: dict[str, list[str]]
    summaries: dict[str, str]


def rendered_form(response, form_id: str) -> FilterForm:
    assert response.status_code == 200
    html = response.content.decode()
    (form,) = [f for f in forms_of(html) if f.id == form_id]
    checkboxes = {name: form.options[name] for name in form.multiple}
    # The summary beside each filter, e.g. <span id="chosen-status">Prospect, Approved</span>.
    summaries = {
        n: " ".join(t.split()) for n, t in re.findall(r'id="chosen-(\w+)"[^>]*>([^<]*)<', html)
    }
    return FilterForm(form.pairs, checkboxes, summaries)


def test_the_cmo_filters_resubmit_the_chosen_statuses_and_countries(client_for, sourcing):
    CmoFactory(
        legal_name="Basel Biologics AG",
        headquarters_country="CH",
        qualification_status=QualificationStatus.APPROVED,
    )
    CmoFactory(legal_name="Cork Sterile Ltd", headquarters_country="IE")
    CmoFactory(legal_name="Lyon Fill Finish", headquarters_country="FR")
    client = client_for(sourcing)

    page = rendered_form(client.get("/cmos/"), "cmo-filters")
    assert page.checkboxes["country"] == ["FR", "IE", "CH"]  # present countries, by name
    assert set(page.checkboxes["status"]) == set(QualificationStatus.values)
    assert page.summaries == {"status": "Any", "country": "Any", "site_type": "Any"}

    chosen = client.get("/cmos/?status=approved&status=prospect&country=CH&country=IE")
    page = rendered_form(chosen, "cmo-filters")
    assert page.summaries["status"] == "Prospect, Approved"
    assert page.summaries["country"] == "Ireland, Switzerland"
    again = client.get("/cmos/", page.data)
    assert [c.legal_name for c in again.context["page"].object_list] == [
        "Basel Biologics AG",
        "Cork Sterile Ltd",
    ]
    assert rendered_form(again, "cmo-filters").data == page.data


def test_the_contract_filters_resubmit_the_chosen_types(client_for, sourcing):
    ContractFactory(title="MSA Basel", contract_type="msa")
    ContractFactory(title="Quality agreement Cork", contract_type="quality")
    ContractFactory(title="NDA Lyon", contract_type="cda")
    client = client_for(sourcing)

    page = rendered_form(client.get("/contracts/?type=msa&type=quality"), "contract-filters")
    assert ("type", "msa") in page.data
    assert ("type", "quality") in page.data
    again = client.get("/contracts/", page.data)
    assert sorted(c.title for c in again.context["page"].object_list) == [
        "MSA Basel",
        "Quality agreement Cork",
    ]
