import importlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECRS = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "fda"
    / "decrs_drug_establishments_sample.xlsx"
)


@pytest.fixture
def taxonomy():
    """Transactional tests flush the database, taking the migrated taxonomy with it."""
    from django.apps import apps

    importlib.import_module("vendors.migrations.0005_capability_taxonomy").forwards(apps, None)


def test_a_manager_imports_registrations_and_finds_the_site_in_the_matrix(
    live_server, login, manager, taxonomy
):
    page = login(manager)
    page.get_by_role("link", name="Capabilities").click()
    page.get_by_role("button", name="FDA imports").click()
    page.get_by_label("FDA export (.csv or .xlsx)").set_input_files(DECRS)
    page.get_by_role("button", name="Upload and preview").click()

    preview = page.locator("#preview-counts")
    expect(preview).to_contain_text("Create")
    expect(preview.locator("tr", has_text="Create").locator("td")).to_have_text("34")
    expect(preview.locator("tr", has_text="Skip")).to_contain_text("6")
    expect(page.locator("#row-errors")).to_contain_text("FEI Number is blank or all zeros")

    page.get_by_role("button", name="Commit the import").click()
    expect(page.locator("#result-counts")).to_contain_text("34")
    expect(page.locator("#import-status h2")).to_contain_text("Imported")

    page.get_by_role("link", name="Open the capability matrix").click()
    page.get_by_label("Search").fill("405")
    row = page.locator("#matrix tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("VANTIVE MANUFACTURING LIMITED")
    expect(row).to_contain_text("ANALYSIS; API MANUFACTURE; LABEL; MANUFACTURE; PACK; STERILIZE")
    expect(row.locator("td.lvl-1")).to_have_count(6)
