"""Filter checkboxes send the query the multi-selects sent, and show what is chosen."""

from html.parser import HTMLParser

import pytest

from tests.factories import CmoFactory, ContractFactory
from vendors.models import QualificationStatus

pytestmark = pytest.mark.django_db


class FilterForm(HTMLParser):
    """The inputs of one form on a page, as a browser would send them, and its summaries."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.summary = None
        self.data: list[tuple[str, str]] = []
        self.checkboxes: dict[str, list[str]] = {}
        self.summaries: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and attrs.get("type") == "checkbox":
            self.checkboxes.setdefault(attrs["name"], []).append(attrs["value"])
            if "checked" in attrs:
                self.data.append((attrs["name"], attrs["value"]))
        elif tag == "input" and attrs.get("name") and attrs.get("type") != "checkbox":
            self.data.append((attrs["name"], attrs.get("value", "")))
        elif tag == "span" and attrs.get("id", "").startswith("chosen-"):
            self.summary = attrs["id"].removeprefix("chosen-")

    def handle_data(self, data):
        if self.summary:
            self.summaries[self.summary] = data.strip()

    def handle_endtag(self, tag):
        if tag == "span":
            self.summary = None
        if tag == "form":
            self.inside = False


def rendered_form(response, form_id: str) -> FilterForm:
    assert response.status_code == 200
    form = FilterForm(form_id)
    form.feed(response.content.decode())
    return form


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
