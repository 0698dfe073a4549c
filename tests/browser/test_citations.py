import re

import pytest
from playwright.sync_api import expect

from tests.factories import RegulatoryEventFactory, SiteFactory
from vendors.models import Citation, Classification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_adds_corrects_and_removes_a_483_citation_of_an_inspection(live_server, login, qa):
    site = SiteFactory(name="Ringaskiddy", country="IE")
    inspection = RegulatoryEventFactory(
        site=site, reference="1306888", project_area="Drugs", classification=Classification.VAI
    )
    page = login(qa)
    page.goto(f"{live_server.url}{site.get_absolute_url()}")
    page.get_by_role("link", name="Inspection").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Inspection")
    citations = page.locator("#citations")
    expect(citations).to_contain_text("No citations recorded.")

    # Add: the form opens inside the list; an empty observation is refused beside its field.
    page.get_by_role("button", name="Add citation").click()
    citations.get_by_role("button", name="Cancel").click()
    expect(citations.locator("form")).to_have_count(0)
    page.get_by_role("button", name="Add citation").click()
    form = citations.locator("form")
    expect(form.get_by_label("Program area")).to_have_value("Drugs")
    form.get_by_label("Act/CFR number").fill("21 CFR 211.192")
    form.get_by_role("button", name="Save citation").click()
    expect(citations.locator("#field-short_description .errorlist")).to_contain_text("required")
    form = citations.locator("form")
    form.get_by_label("Short description").fill("Investigations of discrepancies")
    form.get_by_role("button", name="Save citation").click()
    expect(citations.get_by_role("status")).to_contain_text("Citation added: 21 CFR 211.192")
    expect(citations).to_contain_text("Form 483 citations (1)")
    row = citations.locator("tbody tr").first
    expect(row).to_contain_text("21 CFR 211.192")
    expect(row).to_contain_text("Investigations of discrepancies")
    expect(page).to_have_url(re.compile(rf"/events/{inspection.pk}/$"))  # no page load

    # Edit: the row turns into its form; saving without a reason is refused.
    row.get_by_role("link", name="Edit citation").click()
    form = citations.locator("tr.editing form")
    form.get_by_label("Short description").fill("Failure to investigate discrepancies")
    form.get_by_role("button", name="Save citation").click()
    expect(citations.locator("tr.editing .errorlist")).to_contain_text("required")
    citations.locator("tr.editing form").get_by_label("Reason for change").fill(
        "Wording of the signed 483"
    )
    citations.locator("tr.editing form").get_by_role("button", name="Save citation").click()
    expect(citations.locator("tbody tr").first).to_contain_text(
        "Failure to investigate discrepancies"
    )
    history = page.locator("#history")
    expect(history).to_contain_text("Citation changed")
    expect(history).to_contain_text("Wording of the signed 483")
    expect(history).to_contain_text("Failure to investigate discrepancies")
    expect(history).to_contain_text(qa.get_full_name())

    # The change is kept after a reload, from the database.
    page.reload()
    expect(page.locator("#citations tbody tr").first).to_contain_text(
        "Failure to investigate discrepancies"
    )
    expect(page.locator("#history")).to_contain_text("Wording of the signed 483")
    citation = Citation.objects.get(inspection=inspection)
    assert citation.short_description == "Failure to investigate discrepancies"
    assert citation.history.first().history_user == qa

    # Remove, with a reason; the removal stays in the history.
    page.locator("#citations").get_by_role("link", name="Remove citation").click()
    removing = page.locator("#citations tr.editing form")
    removing.get_by_label("Reason for removal").fill("Entered on the wrong inspection")
    removing.get_by_role("button", name="Remove citation").click()
    expect(page.locator("#citations")).to_contain_text("Form 483 citations (0)")
    expect(page.locator("#history")).to_contain_text("Citation removed")
    expect(page.locator("#history")).to_contain_text("Entered on the wrong inspection")
    assert not Citation.objects.filter(inspection=inspection).exists()
