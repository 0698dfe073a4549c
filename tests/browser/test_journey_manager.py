"""A manager's journey on the demo data, through what the manager sees: a comparison report of
several candidates, downloaded, then the decision signed off with an electronic signature."""

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from vendors.demo import DEMO_PASSWORD_SUFFIX

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPARED = ["Harbor Biologics Ltd", "Beacon Sterile Solutions S.L.", "Delta Sterile Solutions Ltd"]


def test_a_manager_compares_candidates_downloads_the_report_and_signs_off_the_decision(
    live_server, demo, login_demo, page, tmp_path
):
    page.set_viewport_size({"width": 1280, "height": 900})
    login_demo(demo["manager"])
    page.get_by_role("link", name="Evaluations", exact=True).click()
    page.get_by_role("link", name="ABX-101 fill-finish (demo)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Open")
    evaluation_url = page.url

    reports = page.locator("#reports")
    for box in reports.get_by_role("checkbox").all():
        box.uncheck()
    for name in COMPARED:
        reports.get_by_label(name).check()
    reports.get_by_role("button", name="Create PDF report").click()
    expect(page.locator(".messages")).to_contain_text("The comparison report is being rendered.")
    mine = page.locator("#reports li").filter(has_text="by Mei Tanaka").first
    download = mine.get_by_role("link", name="Download PDF")
    expect(download).to_be_visible(timeout=45_000)  # the status polls until the worker is done
    expect(mine).to_contain_text("Ready")
    with page.expect_download() as info:
        download.click()
    path = tmp_path / "comparison.pdf"
    info.value.save_as(path)
    text = "".join(p.extract_text() for p in PdfReader(path).pages)
    for name in COMPARED:
        assert name in text
    assert "Juniper Biologics" not in text

    page.get_by_role("button", name="Sign off the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign off the decision")
    selected = page.get_by_label("Selected CMO:", exact=True)
    harbor = selected.locator("option", has_text="Harbor Biologics Ltd")
    expect(harbor).to_contain_text("rank 1")
    selected.select_option(harbor.get_attribute("value"))
    page.get_by_label("I select this CMO for the evaluation's product").check()
    page.get_by_label("Reasons for the decision").fill(
        "Best total score; capacity and compliance fit the launch plan."
    )
    page.get_by_label("Qualification status of the selected CMO").select_option(
        label="Leave the qualification status as it is"
    )
    page.get_by_label("Your password").fill(f"manager{DEMO_PASSWORD_SUFFIX}")
    page.get_by_role("button", name="Sign decision").click()

    expect(page).to_have_url(evaluation_url)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided")
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Harbor Biologics Ltd selected.")
    expect(decision).to_contain_text("Best total score; capacity and compliance fit")
    expect(decision).to_contain_text("Signed electronically by Mei Tanaka")
    expect(page.get_by_role("button", name="Sign off the decision")).to_have_count(0)
    expect(page.locator("#reports li").filter(has_text="by Mei Tanaka").first).to_contain_text(
        "Ready"
    )
