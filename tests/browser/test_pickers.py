import pytest
from playwright.sync_api import expect

from audits.models import Audit
from contracts.models import Contract
from tests.factories import CmoFactory, ContractFactory, SiteFactory, make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_plans_an_audit_by_searching_for_the_site(live_server, login, qa):
    make_checklist()
    # Two sites of the same name: the picker tells them apart by CMO, FEI and city.
    SiteFactory(name="Ringaskiddy", city="Cork", country="IE", fei_number="3002807864")
    SiteFactory(name="Ringaskiddy", city="Limerick", country="IE", fei_number="3009999999")
    page = login(qa)
    page.get_by_role("link", name="Audits", exact=True).click()
    page.get_by_role("link", name="Plan an audit").first.click()

    page.get_by_role("searchbox", name="Site").fill("30028")
    match = page.get_by_role("radio", name="Ringaskiddy")
    expect(match).to_have_count(1)
    expect(page.locator("#id_site-matches")).to_contain_text("FEI 3002807864")
    expect(page.locator("#id_site-matches")).to_contain_text("Cork, Ireland")
    match.check()
    page.get_by_label("Lead auditor").select_option(str(qa.pk))
    page.get_by_label("Planned start").fill("2026-04-01")
    page.get_by_label("Planned end").fill("2026-04-02")
    page.get_by_label("Scope").fill("Sterile filling line 2")
    page.get_by_role("button", name="Plan the audit").click()

    audit = Audit.objects.get()
    page.wait_for_url(f"{live_server.url}{audit.get_absolute_url()}")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(audit.reference)
    expect(page.locator("main")).to_contain_text("Ringaskiddy")
    assert audit.site.fei_number == "3002807864"


def test_choosing_the_cmo_keeps_what_was_typed_in_the_contract_form(live_server, login, sourcing):
    cmo = CmoFactory(legal_name="Cork Sterile Ltd", headquarters_country="IE")
    SiteFactory(cmo=cmo, name="Ringaskiddy", city="Cork", country="IE")
    page = login(sourcing)
    page.get_by_role("link", name="Contracts", exact=True).click()
    page.get_by_role("button", name="Add a contract").click()

    page.get_by_label("Title").fill("Supply agreement 2027")
    page.get_by_label("Reference").fill("SA-2027-01")
    page.get_by_role("searchbox", name="CMO").fill("cork")
    page.get_by_role("radio", name="Cork Sterile Ltd").check()
    expect(page.get_by_label("Ringaskiddy")).to_be_visible()  # the CMO's sites, loaded by htmx
    expect(page.get_by_label("Title")).to_have_value("Supply agreement 2027")
    expect(page.get_by_label("Reference")).to_have_value("SA-2027-01")
    page.get_by_label("Ringaskiddy").check()
    page.get_by_label("Type").select_option("supply")
    page.get_by_role("button", name="Add contract").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Supply agreement 2027")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supply agreement 2027")
    contract = Contract.objects.get()
    assert contract.cmo == cmo and contract.reference == "SA-2027-01"
    assert [s.name for s in contract.sites.all()] == ["Ringaskiddy"]


@pytest.mark.parametrize("width", [1280, 820])
def test_the_contract_list_is_filtered_by_a_cmo_chosen_in_the_filter_bar(
    live_server, login, sourcing, width
):
    aster = CmoFactory(legal_name="Aster Fine Chemicals Pte. Ltd.", headquarters_country="SG")
    other = CmoFactory(legal_name="Beacon Sterile Solutions S.L.", headquarters_country="ES")
    ContractFactory(cmo=aster, title="Technology transfer of analytical methods to Aster")
    ContractFactory(cmo=other, title="Commercial supply agreement with Beacon")
    page = login(sourcing)
    page.set_viewport_size({"width": width, "height": 1000})
    page.get_by_role("link", name="Contracts", exact=True).click()
    # The page has loaded before its width is measured (mid-navigation there is no document).
    expect(page.get_by_role("heading", level=1)).to_have_text("Contracts")
    page.wait_for_load_state()

    # The filter bar keeps to the window, and the picker shows no list until someone types.
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the contract list scrolls sideways by {overflow} px"
    expect(page.get_by_role("radio", name="All CMOs")).to_be_hidden()

    page.get_by_role("searchbox", name="CMO").fill("aster")
    page.get_by_role("radio", name="Aster Fine Chemicals Pte. Ltd.").check()
    expect(page.locator("#result-count")).to_have_text("1 contract")
    page.get_by_role("searchbox", name="Search").focus()  # the picker loses focus
    expect(page.get_by_role("radio", name="Aster Fine Chemicals Pte. Ltd.")).to_be_visible()
    expect(page.get_by_role("link", name="Commercial supply agreement with Beacon")).to_have_count(
        0
    )

    page.reload()
    expect(page.locator("#result-count")).to_have_text("1 contract")
    expect(page.get_by_role("radio", name="Aster Fine Chemicals Pte. Ltd.")).to_be_checked()
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the filtered list scrolls sideways by {overflow} px"
