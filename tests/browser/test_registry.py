"""The registry journey: import the registrations and their inspections, search the registry,
add two establishments to the directory, find them there with their history."""

import importlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FDA = Path(__file__).resolve().parent.parent / "fixtures" / "fda"
DECRS = FDA / "decrs_drug_establishments_sample.xlsx"
INSPECTIONS = FDA / "inspections_classification_sample.csv"


@pytest.fixture
def taxonomy():
    """Transactional tests flush the database, taking the migrated taxonomy with it."""
    from django.apps import apps

    importlib.import_module("vendors.migrations.0005_capability_taxonomy").forwards(apps, None)


@pytest.fixture
def inspections(tmp_path) -> Path:
    """The inspections sample, its first two establishments moved to two registered FEIs."""
    text = INSPECTIONS.read_text()
    text = text.replace("3003774440,", "405,").replace("3030120006,", "360,")
    path = tmp_path / INSPECTIONS.name
    path.write_text(text)
    return path


def import_file(page, path: Path) -> None:
    page.get_by_role("link", name="Capabilities").click()
    page.get_by_role("button", name="FDA imports").click()
    page.get_by_label("FDA export (.csv or .xlsx)").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name="Commit the import").click()
    expect(page.locator("#import-status h2")).to_contain_text("Imported")


def test_sourcing_adds_two_registered_establishments_and_finds_them_with_their_history(
    live_server, login, manager, sourcing, taxonomy, inspections
):
    page = login(manager)
    import_file(page, DECRS)
    import_file(page, inspections)
    page.get_by_role("navigation").get_by_role("link", name="CMOs", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("0 CMOs")  # the directory is untouched
    page.get_by_role("button", name="Log out").click()

    page = login(sourcing)
    page.get_by_role("link", name="FDA registry").click()
    # 34 registered, and the 3 other inspected FEIs, known from the inspections only.
    expect(page.locator("#result-count")).to_have_text("37 establishments")
    page.get_by_label("Search").fill("vantive")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)  # two establishments of the registrant Vantive
    castlebar = rows.filter(has=page.get_by_role("cell", name="405", exact=True))
    expect(castlebar).to_contain_text("Castlebar")
    expect(castlebar.locator("td.num")).to_have_text("100")  # its NAI inspection costs nothing
    page.get_by_label("Search").fill("")
    page.get_by_label("Registered operation").select_option("API MANUFACTURE")
    page.get_by_label("Rows").select_option("50")
    expect(page).to_have_url(re.compile(r"operation=API%20MANUFACTURE.*per_page=50"))
    page.get_by_label("Choose VANTIVE MANUFACTURING LIMITED (FEI 405)").check()
    page.get_by_label("Choose DSP (FEI 360)").check()
    page.get_by_label("Why add them").fill("Candidates for the API sourcing project")
    page.get_by_role("button", name="Add to directory").click()
    expect(page.get_by_text("In the directory:")).to_contain_text("VANTIVE MANUFACTURING LIMITED")

    page.reload()
    for firm in ("VANTIVE MANUFACTURING LIMITED", "DSP"):
        row = page.locator("#results tbody tr", has=page.get_by_role("link", name=firm, exact=True))
        expect(row).to_contain_text("In the directory")

    page.get_by_role("navigation").get_by_role("link", name="CMOs", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("2 CMOs")
    page.get_by_role("link", name="Vantive US Healthcare LLC").click()
    page.get_by_role("link", name="VANTIVE MANUFACTURING LIMITED").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VANTIVE MANUFACTURING LIMITED")
    expect(page.locator("#regulatory .timeline")).to_contain_text("Inspection")
    expect(page.locator("#compliance-signal")).to_contain_text("100")
    expect(page.locator("#capabilities")).to_contain_text("Sterilization")
    expect(page.locator("#history")).to_contain_text("Candidates for the API sourcing project")

    page.get_by_role("navigation").get_by_role("link", name="CMOs", exact=True).click()
    page.get_by_role("link", name="DSP", exact=True).click()
    page.get_by_role("link", name="DSP", exact=True).last.click()
    expect(page.locator("#regulatory .timeline")).to_contain_text("VAI")
    expect(page.locator("#compliance-signal")).to_contain_text("92")


def test_the_needs_search_finds_registered_establishments_and_adds_them_to_the_directory(
    live_server, login, manager, sourcing, taxonomy
):
    page = login(manager)
    import_file(page, DECRS)
    page.get_by_role("button", name="Log out").click()

    page = login(sourcing)
    page.get_by_role("link", name="Capabilities").click()
    page.get_by_role("button", name="Needs search").click()
    page.get_by_label("Need 1", exact=True).select_option(label="Sterilization")
    page.get_by_role("button", name="Add a need").click()
    page.get_by_label("Need 2", exact=True).select_option(label="Packaging")
    for need in ("Need 1", "Need 2"):
        page.get_by_label(f"{need} minimum level").select_option(label="at least claimed")
    page.get_by_label("Also search the FDA registry").check()
    page.get_by_role("button", name="Search", exact=True).click()
    found = page.locator("#registry-matches")
    expect(found.get_by_role("heading", level=2).first).to_have_text(
        "In the FDA registry, not in the directory: 13"
    )
    # Three claim both (STERILIZE, and PACK or REPACK) and come first; ten only pack.
    expect(found).to_contain_text("3 claim every need, 10 some.")
    rows = found.locator("tbody tr")
    expect(rows).to_have_count(13)
    expect(rows.nth(2)).to_contain_text("All 2")
    expect(rows.nth(3)).to_contain_text("1 of 2")
    expect(rows.first).to_contain_text("Not in the directory")
    expect(rows.first).to_contain_text("Sterilization (sterilize)")
    expect(page.locator("#full-matches h2")).to_have_text("Meet every need: 0 CMOs")

    page.get_by_label("Choose VANTIVE MANUFACTURING LIMITED (FEI 405)").check()
    page.get_by_label("Choose Refurbco, Inc (FEI 1000204734)").check()
    page.get_by_role("button", name="Add to directory").click()
    # The reason is required: the browser holds the form back until it is given.
    assert page.get_by_label("Why add them").evaluate("field => field.validity.valueMissing")
    page.get_by_label("Why add them").fill("Sterile packaging candidates")
    page.get_by_role("button", name="Add to directory").click()
    expect(page.locator(".messages")).to_contain_text(
        "In the directory: Refurbco, Inc; VANTIVE MANUFACTURING LIMITED."
    )

    page.reload()
    expect(page.get_by_label("Also search the FDA registry")).to_be_checked()
    expect(page.locator("#registry-matches tbody tr")).to_have_count(11)
    # Their registered operations are now claimed capabilities of their sites.
    full = page.locator("#full-matches")
    expect(full.locator("h2")).to_have_text("Meet every need: 2 CMOs")
    expect(full.get_by_role("link", name="Vantive US Healthcare LLC")).to_be_visible()
    expect(full.get_by_role("link", name="Refurbco, Inc", exact=True)).to_have_count(2)  # CMO, site
    full.get_by_role("link", name="Refurbco, Inc", exact=True).last.click()
    expect(page.locator("#history")).to_contain_text("Sterile packaging candidates")
