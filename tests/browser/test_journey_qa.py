"""A QA auditor's journey on the demo data, through what the auditor sees: plan an audit, fill it
out (partly on a tablet), attach evidence, raise a finding with its CAPA, send it to review; a
second QA person signs it and downloads the PDF report."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1280, "height": 900}


def question(page, text: str):
    """A checklist question's block, found by the question as the auditor reads it."""
    return page.get_by_role("article").filter(has_text=text)


def answer_section(page, answers: dict[str, str]):
    for text, value in answers.items():
        block = question(page, text)
        block.get_by_role("group", name=text).get_by_label(value, exact=True).check()
        expect(block.get_by_role("status")).to_contain_text("Saved")


def test_qa_plans_fills_out_and_signs_an_audit_and_downloads_its_report(
    live_server, demo, login, login_demo, reviewer, page, tmp_path
):
    page.set_viewport_size(DESKTOP)
    login_demo(demo["qa"])
    page.get_by_role("link", name="Audits", exact=True).click()
    page.get_by_role("button", name="Plan an audit").click()
    page.get_by_role("searchbox", name="Site").fill("Dublin")
    page.get_by_role("radio", name=re.compile("Alder Dublin")).check()
    page.get_by_label("Type").select_option(label="Qualification")
    page.get_by_label("Planned start").fill("2027-01-11")
    page.get_by_label("Planned end").fill("2027-01-12")
    page.get_by_label("Lead auditor").select_option(label="Quentin Adeyemi")
    page.get_by_label("Scope").fill("Oral solid dose line and QC laboratory")
    page.get_by_label("Tablets", exact=True).check()
    page.get_by_role("button", name="Plan the audit").click()
    expect(page.locator(".messages")).to_contain_text("planned")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Alder Dublin")
    reference = re.search(r"AUD-\d+", heading.inner_text()).group()
    audit_url = page.url

    page.get_by_label("Next step").select_option(label="In progress")
    page.get_by_role("button", name="Move on").click()
    expect(page.locator(".messages")).to_contain_text(f"{reference} is now In progress")

    # Starting the audit opens its checklist. Section 2 at the desk, with a comment and a photo.
    expect(page.get_by_role("heading", level=1)).to_have_text("Checklist · Alder Dublin")
    page.get_by_role("navigation", name="Checklist sections").get_by_role(
        "link", name=re.compile(r"2\. Personnel and training")
    ).click()
    expect(page.get_by_role("heading", name="2. Personnel and training")).to_be_visible()
    blocks = page.get_by_role("article")
    expect(blocks).to_have_count(7)
    for index in range(7):
        block = blocks.nth(index)
        group = block.get_by_role("group")
        if group.get_by_label("Yes", exact=True).count():
            group.get_by_label("Yes", exact=True).check()
        else:
            group.get_by_label("3", exact=True).check()
        expect(block.get_by_role("status")).to_contain_text("Saved")
    first = blocks.first
    first.get_by_label("Comment").fill("Training matrix TRN-004 rev 3 seen")
    first.get_by_label("Comment").press("Tab")
    expect(first.get_by_role("status")).to_contain_text("Saved")
    first.get_by_text("Attach evidence").click()
    first.get_by_label(re.compile("Evidence file")).set_input_files(
        {
            "name": "training-matrix.png",
            "mimeType": "image/png",
            "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64),
        }
    )
    first.get_by_role("button", name="Upload").click()
    expect(first).to_contain_text("training-matrix.png")

    # Section 12 on the shop floor, on a tablet; a "No" becomes a major finding with its CAPA.
    page.set_viewport_size(TABLET)
    page.get_by_role("navigation", name="Checklist sections").get_by_role(
        "link", name=re.compile(r"12\. Complaints and recalls")
    ).click()
    expect(page.get_by_role("heading", name="12. Complaints and recalls")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    blocks = page.get_by_role("article")
    expect(blocks).to_have_count(5)
    for index in range(5):
        block = blocks.nth(index)
        group = block.get_by_role("group")
        if index == 0:
            group.get_by_label("No", exact=True).check()
        elif group.get_by_label("Yes", exact=True).count():
            group.get_by_label("Yes", exact=True).check()
        else:
            group.get_by_label("2", exact=True).check()
        expect(block.get_by_role("status")).to_contain_text("Saved")
    blocks.first.get_by_role("link", name="Raise a finding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a finding")
    page.get_by_role("radio", name=re.compile("Major")).check()
    page.get_by_label("Title").fill("Complaint trending not performed")
    page.get_by_label("Requirement cited").fill("21 CFR 211.198")
    page.get_by_label("Description").fill("No complaint trend report since 2025.")
    page.get_by_label("CAPA due date").fill("2027-02-28")
    page.get_by_role("button", name="Raise the finding").click()
    expect(page.get_by_role("heading", name="12. Complaints and recalls")).to_be_visible()
    expect(page.get_by_role("article").first).to_contain_text("F01")

    page.get_by_role("button", name="Audit overview").click()
    findings = page.locator("#findings")
    findings.get_by_role("link", name="F01").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Complaint trending")
    page.get_by_label("Root cause").fill("Trending SOP never assigned an owner")
    page.get_by_label("Corrective action").fill("Trend 2025-2026 complaints")
    page.get_by_label("Preventive action").fill("Quarterly trend in management review")
    page.get_by_role("button", name="Record response").click()
    capa = page.locator("#capa")
    expect(capa).to_contain_text("Response received")
    expect(capa).to_contain_text("due 2027-02-28")

    # Sent to review with most sections still to do: the reason goes with it.
    page.goto(audit_url)
    page.get_by_label("Next step").select_option(label="In review")
    page.get_by_label("Justification for unanswered questions").fill(
        "Remote follow-up covers the other sections."
    )
    page.get_by_role("button", name="Move on").click()
    expect(page.locator(".messages")).to_contain_text(f"{reference} is now In review")
    expect(page.locator("#own-audit")).to_be_visible()  # the lead auditor cannot sign it

    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    login(reviewer)
    page.goto(audit_url)
    page.get_by_role("button", name="Approve or reject…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Approve with conditions").check()
    dialog.get_by_label("Conditions of the approval").fill("Close F01 by its due date.")
    dialog.get_by_label(re.compile(r"F01 \(major\)")).check()
    dialog.get_by_label("Meaning of my signature").select_option("approved")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign").click()
    expect(page.locator(".messages")).to_contain_text("conditionally approved and signed")

    page.get_by_role("button", name="Render the PDF report").click()
    download = page.get_by_role("button", name="Download PDF")
    expect(download).to_be_visible(timeout=45_000)
    with page.expect_download() as info:
        download.click()
    path = tmp_path / "report.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{reference} · Alder Dublin")
    expect(page.locator(".sub")).to_contain_text("Conditionally approved")
    expect(page.locator("#signatures")).to_contain_text("Approved by Rowan Reviewer")
    expect(page.locator("#findings")).to_contain_text("Complaint trending not performed")
    expect(page.locator("#score")).to_contain_text("12 / 138")
    expect(page.get_by_role("button", name="Download PDF")).to_be_visible()
