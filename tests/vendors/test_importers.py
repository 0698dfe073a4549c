import csv
import datetime
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from tests.factories import SiteFactory
from vendors.compliance import compliance_for_sites
from vendors.models import (
    Capability,
    CapabilityLevel,
    Citation,
    Classification,
    Cmo,
    Establishment,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
    SiteCapability,
)

FDA = Path(__file__).resolve().parent.parent / "fixtures" / "fda"
DECRS = FDA / "decrs_drug_establishments_sample.xlsx"
INSPECTIONS = FDA / "inspections_classification_sample.csv"
CITATIONS = FDA / "inspections_citations_constructed.csv"
ACTIONS = FDA / "compliance_actions_drug_bio_sample.csv"
PUBLISHED = FDA / "published_483s_sample.xlsx"
RECALLS = FDA / "drug_recalls_sample.xlsx"

pytestmark = pytest.mark.django_db


def run(path, *args) -> dict:
    out = io.StringIO()
    call_command("import_fda", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def feis_of(path: Path, column: str = "FEI Number") -> list[str]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig") as handle:
            return [row[column] for row in csv.DictReader(handle)]
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    index = list(next(rows)).index(column)
    return [str(row[index]) for row in rows]


def sites_for(path: Path, column: str = "FEI Number") -> None:
    for fei in {f.lstrip("0") for f in feis_of(path, column) if f.strip("0")}:
        SiteFactory(fei_number=fei)


# ---------------------------------------------------------------- DECRS


def test_decrs_fills_the_registry_and_leaves_the_directory_as_it_was():
    summary = run(DECRS)
    assert summary["format"] == "decrs"
    assert summary["created"] == 34
    assert summary["skipped"] == 6
    assert {e["row"] for e in summary["errors"]} == {17, 18, 19, 20, 40, 41}
    assert all("blank or all zeros" in e["message"] for e in summary["errors"])
    assert (Cmo.objects.count(), Site.objects.count(), SiteCapability.objects.count()) == (0, 0, 0)

    entry = Establishment.objects.get(fei="405")
    assert entry.firm_name == "VANTIVE MANUFACTURING LIMITED"
    assert entry.registrant_name == "Vantive US Healthcare LLC"
    assert (entry.address_line1, entry.city, entry.state, entry.postal_code) == (
        "Moneen Road",
        "Castlebar",
        "County Mayo",
        "F23 XR63",
    )
    assert entry.country.code == "IE"
    assert entry.operations == "ANALYSIS; API MANUFACTURE; LABEL; MANUFACTURE; PACK; STERILIZE"
    assert entry.registration_expires == datetime.date(2025, 12, 31)
    assert entry.registered
    assert entry.last_seen_run == ImportRun.objects.get()
    us = Establishment.objects.get(fei="1910953")
    assert (us.city, us.state, us.postal_code, us.country.code) == ("Shawnee", "KS", "66216", "US")
    assert entry.history.get().history_change_reason == f"Imported from {DECRS.name}"


def test_decrs_reimport_changes_nothing():
    run(DECRS)
    history = Establishment.history.count()
    summary = run(DECRS)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 34)
    assert Establishment.objects.count() == 34
    assert Establishment.history.count() == history
    assert set(Establishment.objects.values_list("last_seen_run", flat=True)) == {
        ImportRun.objects.latest("pk").pk
    }


def decrs_with(tmp_path: Path, edit) -> Path:
    """The DECRS sample with its rows changed by `edit(rows)` (a list of lists, header first)."""
    book = openpyxl.load_workbook(DECRS)
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    rows = edit(rows)
    out = openpyxl.Workbook()
    for row in rows:
        out.active.append(row)
    path = tmp_path / DECRS.name
    out.save(path)
    return path


def test_the_rows_of_one_fei_merge_into_one_entry_and_a_reimport_changes_nothing(
    tmp_path, monkeypatch
):
    from vendors.fda import engine

    monkeypatch.setattr(engine, "SQLITE_CHUNK_SIZE", 4)  # the repeats fall in other chunks

    def repeat_405(rows):
        first = next(r for r in rows if r[0] == "0000000405")
        again = list(first)
        again[5], again[4] = "RELABEL; SALVAGE", "12/31/2026"
        return [*rows, again, list(first)]

    path = decrs_with(tmp_path, repeat_405)
    summary = run(path)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (34, 0, 2)
    entry = Establishment.objects.get(fei="405")
    assert entry.operation_list == [
        "ANALYSIS",
        "API MANUFACTURE",
        "LABEL",
        "MANUFACTURE",
        "PACK",
        "RELABEL",
        "SALVAGE",
        "STERILIZE",
    ]
    assert entry.registration_expires == datetime.date(2026, 12, 31)
    history = Establishment.history.count()
    again = run(path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 36)
    assert Establishment.history.count() == history


def test_a_newer_file_updates_entries_and_unlists_the_missing_ones_without_deleting_them(
    tmp_path,
):
    run(DECRS)

    def drop_405_and_move_360(rows):
        kept = [r for r in rows if r[0] != "0000000405"]
        for row in kept:
            if row[0] == "0000000360":
                row[2] = "DSP France"
        return kept

    summary = run(decrs_with(tmp_path, drop_405_and_move_360))
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 1, 32)
    assert Establishment.objects.get(fei="360").firm_name == "DSP France"
    gone = Establishment.objects.get(fei="405")
    assert not gone.registered
    assert gone.history.first().history_change_reason == f"Not listed in {DECRS.name}"
    assert "1 establishment(s) not in this file" in ImportRun.objects.latest("pk").message
    assert Establishment.objects.filter(registered=True).count() == 33


def test_decrs_keeps_a_site_already_linked_by_fei_as_it_was():
    cap = Capability.objects.get(code="services-packaging")
    site = SiteFactory(fei_number="405", name="Castlebar plant", city="")
    SiteCapability.objects.create(site=site, capability=cap, level=CapabilityLevel.VERIFIED)
    history = Site.history.count()
    run(DECRS)
    site.refresh_from_db()
    assert (site.name, site.city, site.fda_operations) == ("Castlebar plant", "", "")
    assert site.establishment.city == "Castlebar"
    assert list(site.capabilities.values_list("level", flat=True)) == [CapabilityLevel.VERIFIED]
    assert Site.history.count() == history


def test_the_dry_run_counts_without_writing():
    summary = run(DECRS, "--dry-run")
    assert (summary["created"], summary["skipped"]) == (34, 6)
    assert Establishment.objects.count() == 0
    assert ImportRun.objects.get().dry_run


# ---------------------------------------------------------------- Data Dashboard


def test_inspections_attach_to_sites_by_fei_and_reimport_is_idempotent():
    sites_for(INSPECTIONS)
    summary = run(INSPECTIONS)
    assert (summary["format"], summary["created"], summary["skipped"]) == ("inspections", 5, 0)
    event = RegulatoryEvent.objects.get(reference="1305862")
    assert event.kind == EventKind.INSPECTION
    assert event.classification == Classification.VAI
    assert event.event_date == datetime.date(2026, 3, 18)
    assert event.citations_posted is True
    assert event.project_area == "Foodborne Biological Hazards"
    assert event.source_row == 3
    assert event.import_run.original_name == INSPECTIONS.name
    again = run(INSPECTIONS)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert RegulatoryEvent.objects.count() == 5


def test_rows_of_an_fei_in_no_site_go_to_its_registry_entry_or_a_new_site_on_request():
    summary = run(INSPECTIONS)
    assert (summary["created"], summary["skipped"]) == (5, 0)
    assert Site.objects.count() == 0
    entry = Establishment.objects.get(fei="3003774440")
    assert (entry.firm_name, entry.city, entry.country.code) == (
        "Balzac Brothers & Company Inc.",
        "Charleston",
        "US",
    )
    assert not entry.registered  # known from the Data Dashboard only
    assert entry.regulatory_events.filter(site=None).exists()
    summary = run(INSPECTIONS, "--create-missing")
    assert (summary["created"], summary["unchanged"]) == (0, 5)
    site = Site.objects.get(fei_number="3003774440")
    assert site.cmo.legal_name == "Balzac Brothers & Company Inc."
    assert (site.city, site.country.code) == ("Charleston", "US")
    assert site.qualification_status == "prospect"
    assert compliance_for_sites([site.pk])[site.pk].event_count == entry.regulatory_events.count()


def test_citations_link_to_their_inspection():
    sites_for(INSPECTIONS)
    run(INSPECTIONS)
    summary = run(CITATIONS)
    assert (summary["format"], summary["created"], summary["skipped"]) == ("citations", 3, 1)
    inspection = RegulatoryEvent.objects.get(reference="1306888")
    assert inspection.citations.count() == 2
    assert inspection.citations.filter(
        short_description="Procedures not  in writing, fully followed"
    ).exists()
    again = run(CITATIONS)
    assert (again["created"], again["unchanged"]) == (0, 3)
    assert Citation.objects.count() == 3


def test_compliance_actions_with_shared_case_ids_stay_apart():
    sites_for(ACTIONS)
    summary = run(ACTIONS)
    assert (summary["format"], summary["created"]) == ("compliance_actions", 30)
    shared = RegulatoryEvent.objects.filter(reference="709546")
    assert shared.count() == 2
    assert set(shared.values_list("kind", flat=True)) == {EventKind.WARNING_LETTER}
    assert run(ACTIONS)["unchanged"] == 30


def test_published_483s_from_xlsx_date_cells():
    sites_for(PUBLISHED)
    summary = run(PUBLISHED)
    assert (summary["format"], summary["created"]) == ("published_483s", 30)
    event = RegulatoryEvent.objects.get(reference="media/187496")  # the document, Record ID 287101
    assert event.kind == EventKind.FORM_483
    assert event.event_date == datetime.date(2025, 6, 19)
    assert event.url == "https://www.fda.gov/media/187496/download"
    assert "published 2025-07-10" in event.description
    assert run(PUBLISHED)["unchanged"] == 30


def test_recalls_one_event_per_product():
    sites_for(RECALLS)
    summary = run(RECALLS)
    assert (summary["format"], summary["created"]) == ("recalls", 30)
    carvedilol = RegulatoryEvent.objects.filter(reference="96861")
    assert carvedilol.count() > 1
    first = RegulatoryEvent.objects.get(product_id="213747")
    assert first.classification == Classification.CLASS_1
    assert first.event_date == datetime.date(2025, 5, 29)
    assert run(RECALLS)["unchanged"] == 30


def test_a_changed_row_updates_its_event_with_history(tmp_path):
    sites_for(INSPECTIONS)
    run(INSPECTIONS)
    changed = tmp_path / "inspections.csv"
    changed.write_text(
        INSPECTIONS.read_text().replace(
            "No,03/18/2026,No Action Indicated (NAI)",
            "No,03/18/2026,Official Action Indicated (OAI)",
        )
    )
    summary = run(changed)
    assert (summary["updated"], summary["unchanged"]) == (1, 4)
    event = RegulatoryEvent.objects.get(reference="1306962")
    assert event.classification == Classification.OAI
    assert event.history.count() == 2


# ---------------------------------------------------------------- bad input


def test_bad_rows_are_skipped_with_row_numbers_and_never_abort_the_file(tmp_path):
    sites_for(ACTIONS)
    lines = ACTIONS.read_text().splitlines()
    lines[2] = lines[2].replace("2025-07-16", "16th of July")
    lines[3] = lines[3].replace("Warning Letter", "Stern Telephone Call")
    lines[4] = "0000000000" + lines[4][lines[4].index(",") :]
    bad = tmp_path / "actions.csv"
    bad.write_text("\n".join(lines) + "\n")
    summary = run(bad)
    assert summary["created"] == 27
    errors = {e["row"]: e["message"] for e in summary["errors"]}
    assert set(errors) == {3, 4, 5}
    assert "Action Taken Date '16th of July' is not a date" in errors[3]
    assert "Action Type 'Stern Telephone Call' is not one of" in errors[4]
    assert "blank or all zeros" in errors[5]
    assert ImportRun.objects.get().error_count == 3


def resaved(path: Path, tmp_path: Path, delimiter: str) -> Path:
    """The export as a spreadsheet set to another locale saves it: same rows, other separator."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][1] += ", Charleston"  # a comma inside a field must stay inside it
    out = tmp_path / path.name
    with out.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return out


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_inspections_saved_with_semicolons_or_tabs_import_like_the_original(tmp_path, delimiter):
    sites_for(INSPECTIONS)
    path = resaved(INSPECTIONS, tmp_path, delimiter)
    assert "FEI Number" + delimiter + "Legal Name" in path.read_text()
    summary = run(path)
    assert (summary["format"], summary["created"], summary["errors"]) == ("inspections", 5, [])
    event = RegulatoryEvent.objects.get(reference="1305862")
    assert (event.classification, event.event_date) == (
        Classification.VAI,
        datetime.date(2026, 3, 18),
    )
    assert event.project_area == "Foodborne Biological Hazards"
    assert event.source_row == 3


def test_a_semicolon_file_of_no_known_export_lists_its_columns_one_by_one(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("FEI Number;Firm;Inspection Date\n3003774440;Balzac;03/19/2026\n")
    with pytest.raises(CommandError) as raised:
        run(path)
    assert "found FEI Number, Firm, Inspection Date;" in str(raised.value)


def test_a_comma_export_with_semicolons_inside_fields_is_still_read_as_comma_separated(
    tmp_path,
):
    from vendors.fda.tables import open_table

    path = tmp_path / "inspections.csv"
    path.write_text(
        INSPECTIONS.read_text().replace("Foodborne Biological Hazards", "Drugs; Biologics")
    )
    with open_table(path, path.name) as table:
        assert table.delimiter == ","
        assert table.header[:2] == ["FEI Number", "Legal Name"]
        assert "Drugs; Biologics" in next(table.rows)[1]


def test_a_wrong_header_lists_the_expected_and_found_columns(tmp_path):
    wrong = tmp_path / "actions.csv"
    wrong.write_text(ACTIONS.read_text().replace("Case/Injunction ID", "Case Number", 1))
    with pytest.raises(CommandError) as raised:
        run(wrong)
    message = str(raised.value)
    assert "Closest is Compliance Actions" in message
    assert "expected columns FEI Number, Legal Name" in message
    assert "found FEI Number, Legal Name, State, Country/Area, Product Type" in message
    assert "missing Case/Injunction ID" in message
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_a_file_that_is_not_what_its_name_says_is_refused(tmp_path):
    fake = tmp_path / "recalls.xlsx"
    fake.write_text("FEI Number,Legal Name\n")
    with pytest.raises(CommandError, match="not an Excel workbook"):
        run(fake)
    other = tmp_path / "recalls.pdf"
    shutil.copy(ACTIONS, other)
    with pytest.raises(CommandError, match="Expected a .csv or .xlsx file"):
        run(other)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_csv_encodings(tmp_path, encoding):
    text = ACTIONS.read_text().replace(
        "Glenmark Pharmaceuticals Limited", "Glénmark Pharmacéutique"
    )
    path = tmp_path / "actions.csv"
    path.write_bytes(text.encode(encoding))
    summary = run(path, "--create-missing")
    assert summary["created"] == 30
    assert Cmo.objects.filter(legal_name="Glénmark Pharmacéutique").exists()


def test_xlsx_inspections_with_date_cells_and_text_dates(tmp_path):
    with INSPECTIONS.open() as handle:
        rows = list(csv.reader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(rows[0])
    end = rows[0].index("Inspection End Date")
    for i, row in enumerate(rows[1:]):
        if i % 2 == 0:  # half the rows carry real date cells
            month, day, year = map(int, row[end].split("/"))
            row[end] = datetime.datetime(year, month, day)
        sheet.append(row)
    path = tmp_path / "inspections.xlsx"
    book.save(path)
    sites_for(INSPECTIONS)
    summary = run(path)
    assert (summary["format"], summary["created"]) == ("inspections", 5)
    assert RegulatoryEvent.objects.get(reference="1306888").event_date == datetime.date(2026, 3, 19)
    assert RegulatoryEvent.objects.get(reference="1305862").event_date == datetime.date(2026, 3, 18)
    assert run(INSPECTIONS)["unchanged"] == 5  # the CSV of the same rows matches


def test_the_older_date_posted_header_of_published_483s(tmp_path):
    sheet = openpyxl.load_workbook(PUBLISHED).worksheets[0]
    sheet.cell(row=1, column=5).value = "Date Posted"
    path = tmp_path / "published.xlsx"
    sheet.parent.save(path)
    sites_for(PUBLISHED)
    summary = run(path)
    assert (summary["format"], summary["created"]) == ("published_483s", 30)


# ---------------------------------------------------------------- writes, history, rescoring


def import_as(user, path: Path) -> ImportRun:
    from django.core.files import File

    from vendors.services import import_run_create, import_run_execute

    with path.open("rb") as handle:
        run = import_run_create(
            file=File(handle), name=path.name, user=user, via=ImportRun.Via.COMMAND, start=False
        )
    return import_run_execute(run=run, commit=True)


def test_imported_events_and_citations_carry_a_history_row_with_user_and_file(manager):
    sites_for(INSPECTIONS)
    import_as(manager, INSPECTIONS)
    import_as(manager, CITATIONS)
    event = RegulatoryEvent.objects.get(reference="1305862")
    (record,) = event.history.all()
    assert (record.history_type, record.history_user) == ("+", manager)
    assert record.history_change_reason == f"Imported from {INSPECTIONS.name}"
    citation = Citation.objects.filter(inspection__reference="1306888").first()
    (record,) = citation.history.all()
    assert record.history_user == manager
    assert record.history_change_reason == f"Imported from {CITATIONS.name}"


def test_the_same_event_twice_in_one_file_is_written_once_and_the_later_row_wins(tmp_path):
    sites_for(INSPECTIONS)
    lines = INSPECTIONS.read_text().splitlines()
    later = next(line for line in lines if ",1306962," in line).replace(
        "No Action Indicated (NAI)", "Official Action Indicated (OAI)"
    )
    path = tmp_path / "inspections.csv"
    path.write_text("\n".join([*lines, later]) + "\n")
    summary = run(path)
    assert (summary["created"], summary["updated"], summary["skipped"]) == (5, 1, 0)
    event = RegulatoryEvent.objects.get(reference="1306962")
    assert event.classification == Classification.OAI
    assert event.source_row == len(lines) + 1


def test_a_preview_counts_an_event_repeated_in_a_later_chunk_as_the_commit_will(
    tmp_path, monkeypatch
):
    from vendors.fda import engine

    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    sites_for(INSPECTIONS)
    lines = INSPECTIONS.read_text().splitlines()
    first = next(line for line in lines if ",1306962," in line)
    later = first.replace("No Action Indicated (NAI)", "Official Action Indicated (OAI)")
    same = next(line for line in lines if ",1305862," in line)
    path = tmp_path / "inspections.csv"
    path.write_text("\n".join([*lines, later, same, later]) + "\n")

    def counts(summary: dict) -> tuple:
        return tuple(summary[n] for n in ("created", "updated", "unchanged", "skipped"))

    assert counts(run(path, "--dry-run")) == counts(run(path)) == (5, 1, 2, 0)
    # Again: the event first changes back to the earlier row, then to the later one.
    assert counts(run(path, "--dry-run")) == counts(run(path)) == (0, 2, 6, 0)


def test_only_cmos_whose_data_changed_are_sent_for_rescoring(
    tmp_path, django_capture_on_commit_callbacks
):
    from cmoselect.events import inputs_changed

    sites_for(INSPECTIONS)
    sent = []

    def listen(sender, cmo_ids, reason, **kwargs):
        sent.append((set(cmo_ids), reason))

    inputs_changed.connect(listen, dispatch_uid="test.listen")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run(INSPECTIONS)
        assert sent == [(set(Cmo.objects.values_list("pk", flat=True)), "fda_import")]
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            run(INSPECTIONS)  # nothing changed
        assert sent == []
        changed = tmp_path / "inspections.csv"
        changed.write_text(
            INSPECTIONS.read_text().replace(
                "No,03/18/2026,No Action Indicated (NAI)",
                "No,03/18/2026,Official Action Indicated (OAI)",
            )
        )
        with django_capture_on_commit_callbacks(execute=True):
            run(changed)
        site = RegulatoryEvent.objects.get(reference="1306962").site
        assert sent == [({site.cmo_id}, "fda_import")]
    finally:
        inputs_changed.disconnect(dispatch_uid="test.listen")


def test_a_chunk_refused_by_the_database_is_retried_row_by_row_and_loses_no_report(
    tmp_path, monkeypatch
):
    from django.db import IntegrityError

    from vendors.fda import events

    sites_for(ACTIONS)
    lines = ACTIONS.read_text().splitlines()
    lines[4] = "3009999999" + lines[4][lines[4].index(",") :]  # an FEI of no site
    path = tmp_path / "actions.csv"
    path.write_text("\n".join(lines) + "\n")
    doomed = lines[7].split(",")[7]  # the case ID of row 8
    insert = events.insert_with_history

    def refuse_one(model, rows, **kwargs):
        if any(row.get("reference") == doomed for row in rows):
            raise IntegrityError("refused by the database")
        return insert(model, rows, **kwargs)

    monkeypatch.setattr(events, "insert_with_history", refuse_one)
    summary = run(path)
    errors = {e["row"]: e["message"] for e in summary["errors"]}
    assert set(errors) == {8}  # row 5's FEI, in no site, goes to its registry entry
    assert "could not be saved: refused by the database" in errors[8]
    assert RegulatoryEvent.objects.filter(establishment__fei="3009999999", site=None).exists()
    assert summary["created"] == 29
    assert not RegulatoryEvent.objects.filter(reference=doomed).exists()
    assert summary["created"] + summary["skipped"] == 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/18/2026", datetime.date(2026, 3, 18)),
        ("2026-03-18", datetime.date(2026, 3, 18)),
        ("3/8/26", datetime.date(2026, 3, 8)),
        (datetime.datetime(2026, 3, 18, 9, 30), datetime.date(2026, 3, 18)),
    ],
)
def test_dates_in_the_shapes_the_exports_use(value, expected):
    from vendors.fda.formats import date

    assert date(value, "Inspection End Date") == expected


@pytest.mark.parametrize(
    "value", ["02/30/2026", "13/01/2026", "13/45/2026", "18.03.2026", "03/18/20266"]
)
def test_impossible_or_foreign_dates_are_row_errors_that_say_what_a_date_looks_like(value):
    from vendors.fda.formats import RowError, date

    with pytest.raises(RowError) as error:
        date(value, "Inspection End Date")
    assert str(error.value) == (
        f"Inspection End Date '{value}' is not a date (expected MM/DD/YYYY or YYYY-MM-DD)"
    )
