"""Sourcing's journey on the demo data, through what a person sees: the directory, a needs
search, an evaluation started from it, entered scores, what-if weights saved for this
evaluation alone, and the scores exported."""

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from scoring.models import Evaluation, ScoringModel
from tests.browser.test_accessibility import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAME = "ABX-310 mAb fill-finish"


@pytest.fixture
def demo():
    call_command("seed_demo", "--with-users", stdout=io.StringIO())
    shared = ScoringModel.objects.get(is_default=True)
    return shared, list(shared.versions.values_list("number", flat=True))


def _log_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sourcing")
    page.get_by_label("Password").fill("sourcing-demo-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def _results_on_first_screen(page, width, height, shots):
    page.set_viewport_size({"width": width, "height": height})
    page.screenshot(path=str(shots / f"needs-search-{width}.png"))
    first = page.locator("#full-matches article").first.bounding_box()
    assert first["y"] + 120 <= height, f"the first result starts at {first['y']} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_sourcing_finds_cmos_for_a_need_evaluates_them_and_exports_the_scores(
    live_server, page, demo, tmp_path
):
    shared, versions = demo
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, live_server)

    # The directory, filtered.
    page.get_by_role("link", name="CMOs", exact=True).click()
    rows = page.locator("#results tbody tr")
    page.get_by_label("Search").fill("Beacon")
    expect(rows.filter(has_text="Beacon Sterile Solutions S.L.")).to_have_count(1)
    page.get_by_label("Status").click()
    page.get_by_role("group", name="Status").get_by_role(
        "checkbox", name="Approved", exact=True
    ).check()
    expect(page).to_have_url(re.compile(r"status=approved"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Beacon Sterile Solutions S.L.")
    page.keyboard.press("Escape")  # closes the dropdown

    # The needs search: two needs, one site that meets both.
    page.get_by_role("link", name="Capabilities", exact=True).click()
    page.get_by_role("button", name="Needs search").click()
    page.get_by_label("Need 1", exact=True).select_option(label="Sterile liquid vials")
    page.get_by_role("button", name="Add a need").click()
    page.get_by_label("Need 2", exact=True).select_option(
        label="Monoclonal antibodies and recombinant proteins"
    )
    page.get_by_label("Need 2 minimum level").select_option(label="at least claimed")
    page.get_by_role("button", name="Add a need").click()
    expect(page.get_by_label("Need 3", exact=True)).to_be_focused()
    page.get_by_role("button", name="Remove need 3").click()
    expect(page.locator("#needs-form [data-need-row]")).to_have_count(2)
    expect(page.get_by_label("All needs at one site")).to_be_checked()
    page.get_by_role("button", name="Search", exact=True).click()
    full = page.locator("#full-matches")
    expect(full.get_by_role("heading")).to_contain_text(re.compile(r"Meet every need: \d+ CMOs"))
    expect(full).to_contain_text("Rule: all needs at one site")
    beacon = full.locator("article").filter(has_text="Beacon Sterile Solutions S.L.")
    expect(beacon).to_contain_text("All needs at one site")
    expect(beacon.get_by_role("columnheader", name=re.compile("Beacon Barcelona"))).to_be_visible()
    assert serious_violations(page) == []
    _results_on_first_screen(page, 1280, 900, tmp_path)
    _results_on_first_screen(page, 820, 1180, tmp_path)
    page.set_viewport_size({"width": 1280, "height": 900})

    # An evaluation from the results, with Beacon as a candidate.
    page.get_by_label("Choose Beacon Sterile Solutions S.L.").check()
    page.get_by_role("button", name="Start an evaluation with these needs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New evaluation")
    expect(page.get_by_label("Beacon Sterile Solutions S.L.")).to_be_checked()
    expect(page.locator("#id_needs-1-capability option:checked")).to_have_text(
        "Monoclonal antibodies and recombinant proteins"
    )
    page.get_by_label("Name").fill(NAME)
    page.get_by_label("Product").fill("ABX-310")
    page.get_by_label("Phase").select_option("phase_3")
    page.get_by_role("button", name="Create evaluation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    table = page.locator("#score-table tbody tr")
    expect(table).to_have_count(1)

    # One more candidate, found by name.
    page.get_by_label("Find a CMO").fill("Bright Biologics")
    page.get_by_role("button", name="Find").click()
    by_name = page.locator("#add-candidates form").last  # under "By name"
    by_name.get_by_label(re.compile("Bright Biologics GmbH")).check()
    by_name.get_by_role("button", name="Add selected").click()
    expect(table).to_have_count(2)
    expect(page.locator("#scores")).not_to_contain_text("Recomputing")

    # A price and two ratings on Beacon's page.
    table.filter(has_text="Beacon Sterile Solutions S.L.").get_by_role(
        "link", name="Beacon Sterile Solutions S.L."
    ).click()
    page.get_by_label("Cost per unit: price per unit").fill("9.80")
    page.get_by_label("Justification of cost per unit").fill("Quote Q-310, 2026-11")
    page.get_by_role("button", name="Save cost per unit").click()
    expect(page.locator("#entry-cost")).to_contain_text("9.80 per unit: Quote Q-310, 2026-11")
    page.get_by_label("Communication and project management: rating (1–5)").fill("4")
    page.get_by_label("Justification of communication and project management").fill(
        "Answers within a day"
    )
    page.get_by_role("button", name="Save communication and project management").click()
    page.get_by_label("Financial stability: rating (1–5)").fill("5")
    page.get_by_label("Justification of financial stability").fill("2025 accounts")
    page.get_by_role("button", name="Save financial stability").click()
    expect(page.locator("#entry-financial_stability")).to_contain_text("Rated 5 of 5")

    # What if supply risk counted for nothing? Saved for this evaluation only.
    page.get_by_role("link", name=NAME).first.click()
    page.get_by_label("Weight of Supply risk").fill("0")
    page.get_by_label("Weight of Capacity fit").fill("20")
    expect(page.locator("#weight-sum")).not_to_contain_text("saving needs exactly 100")
    page.get_by_label("Why the weights change").fill("One site makes it: supply risk moot")
    page.get_by_role("button", name="Save weights for this evaluation").click()
    expect(page.locator("#version-in-use")).to_contain_text(f"Weights for {NAME} v1")
    expect(page.locator("#scores")).not_to_contain_text("Recomputing")

    # The scores as CSV and XLSX.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename.endswith(".csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    names = {cell for row in csv.reader(io.StringIO(text)) for cell in row}
    assert {"Beacon Sterile Solutions S.L.", "Bright Biologics GmbH"} <= names
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row}
    assert "Beacon Sterile Solutions S.L." in cells

    # After a reload: the candidates, the weights of this evaluation, their reason.
    page.reload()
    expect(table).to_have_count(2)
    expect(page.locator("#version-in-use")).to_contain_text(f"Weights for {NAME} v1")
    expect(page.locator("#version-in-use")).to_contain_text("saved for this evaluation only")
    expect(page.locator("#history")).to_contain_text("One site makes it: supply risk moot")
    page.get_by_role("link", name="Beacon Sterile Solutions S.L.").first.click()
    expect(page.locator("#entry-cost")).to_be_visible()
    page.reload()
    expect(page.locator("#entry-cost")).to_contain_text("9.80 per unit")
    expect(page.locator("#entry-communication")).to_contain_text("Rated 4 of 5")

    # The shared model is as it was: no new version, the other evaluations untouched.
    page.goto(f"{live_server.url}{shared.get_absolute_url()}")
    expect(page.locator("#versions tbody tr")).to_have_count(len(versions))
    assert list(shared.versions.values_list("number", flat=True)) == versions
    evaluation = Evaluation.objects.get(name=NAME)
    assert not evaluation.model_version.scoring_model.is_shared
    others = Evaluation.objects.exclude(pk=evaluation.pk)
    assert all(e.model_version.scoring_model_id == shared.pk for e in others if e.model_version)
