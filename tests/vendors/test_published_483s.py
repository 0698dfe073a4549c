"""Published 483s are keyed on their document (and FEI), not on the FDA's unstable Record ID."""

import importlib
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import CitationFactory, EstablishmentFactory, RegulatoryEventFactory
from vendors.compliance import compliance_for_establishments
from vendors.models import Agency, Citation, EventKind, RegulatoryEvent, document_key
from vendors.models.regulatory import Source

PUBLISHED = (
    Path(__file__).resolve().parent.parent / "fixtures" / "fda" / "published_483s_sample.xlsx"
)
pytestmark = pytest.mark.django_db


def run(path) -> dict:
    out = io.StringIO()
    call_command("import_fda", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def later_export(tmp_path: Path) -> Path:
    """The real sample as a later export lists it: every document under a new Record ID."""
    book = openpyxl.load_workbook(PUBLISHED)
    sheet = book.worksheets[0]
    column = [c.value for c in sheet[1]].index("Record ID") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=column)
        cell.value = int(cell.value) + 40_000
    path = tmp_path / "published_483s_later.xlsx"
    book.save(path)
    return path


def test_the_document_key_of_a_link():
    assert document_key("https://www.fda.gov/media/187496/download") == "media/187496"
    assert document_key("http://fda.gov/media/187496/download?attachment") == "media/187496"
    assert document_key(" HTTPS://Example.ORG/483s/a.pdf/ ") == "example.org/483s/a.pdf"
    long = "https://example.org/" + "x" * 80
    assert document_key(long).startswith("sha1:") and len(document_key(long)) <= 60
    assert document_key("") == ""


def test_the_same_documents_under_new_record_ids_add_nothing(tmp_path):
    first = run(PUBLISHED)
    assert (first["format"], first["created"]) == ("published_483s", 30)
    again = run(later_export(tmp_path))
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 30)
    assert RegulatoryEvent.objects.filter(kind=EventKind.FORM_483).count() == 30
    event = RegulatoryEvent.objects.get(url="https://www.fda.gov/media/187496/download")
    assert (event.reference, event.establishment.fei) == ("media/187496", "3004540906")


def test_the_compliance_signal_counts_a_483_once(tmp_path):
    run(PUBLISHED)
    natco = RegulatoryEvent.objects.get(reference="media/187496").establishment
    before = compliance_for_establishments([natco.pk])[natco.pk]
    run(later_export(tmp_path))
    after = compliance_for_establishments([natco.pk])[natco.pk]
    assert after.signal == before.signal and after.signal is not None
    assert natco.regulatory_events.filter(kind=EventKind.FORM_483).count() == 1


def imported_483(establishment, *, record_id: str, url: str, **extra) -> RegulatoryEvent:
    return RegulatoryEventFactory(
        site=None,
        establishment=establishment,
        kind=EventKind.FORM_483,
        agency=Agency.FDA,
        classification="",
        reference=record_id,
        url=url,
        source=Source.IMPORT,
        **extra,
    )


def test_the_migration_merges_the_483s_stored_twice_and_keeps_their_history():
    natco, other = EstablishmentFactory(fei="3004540906"), EstablishmentFactory()
    link = "https://www.fda.gov/media/187496/download"
    oldest = imported_483(natco, record_id="287101", url=link)
    twice = imported_483(natco, record_id="327101", url=link)
    elsewhere = imported_483(other, record_id="327102", url=link)  # the same link, another FEI
    alone = imported_483(natco, record_id="287103", url="https://www.fda.gov/media/69976/download")
    by_hand = RegulatoryEventFactory(
        establishment=natco, kind=EventKind.FORM_483, reference="my note", url=link
    )
    inspection = RegulatoryEventFactory(site=None, establishment=natco)
    # Anything that refers to the removed event refers to the kept one afterwards.
    cited = CitationFactory(inspection=inspection)
    Citation.objects.filter(pk=cited.pk).update(inspection=twice)
    twice_history = list(twice.history.values_list("history_id", flat=True))

    name = "0013_published_483s_keyed_on_document"
    migration = importlib.import_module(f"vendors.migrations.{name}")
    # The models as the migration sees them: they write no history of their own.
    state = MigrationExecutor(connection).loader.project_state(("vendors", name)).apps
    migration.key_483s_on_their_document(state, None)

    assert not RegulatoryEvent.objects.filter(pk=twice.pk).exists()
    oldest.refresh_from_db()
    assert oldest.reference == "media/187496"
    assert Citation.objects.get(pk=cited.pk).inspection_id == oldest.pk
    kept_reason = oldest.history.first().history_change_reason
    assert "was Record ID 287101" in kept_reason
    assert f"#{twice.pk} (Record ID 327101)" in kept_reason
    # The merged-away event's trail stays: its rows, then its deletion saying where it went.
    trail = RegulatoryEvent.history.filter(id=twice.pk)
    assert set(twice_history) <= set(trail.values_list("history_id", flat=True))
    gone = trail.first()
    assert gone.history_type == "-"
    assert f"Merged into event #{oldest.pk}" in gone.history_change_reason
    assert "Record ID 327101" in gone.history_change_reason
    # Another FEI's copy of the document is its own 483; one alone is only re-keyed.
    elsewhere.refresh_from_db()
    alone.refresh_from_db()
    by_hand.refresh_from_db()
    assert (elsewhere.reference, alone.reference) == ("media/187496", "media/69976")
    assert by_hand.reference == "my note"  # entered by hand: left as it was typed
    assert RegulatoryEvent.objects.filter(kind=EventKind.FORM_483).count() == 4
    # Running it again changes nothing.
    count = RegulatoryEvent.history.count()
    migration.key_483s_on_their_document(state, None)
    assert RegulatoryEvent.history.count() == count
