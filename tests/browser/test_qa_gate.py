import pytest
from playwright.sync_api import expect

from scoring.models import Decision
from scoring.services import evaluation_compute
from tests.conftest import PASSWORD
from tests.factories import CmoFactory, EvaluationFactory, SiteFactory
from tests.scoring.conftest import give
from tests.scoring.test_qa_gate import approved_audit
from vendors.models import Capability, QualificationStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sign_off_refuses_approval_and_says_which_site_blocks(
    live_server, login, manager, sourcing
):
    vials = Capability.objects.get(code="dosage-forms-sterile-liquid-vials")
    cmo = CmoFactory(
        legal_name="Basel Biologics AG", qualification_status=QualificationStatus.UNDER_EVALUATION
    )
    audited = SiteFactory(cmo=cmo, name="Basel Stein", country="CH")
    unaudited = SiteFactory(cmo=cmo, name="Basel Visp", country="CH")
    for site in (audited, unaudited):
        give(site, vials, 2, 100_000)
    approved_audit(audited)
    evaluation = EvaluationFactory(name="ABX-101 fill-finish", created_by=sourcing)
    evaluation.needs.create(capability=vials, min_level=2)
    evaluation.candidates.create(cmo=cmo, added_by=sourcing)
    evaluation_compute(evaluation=evaluation)

    page = login(manager)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    page.get_by_role("button", name="Sign off the decision").click()
    gate = page.get_by_role("region", name="QA gate: can this sign-off approve?")
    expect(gate).to_contain_text("Basel Biologics AG: Conditionally approved at most")
    expect(gate.get_by_role("listitem").filter(has_text="Basel Visp")).to_contain_text(
        "no approved audit"
    )
    page.get_by_label("I select this CMO for the evaluation's product").check()
    page.get_by_label("Reasons for the decision").fill("Best fit, two sites")
    page.get_by_label("Qualification status of the selected CMO").select_option(
        label="Move to Approved"
    )
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    expect(page.locator("#field-new_status .errorlist")).to_contain_text(
        "Site Basel Visp cannot be approved: no approved audit."
    )
    page.reload()
    expect(page.get_by_role("heading", name="Sign off the decision")).to_be_visible()
    assert not Decision.objects.exists()

    page.get_by_label("I select this CMO subject to the conditions stated").check()
    page.get_by_label("Reasons for the decision").fill("Best fit; Visp to be audited")
    page.get_by_label("Qualification status of the selected CMO").select_option(
        label="Move to Conditionally approved"
    )
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    expect(page.locator("#decision")).to_contain_text("Basel Biologics AG selected")
    page.goto(f"{live_server.url}{cmo.get_absolute_url()}")
    history = page.locator("#qualification")
    expect(history).to_contain_text("Conditionally approved")
    expect(
        history.get_by_role("link", name="decision of ABX-101 fill-finish").first
    ).to_be_visible()
