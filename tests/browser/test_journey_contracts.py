"""A contract manager's journey on the demo data, through what they see: a master services
agreement, a statement of work under it with its milestones, and the renewals dashboard."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def move_status(page, label: str, reason: str):
    status = page.locator("#status")
    status.get_by_text("Change status").click()
    status.get_by_label("New status").select_option(label=label)
    status.get_by_label("Reason").fill(reason)
    status.get_by_role("button", name="Record status change").click()
    expect(page.locator("#status")).to_contain_text(label)


def test_sourcing_records_an_msa_and_a_statement_of_work_and_sees_them_on_the_dashboard(
    live_server, demo, login_demo, page
):
    page.set_viewport_size({"width": 1280, "height": 900})
    login_demo(demo["sourcing"])
    page.get_by_role("link", name="Contracts", exact=True).click()
    page.get_by_role("button", name="Add a contract").click()
    page.get_by_role("searchbox", name="CMO").fill("Harbor")
    page.get_by_role("radio", name=re.compile("Harbor Biologics Ltd")).check()
    expect(page.get_by_label("Harbor Cork")).to_be_visible()  # the CMO's sites, loaded by htmx
    page.get_by_label("Harbor Cork").check()
    page.get_by_label("Type").select_option(label="Master services agreement")
    page.get_by_label("Title").fill("Harbor master services 2027")
    page.get_by_label("Reference").fill("MSA-HB-2027")
    page.get_by_label("Signed on").fill(day(-10))
    page.get_by_label("Effective date").fill(day(-5))
    page.get_by_label("Expiry date").fill(day(60))
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Harbor master services 2027")
    msa_url = page.url
    move_status(page, "In negotiation", "Terms sent to Harbor")
    move_status(page, "Active", "Signed by both parties")

    page.get_by_role("button", name="Add a statement of work").click()
    page.get_by_label("Title").fill("Harbor SOW 1: ABX-101 technology transfer")
    page.get_by_label("Reference").fill("SOW-HB-001")
    page.get_by_role("button", name="Add contract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Harbor SOW 1: ABX-101 technology transfer"
    )
    expect(page.locator("main")).to_contain_text("Harbor master services 2027")
    sow_url = page.url

    page.get_by_role("link", name="Edit milestones").click()
    page.get_by_label("Name, row 1").fill("Engineering batch")
    page.get_by_label("Planned date, row 1").fill(day(-3))
    page.get_by_label("Name, row 2").fill("PPQ batches released")
    page.get_by_label("Planned date, row 2").fill(day(120))
    page.get_by_label("Reason").fill("Plan agreed at the kick-off")
    page.get_by_role("button", name="Save milestones").click()
    expect(page).to_have_url(re.compile(re.escape(sow_url)))
    move_status(page, "In negotiation", "Milestones under review with Harbor")

    page.reload()
    milestones = page.locator("#milestones")
    expect(milestones).to_contain_text("Engineering batch")
    expect(milestones).to_contain_text("PPQ batches released")
    page.goto(msa_url)
    expect(page.locator("main")).to_contain_text("Harbor SOW 1: ABX-101 technology transfer")

    page.get_by_role("banner").get_by_role("link", name="Contracts", exact=True).click()
    page.get_by_role("button", name="Renewals and milestones").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Renewals and milestones")
    page.reload()
    expiring = page.locator("section").filter(
        has=page.get_by_role("heading", name=re.compile("Expiring within 90 days"))
    )
    expect(expiring).to_contain_text("Harbor master services 2027")
    late = page.locator("section").filter(
        has=page.get_by_role("heading", name=re.compile("Late milestones"))
    )
    expect(late).to_contain_text("Engineering batch")
    expect(late).not_to_contain_text("PPQ batches released")
