import csv
import importlib
import io
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


def test_a_manager_imports_registrations_and_finds_them_in_the_registry(
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

    page.get_by_role("link", name="Open the FDA registry").click()
    page.get_by_label("Search").fill("405")
    row = page.locator("#results tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("VANTIVE MANUFACTURING LIMITED")
    expect(row).to_contain_text("ANALYSIS; API MANUFACTURE; LABEL; MANUFACTURE; PACK; STERILIZE")


def problem_file(tmp_path: Path) -> Path:
    """The real compliance actions sample four times over: 72 rows with a blank FEI, 24 whose
    action date is not a date, 24 good ones."""
    header, *rows = (
        (DECRS.parent / "compliance_actions_drug_bio_sample.csv").read_text().splitlines()
    )
    lines = [header]
    for k in range(120):
        cells = next(csv.reader([rows[k % len(rows)]]))
        if k % 5 < 3:
            cells[0] = "0000000000"
        elif k % 5 == 3:
            cells[5] = "16th of July"
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(cells)
        lines.append(buffer.getvalue())
    path = tmp_path / "compliance_actions.csv"
    path.write_text("\n".join(lines))
    return path


def test_a_manager_reads_an_imports_problems_by_reason_and_downloads_them(
    live_server, login, manager, tmp_path
):
    page = login(manager)
    page.get_by_role("link", name="Capabilities").click()
    page.get_by_role("button", name="FDA imports").click()
    page.get_by_label("FDA export (.csv or .xlsx)").set_input_files(problem_file(tmp_path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#preview-counts")).to_contain_text("Skip")
    page.reload()

    groups = page.locator("#row-errors details")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator("summary")).to_have_text(
        "FEI Number is blank or all zeros — 72 rows"
    )
    expect(groups.nth(1).locator("summary")).to_have_text(
        "Action Taken Date is not a date — 24 rows"
    )
    fei_rows = groups.nth(0).locator("tbody tr")
    expect(fei_rows.first).not_to_be_visible()  # closed until opened
    groups.nth(0).locator("summary").click()
    expect(fei_rows).to_have_count(50)
    expect(fei_rows.first).to_be_visible()
    expect(groups.nth(0)).to_contain_text("Rows 1–50 of 72")
    groups.nth(0).get_by_role("link", name="Next rows →").click()
    expect(groups.nth(0)).to_contain_text("Rows 51–72 of 72")
    expect(fei_rows).to_have_count(22)
    groups.nth(0).get_by_role("link", name="← Previous rows").click()
    expect(groups.nth(0)).to_contain_text("Rows 1–50 of 72")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download problems (CSV)").click()
    assert download.value.suggested_filename.endswith("-problems.csv")
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert lines[0] == ["row", "reason", "field", "value", "message"]
    assert len(lines) == 1 + 96
    assert sum(line[1] == "Action Taken Date is not a date" for line in lines) == 24
