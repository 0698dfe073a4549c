import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from contracts.models import Contract, ResponsibilityItem, today
from contracts.services import contract_save
from tests.factories import CmoFactory, SiteFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_sourcing_records_an_msa_a_sow_and_its_milestones(live_server, login, sourcing):
    cmo = CmoFactory(legal_name="Cork Sterile Ltd", headquarters_country="IE")
    SiteFactory(cmo=cmo, name="Ringaskiddy", country="IE")
    page = login(sourcing)
    page.get_by_role("link", name="Contracts", exact=True).click()
    expect(page.get_by_text("No contracts match these filters.")).to_be_visible()
    page.get_by_role("button", name="Add a contract").click()

    page.get_by_role("searchbox", name="CMO").fill("Cork")
    page.get_by_role("radio", name="Cork Sterile Ltd").check()
    expect(page.get_by_label("Ringaskiddy")).to_be_visible()  # the CMO's sites, loaded by htmx
    page.get_by_label("Ringaskiddy").check()
    page.get_by_label("Type").select_option("msa")
    page.get_by_label("Title").fill("Master services agreement 2026")
    page.get_by_label("Effective date").fill("2026-05-01")
    page.get_by_label("Expiry date").fill("2026-04-01")
    page.get_by_role("button", name="Add contract").click()
    expect(page.locator("#field-expiry_date .errorlist")).to_contain_text(
        "cannot be before the effective date"
    )
    page.get_by_label("Expiry date").fill("2029-04-30")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Master services agreement 2026")

    page.get_by_role("button", name="Add a statement of work").click()
    page.get_by_label("Title").fill("SOW 1: process transfer")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SOW 1: process transfer")
    expect(page.get_by_text("Under")).to_be_visible()

    page.get_by_role("link", name="Edit milestones").click()
    page.get_by_label("Name, row 1").fill("Technology transfer complete")
    page.get_by_label("Planned date, row 1").fill(str(today() - timedelta(days=3)))
    page.get_by_label("Name, row 2").fill("Engineering batch")
    page.get_by_label("Planned date, row 2").fill(str(today() + timedelta(days=60)))
    page.get_by_role("button", name="Save milestones").click()
    expect(page.get_by_text("Milestones saved.")).to_be_visible()
    timeline = page.locator("#milestones")
    expect(timeline.locator("li.late")).to_contain_text("Technology transfer complete")
    expect(timeline).to_contain_text("Engineering batch")

    page.get_by_role("link", name="Cork Sterile Ltd").first.click()
    card = page.locator("#contracts")
    expect(card).to_contain_text("Master services agreement 2026")
    expect(card).to_contain_text("SOW 1: process transfer")
    expect(card).to_contain_text("1 late")
    expect(card).to_contain_text("No signed quality agreement in force")
    sow = Contract.objects.get(contract_type="sow")
    assert sow.parent.title == "Master services agreement 2026"
    assert sow.milestones.count() == 2


def test_qa_edits_the_quality_agreement_matrix(live_server, login, qa, sourcing):
    cmo = CmoFactory(legal_name="Basel Biologics AG", headquarters_country="CH")
    agreement = contract_save(
        contract=Contract(cmo=cmo, contract_type="quality", title="Quality agreement Basel"),
        user=sourcing,
    )
    page = login(qa)
    page.goto(f"{live_server.url}{agreement.get_absolute_url()}")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Edit matrix").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quality responsibility matrix")
    change_control = page.locator("tr", has=page.locator("input[value='Change control']"))
    change_control.locator("select").select_option("shared")
    page.get_by_label("Responsible, row 5").select_option("cmo")  # deviations and investigations
    page.get_by_role("button", name="Save quality responsibility matrix").click()
    expect(page.locator("#field-change_reason .errorlist")).to_contain_text("Say why")

    page.get_by_label("Reason for change").fill("Agreed at the quality kick-off")
    page.get_by_role("button", name="Save quality responsibility matrix").click()
    expect(page.get_by_text("Quality responsibility matrix saved.")).to_be_visible()
    row = page.locator("#matrix tr", has_text="Change control")
    expect(row.locator("td").nth(3)).to_have_text("●")
    expect(page.locator("#history")).to_contain_text("Agreed at the quality kick-off")
    expect(page).to_have_url(re.compile(r"#matrix$"))
    assert (
        ResponsibilityItem.objects.get(contract=agreement, activity="Change control").responsible
        == "shared"
    )


def test_sourcing_records_a_kpi_result_and_sees_whether_it_met_the_target(
    live_server, login, sourcing
):
    from contracts.models import Kpi
    from tests.factories import ContractFactory

    msa = ContractFactory(title="MSA with Cork", contract_type="msa", status="active")
    Kpi.objects.create(contract=msa, kind="otif", target=95, unit="%")
    page = login(sourcing)
    page.goto(f"{live_server.url}{msa.get_absolute_url()}")
    kpis = page.locator("#kpis")
    expect(kpis).to_contain_text("No results recorded yet")

    page.get_by_label("KPI").select_option(label="On time in full: 95.00 %")
    page.get_by_label("Period start").fill("2026-01-01")
    page.get_by_label("Period end").fill("2026-03-31")
    page.get_by_label("Actual value").fill("91.5")
    page.get_by_label("Note").fill("Two late shipments in February")
    page.get_by_role("button", name="Record result").click()
    expect(page.get_by_text("Result recorded")).to_be_visible()

    page.reload()
    row = page.locator("#kpi-results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2026-01-01 – 2026-03-31")
    expect(row).to_contain_text("91.5 %")
    expect(row).to_contain_text("missed")
    expect(row).to_contain_text("Two late shipments in February")


def test_a_signed_contract_changes_by_an_approved_amendment_not_by_an_edit(
    live_server, login, sourcing, manager
):
    from decimal import Decimal

    from tests.factories import ContractFactory

    msa = ContractFactory(
        title="MSA with Basel",
        status="active",
        signed_on=today() - timedelta(days=60),
        effective_date=today() - timedelta(days=60),
        liability_cap=Decimal("1000000"),
        owner=sourcing,
    )
    page = login(sourcing)
    page.goto(f"{live_server.url}{msa.get_absolute_url()}")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Liability cap").fill("5000000")
    page.get_by_label("Reason for change").fill("Renegotiated by phone")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#field-liability_cap .errorlist")).to_contain_text(
        "its terms change only by an amendment"
    )
    page.goto(f"{live_server.url}{msa.get_absolute_url()}")
    expect(page.locator("#liability")).to_contain_text("1,000,000.00")

    page.get_by_role("button", name="Raise an amendment").click()
    page.get_by_label("Liability cap").fill("2500000")
    page.get_by_label("Why the terms change").fill("Doubled volumes need a higher cap")
    page.get_by_label("Amendment effective from").fill(str(today()))
    page.get_by_role("button", name="Raise amendment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amendment 1")
    expect(page.locator("#amendment-status")).to_have_text("Awaiting approval")
    expect(page.get_by_role("button", name="Approve amendment")).to_have_count(0)
    amendment_url = page.url

    page = login(manager)
    page.goto(amendment_url)
    expect(page.locator("#changed-terms")).to_contain_text("1000000.00")
    expect(page.locator("#changed-terms")).to_contain_text("2500000.00")
    page.get_by_label("Note").fill("Agreed with legal")
    page.get_by_role("button", name="Approve amendment").click()
    expect(page.get_by_text("was approved")).to_be_visible()
    page.reload()
    expect(page.locator("#amendment-status")).to_have_text("In effect")

    page.goto(f"{live_server.url}{msa.get_absolute_url()}")
    expect(page.locator("#liability")).to_contain_text("2,500,000.00")
    expect(page.locator("#amendments")).to_contain_text("Amendment 1")
    expect(page.locator("#history")).to_contain_text("Amendment 1: Doubled volumes")
    page.locator("#amendments").get_by_role("link", name="0 (as signed)").click()
    expect(page.locator("#version-terms")).to_contain_text("1000000.00")
    page.get_by_role("link", name="1", exact=True).click()
    expect(page.locator("#version-terms")).to_contain_text("2500000.00")
