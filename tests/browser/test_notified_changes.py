"""QA records a change the CMO notified, assesses it, and sees it weigh in the site's risk."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from qualification.models import SiteQualification
from tests.browser.test_accessibility import serious_violations
from tests.factories import SiteFactory
from tests.qualification.conftest import approve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 820])
def test_qa_records_and_assesses_a_notified_change(live_server, login, qa, reviewer, width):
    site = SiteFactory(name="Ringaskiddy", country="IE")
    today = datetime.date.today()
    approve(site, qa, reviewer, end=today - datetime.timedelta(days=200))
    entry = SiteQualification.objects.get(site=site)

    page = login(qa)
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{live_server.url}{site.get_absolute_url()}")
    card = page.locator("#notified-changes")
    expect(card).to_contain_text("No changes notified.")
    card.get_by_role("button", name="Record a change").click()

    # A date still to come is refused beside the field, and what was typed stays.
    expect(page.get_by_label("Notified on")).to_have_value(today.isoformat())
    page.get_by_label("Notified on").fill((today + datetime.timedelta(days=3)).isoformat())
    page.get_by_label("What changed").fill("Second freeze-dryer on the filling line")
    page.get_by_label("Category").select_option(label="Facility or equipment")
    page.get_by_label("Major").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The date is in the future.")).to_be_visible()
    expect(page.get_by_label("What changed")).to_have_value(
        "Second freeze-dryer on the filling line"
    )
    page.get_by_label("Notified on").fill((today - datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("recorded for Ringaskiddy")

    page.reload()
    row = page.locator("#notified-changes tbody tr").first
    expect(row).to_contain_text("Second freeze-dryer on the filling line")
    expect(row).to_contain_text("Major")
    expect(row).to_contain_text("counts in its risk class")
    expect(row).to_contain_text("Awaiting assessment")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_violations(page) == []

    # QA assesses it: the notes are required, the reason is kept in its history.
    row.get_by_role("link", name="Assess Second freeze-dryer on the filling line").click()
    page.get_by_label("QA assessment").select_option(label="Accepted, to verify at an audit")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Say what the assessment concluded and why.")).to_be_visible()
    page.get_by_label("Assessment notes").fill("Verify the PQ of the new freeze-dryer on site.")
    page.get_by_label("Reason for change").fill("QA assessment of CN-2026-031")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    page.reload()
    expect(page.locator("#notified-changes tbody tr").first).to_contain_text(
        "Accepted, to verify at an audit"
    )

    # The entry on the approved supplier list counts it in its risk breakdown.
    page.goto(f"{live_server.url}{entry.get_absolute_url()}")
    page.get_by_text("How the risk class is calculated").click()
    factor = page.get_by_role("row", name=re.compile("Changes the CMO notified"))
    expect(factor).to_contain_text("1 major, 0 minor since the last audit")
    expect(factor.get_by_role("cell").nth(1)).to_have_text("3")
