import pytest
from playwright.sync_api import expect

from scoring.models import Decision, Evaluation
from tests.conftest import PASSWORD
from tests.factories import CmoFactory, SiteFactory
from tests.scoring.conftest import give
from vendors.models import Capability

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def market():
    """Three sterile fill-finish CMOs for 100,000 vials a year.

    Basel: two countries, 80,000 → 91; Lyon: one large site → 90; Cork: two Irish sites → 87.25.
    """
    vials = Capability.objects.get(code="dosage-forms-sterile-liquid-vials")
    plan = {
        "Basel Biologics AG": [("CH", 3, 40_000), ("US", 2, 40_000)],
        "Cork Sterile Ltd": [("IE", 2, 50_000), ("IE", 2, 30_000)],
        "Lyon Fill Finish SAS": [("FR", 2, 200_000)],
    }
    for name, sites in plan.items():
        cmo = CmoFactory(legal_name=name)
        for country, level, capacity in sites:
            give(SiteFactory(cmo=cmo, country=country), vials, level, capacity)
    return vials


def test_sourcing_builds_an_evaluation_and_the_what_if_reranks(
    live_server, login, sourcing, market
):
    page = login(sourcing)
    page.get_by_role("link", name="Evaluations", exact=True).click()
    page.get_by_role("button", name="New evaluation").click()
    page.get_by_label("Name").fill("ABX-101 fill-finish")
    page.get_by_label("Product").fill("ABX-101")
    page.get_by_label("Phase").select_option("phase_3")
    page.get_by_label("Needed annual volume").fill("100000")
    page.get_by_label("Volume unit").fill("vials/year")
    page.locator("#id_needs-0-capability").select_option(label="Sterile liquid vials")
    page.get_by_role("button", name="Create evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ABX-101 fill-finish")

    if page.get_by_role("heading", name="From the needs search").count():
        page.locator("#add-candidates form").first.get_by_role(
            "button", name="Add selected"
        ).click()
    else:
        for query in ("Basel", "Cork", "Lyon"):
            page.get_by_label("Find a CMO").fill(query)
            page.get_by_role("button", name="Find").click()
            page.locator("#add-candidates input[name=cmo]").first.check()
            page.get_by_role("button", name="Add selected").click()
    rows = page.locator("#score-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#scores")).not_to_contain_text("Recomputing")
    expect(rows.first).to_contain_text("Basel Biologics AG")
    expect(rows.first.locator("[data-rank]")).to_have_text("1")
    expect(page.locator("#stability")).to_contain_text("Capacity fit +10 → Lyon Fill Finish SAS")

    # Supply risk counts for nothing, capacity for a lot: Lyon's large single site leads.
    for code, value in [("supply_risk", 0), ("capacity_fit", 100), ("capability_fit", 0)]:
        page.locator(f"input[data-code={code}]").fill(str(value))
    expect(rows.first).to_contain_text("Lyon Fill Finish SAS")
    expect(page.locator("#weight-sum")).to_contain_text("saving needs exactly 100")
    expect(page.get_by_role("button", name="Save weights for this evaluation")).to_be_disabled()

    # The browser's formula gives the server's ranking for the weights the server used.
    evaluation = Evaluation.objects.get(name="ABX-101 fill-finish")
    data = page.evaluate("JSON.parse(document.getElementById('what-if-data').textContent)")
    weights = [[c["code"], c["weight"]] for c in data["criteria"]]
    ranked = page.evaluate(
        "([c, w]) => window.cmoselectScoring.rank(c, new Map(w))", [data["candidates"], weights]
    )
    server = {c.pk: (c.rank, c.total) for c in evaluation.candidates.all()}
    for row in ranked:
        assert row["rank"] == server[row["id"]][0]
        assert round(row["total"], 2) == server[row["id"]][1]
    js_note = page.evaluate(
        "([d, w]) => window.cmoselectScoring.stability(d, new Map(w))", [data, weights]
    )
    assert js_note == evaluation.stability_note

    page.get_by_role("button", name="Reset").click()
    expect(rows.first).to_contain_text("Basel Biologics AG")


def test_a_manager_downloads_the_pdf_and_signs_off(live_server, login, manager, sourcing, market):
    from scoring.services import candidates_add, evaluation_compute
    from tests.factories import EvaluationFactory

    evaluation = EvaluationFactory(name="ABX-101 fill-finish", created_by=sourcing)
    evaluation.needs.create(capability=market, min_level=2)
    from vendors.models import Cmo

    candidates_add(evaluation=evaluation, cmos=Cmo.objects.all(), user=sourcing)
    evaluation_compute(evaluation=evaluation)

    page = login(manager)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    page.get_by_role("button", name="Create PDF report").click()
    link = page.get_by_role("link", name="Download PDF")
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("button", name="Sign off the decision").click()
    basel = evaluation.candidates.get(cmo__legal_name="Basel Biologics AG")
    page.locator("#id_candidate").select_option(str(basel.pk))
    page.get_by_label("I select this CMO for the evaluation's product").check()
    page.get_by_label("Reasons for the decision").fill(
        "Highest score, two sites, capacity headroom"
    )
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Sign decision").click()
    expect(page.locator("#field-password .errorlist")).to_contain_text("not correct")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign decision").click()
    expect(page.locator("#decision")).to_contain_text("Basel Biologics AG selected")
    expect(page.locator("#decision")).to_contain_text(manager.username)
    assert Decision.objects.get().evaluation == evaluation
