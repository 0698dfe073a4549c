"""QA keeps a site's certificate register and reads a planned audit's briefing."""

import datetime

import pytest
from playwright.sync_api import expect

from audits.models import ChecklistTemplate
from tests.browser.test_accessibility import serious_violations
from tests.factories import CitationFactory, RegulatoryEventFactory, SiteFactory, make_audit
from vendors.models import Classification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_adds_a_certificate_and_reads_the_briefing_of_a_planned_audit(live_server, login, qa):
    site = SiteFactory(name="Ringaskiddy", country="IE")
    inspection = RegulatoryEventFactory(
        site=site,
        classification=Classification.VAI,
        event_date=datetime.date.today() - datetime.timedelta(days=300),
    )
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 211.192",
        short_description="Investigations of discrepancies",
    )
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 820.100(a)",
        short_description="CAPA procedures for the device constituent",
    )
    version = ChecklistTemplate.objects.get(name="GMP site audit").versions.get(number=1)
    audit = make_audit(
        site=site,
        version=version,
        lead=qa,
        planned_start=datetime.date.today() + datetime.timedelta(days=20),
        planned_end=datetime.date.today() + datetime.timedelta(days=22),
    )

    page = login(qa)
    page.goto(f"{live_server.url}{site.get_absolute_url()}")
    certificates = page.locator("#certificates")
    expect(certificates).to_contain_text("No certificates recorded.")
    certificates.get_by_role("button", name="Add a certificate").click()
    page.get_by_label("Kind").select_option(label="GMP certificate")
    page.get_by_label("Number").fill("IE/GMP/2026/0117")
    page.get_by_label("Issuer").fill("HPRA")
    issued = datetime.date.today() - datetime.timedelta(days=700)
    page.get_by_label("Issued on").fill(issued.isoformat())
    until = datetime.date.today() + datetime.timedelta(days=25)
    page.get_by_label("Valid until").fill(until.isoformat())
    page.get_by_label("Certificate file").set_input_files(
        {"name": "gmp-2026.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 scan"}
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("added to Ringaskiddy's certificates")

    page.reload()
    row = page.locator("#certificates tbody tr").first
    expect(row).to_contain_text("GMP certificate")
    expect(row).to_contain_text("IE/GMP/2026/0117")
    expect(row).to_contain_text("expires in 25 days")
    expect(row.get_by_role("link", name="gmp-2026.pdf")).to_be_visible()
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 820, "height": 1180})
    # No sideways scroll at tablet width: a wide table scrolls inside its card.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The site's audits, and the planned one's briefing.
    audits = page.locator("#audits")
    expect(audits.get_by_role("button", name="Plan an audit")).to_be_visible()
    audits.get_by_role("link", name=audit.reference).click()
    briefing = page.locator("#briefing")
    expect(briefing.get_by_role("heading", name="Pre-audit briefing")).to_be_visible()
    expect(briefing).to_contain_text("Subpart J: Records and reports")
    expect(briefing).to_contain_text("Investigations of discrepancies")
    expect(briefing).to_contain_text("Other (outside 21 CFR 211)")
    expect(briefing).to_contain_text("21 CFR 820.100(a)")
    expect(briefing).to_contain_text("Deviations, CAPA and change control")
    assert serious_violations(page) == []
    page.set_viewport_size({"width": 820, "height": 1180})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
