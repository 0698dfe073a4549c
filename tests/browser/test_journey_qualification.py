"""QA's journey through the audit program on the demo data: open it, plan the most overdue
site's requalification audit from it (the form comes prefilled), and find the planned audit in
the program after a reload."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_plans_the_most_overdue_requalification_from_the_audit_program(
    live_server, demo, login_demo, page
):
    page.set_viewport_size({"width": 1280, "height": 900})
    login_demo(demo["qa"])
    page.get_by_role("navigation").get_by_role("link", name="Qualification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit program")
    first = page.locator("#program tbody tr").first
    expect(first).to_contain_text("overdue")
    site = first.get_by_role("link").first.inner_text()
    first.get_by_role("link", name=f"Plan audit of {site}").click()

    expect(page.get_by_label("Type")).to_have_value("requalification")
    expect(page.get_by_label("Scope")).to_have_value(re.compile("Requalification audit"))
    expect(page.get_by_role("radio", name=re.compile(re.escape(site)))).to_be_checked()
    page.get_by_label("Planned start").fill("2027-02-01")
    page.get_by_label("Planned end").fill("2027-02-03")
    page.get_by_role("button", name="Plan the audit").click()
    expect(page.locator(".messages")).to_contain_text("planned")
    reference = re.search(r"AUD-\d+", page.get_by_role("heading", level=1).inner_text()).group()

    page.get_by_role("navigation").get_by_role("link", name="Qualification").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("program")
    page.reload()
    row = page.locator("#program tbody tr").filter(has_text=site)
    expect(row.get_by_role("link", name=reference)).to_be_visible()
    expect(row).to_contain_text("2027-02-01")
