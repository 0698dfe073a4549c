"""axe-core on the key pages, at desktop and tablet width, for the person who uses each page."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from audits.models import Audit
from scoring.services import candidates_add
from tests.factories import (
    CmoFactory,
    ContractFactory,
    EvaluationFactory,
    SiteCapabilityFactory,
    SiteFactory,
    make_audit,
)
from vendors.models import Capability, CapabilityLevel, QualificationStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": (1280, 900), "tablet": (820, 1180)}
BLOCKING = {"critical", "serious"}


@pytest.fixture
def records(sourcing):
    vials = Capability.objects.get(code="dosage-forms-sterile-liquid-vials")
    basel = CmoFactory(
        legal_name="Basel Biologics AG",
        headquarters_country="CH",
        qualification_status=QualificationStatus.CONDITIONALLY_APPROVED,
    )
    visp = SiteFactory(cmo=basel, name="Visp", country="CH", types=["biologics", "sterile"])
    SiteCapabilityFactory(site=visp, capability=vials, level=CapabilityLevel.DEMONSTRATED)
    cork = CmoFactory(legal_name="Cork Sterile Ltd", headquarters_country="IE")
    SiteFactory(cmo=cork, name="Ringaskiddy", country="IE", types=["sterile"])
    contract = ContractFactory(cmo=basel, title="Master services agreement Basel")
    evaluation = EvaluationFactory(name="ABX-101 fill-finish", created_by=sourcing)
    candidates_add(evaluation=evaluation, cmos=[basel, cork], user=sourcing)
    return {"cmo": basel, "site": visp, "contract": contract, "evaluation": evaluation}


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def check_pages(page, base_url: str, paths: list[str]) -> dict:
    found = {}
    for name, size in WIDTHS.items():
        page.set_viewport_size({"width": size[0], "height": size[1]})
        for path in paths:
            page.goto(base_url + path)
            expect(page.locator("main h1").first).to_be_visible()
            problems = serious_violations(page)
            if problems:
                found[f"{path} at {name}"] = problems
    return found


@pytest.mark.parametrize("role", ["sourcing", "manager"])
def test_directory_contract_and_evaluation_pages_have_no_serious_accessibility_violations(
    live_server, login, personas, records, role
):
    page = login(personas[role])
    paths = [
        "/cmos/",
        records["cmo"].get_absolute_url(),
        records["site"].get_absolute_url(),
        "/cmos/capabilities/?view=sites",
        records["evaluation"].get_absolute_url(),
        "/contracts/",
        records["contract"].get_absolute_url(),
    ]
    assert check_pages(page, live_server.url, paths) == {}


def test_the_audit_checklist_has_no_serious_accessibility_violations(
    live_server, login, qa, records
):
    audit = make_audit(site=records["site"], lead=qa, status=Audit.Status.IN_PROGRESS)
    page = login(qa)
    paths = [f"/audits/{audit.pk}/checklist/", "/cmos/"]
    assert check_pages(page, live_server.url, paths) == {}


def test_the_header_fits_a_tablet_and_log_out_still_works(live_server, login, sourcing, records):
    page = login(sourcing)
    page.set_viewport_size({"width": 820, "height": 1180})
    for path in ("/", "/cmos/", records["evaluation"].get_absolute_url(), "/contracts/"):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
        expect(page.locator("header .who")).to_be_in_viewport(ratio=1)
        expect(page.get_by_role("button", name="Log out")).to_be_in_viewport(ratio=1)
    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/cmos/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_the_skip_link_takes_the_keyboard_to_the_first_checklist_answer(
    live_server, login, qa, records
):
    audit = make_audit(site=records["site"], lead=qa, status=Audit.Status.IN_PROGRESS)
    page = login(qa)
    page.goto(f"{live_server.url}/audits/{audit.pk}/checklist/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = audit.answers.order_by("question__section__position", "question__position").first()
    expect(page.locator(f"#q-{first.pk}").get_by_label("Yes")).to_be_focused()


def test_the_amendment_pages_have_no_serious_accessibility_violations(
    live_server, login, sourcing, manager, records
):
    from datetime import date
    from decimal import Decimal

    from django.urls import reverse

    from contracts.services import amendment_raise

    contract = ContractFactory(
        cmo=records["cmo"],
        title="Signed MSA Basel",
        status="active",
        signed_on=date(2026, 1, 15),
        effective_date=date(2026, 1, 15),
    )
    amendment = amendment_raise(
        contract=contract,
        user=sourcing,
        reason="Higher cap",
        effective_date=date.today(),
        fields={"liability_cap": Decimal("2500000")},
    )
    page = login(manager)
    paths = [
        reverse("contracts:amendment_create", args=[contract.pk]),
        amendment.get_absolute_url(),
        reverse("contracts:terms_version", args=[contract.pk]),
    ]
    assert check_pages(page, live_server.url, paths) == {}


def test_the_registry_pages_have_no_serious_accessibility_violations(live_server, login, sourcing):
    from tests.factories import EstablishmentFactory

    entry = EstablishmentFactory(firm_name="Cork Registered Fill")
    EstablishmentFactory(firm_name="Lyon Registered Pack", country="FR")
    page = login(sourcing)
    paths = ["/cmos/registry/", entry.get_absolute_url()]
    assert check_pages(page, live_server.url, paths) == {}
