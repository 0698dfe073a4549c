"""An import commit cut short resumes where it stopped and counts exactly; nothing is done twice."""

from pathlib import Path

import pytest
from django.core.files import File
from django.urls import reverse

from tests.html_forms import form_with_button
from tests.vendors.test_importers import DECRS, INSPECTIONS, sites_for
from vendors.fda import engine
from vendors.models import ImportRun, RegulatoryEvent
from vendors.services import (
    import_run_commit,
    import_run_create,
    import_run_execute,
    import_run_retry,
    import_runs_sweep,
)

pytestmark = pytest.mark.django_db


def previewed(path: Path, user, *, create_missing=False) -> ImportRun:
    with path.open("rb") as handle:
        run = import_run_create(
            file=File(handle), name=path.name, user=user, create_missing=create_missing, start=False
        )
    return import_run_execute(run=run, commit=False)


def counts(run: ImportRun) -> tuple:
    return (run.created, run.updated, run.unchanged, run.skipped)


def crash_on_chunk(monkeypatch, fmt: str, number: int):
    """A worker that dies (here: an unexpected error) while writing chunk `number`."""
    real = engine.PLANNERS[fmt]
    calls = {"n": 0}

    def planner(rows, ctx, tally):
        if ctx.commit:
            calls["n"] += 1
            if calls["n"] == number:
                raise RuntimeError("worker lost")
        return real(rows, ctx, tally)

    monkeypatch.setitem(engine.PLANNERS, fmt, planner)
    return lambda: monkeypatch.setitem(engine.PLANNERS, fmt, real)


def test_a_commit_that_fails_part_way_keeps_its_chunks_says_so_and_resumes_exactly(
    monkeypatch, qa, client, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 2)
    sites_for(INSPECTIONS)
    run = previewed(INSPECTIONS, qa)
    promised = (run.preview["created"], run.preview["updated"], run.preview["unchanged"])
    restore = crash_on_chunk(monkeypatch, "inspections", 3)
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.FAILED
    assert "RuntimeError: worker lost" in run.message and "are kept" in run.message
    kept = RegulatoryEvent.objects.count()
    assert kept > 0 and run.rows_kept > 0

    client.force_login(qa)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "worker lost" in page
    retry = form_with_button(page, "Try again")
    assert retry.action == reverse("vendors:import_retry", args=[run.pk])

    restore()
    with django_capture_on_commit_callbacks(execute=True):  # the worker takes the task
        assert client.post(retry.action, retry.data()).status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.message
    assert (run.created, run.updated, run.unchanged) == promised
    assert run.checkpoint == {}


def test_a_commit_delivered_again_after_it_finished_changes_nothing(qa):
    sites_for(INSPECTIONS)
    run = previewed(INSPECTIONS, qa)
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    done = counts(run)
    events = RegulatoryEvent.objects.count()
    history = RegulatoryEvent.history.count()
    again = import_run_execute(run=run, commit=True)  # the broker delivers the message again
    assert again.status == ImportRun.Status.DONE and counts(again) == done
    assert (RegulatoryEvent.objects.count(), RegulatoryEvent.history.count()) == (events, history)


def test_a_resumed_registration_import_counts_like_one_that_never_stopped(monkeypatch, qa):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 3)
    run = previewed(DECRS, qa, create_missing=True)
    restore = crash_on_chunk(monkeypatch, "decrs", 2)
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.FAILED
    restore()
    import_run_retry(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.DONE
    resumed = counts(run)
    assert resumed[0] == run.preview["created"] and resumed[1] == run.preview["updated"]


def test_an_import_left_committing_by_a_dead_worker_is_failed_with_the_way_on(qa, settings):
    from datetime import timedelta

    from django.utils import timezone

    sites_for(INSPECTIONS)
    run = previewed(INSPECTIONS, qa)
    import_run_commit(run=run, user=qa)
    old = timezone.now() - timedelta(minutes=settings.STUCK_WORK_MINUTES + 1)
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=old, checkpoint={"row": 3, "tally": {"created": 2}}
    )
    assert import_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "worker stopped" in run.message
    assert run.can_retry


def test_a_chunk_refused_because_the_database_was_busy_is_written_again_not_skipped(
    monkeypatch, qa
):
    from django.db import OperationalError

    from vendors.fda import events

    monkeypatch.setattr(engine, "BUSY_PAUSE_SECONDS", 0)
    sites_for(INSPECTIONS)
    run = previewed(INSPECTIONS, qa)
    insert, calls = events.insert_with_history, {"n": 0}

    def busy_twice(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OperationalError("database is locked")
        return insert(*args, **kwargs)

    monkeypatch.setattr(events, "insert_with_history", busy_twice)
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.DONE
    assert run.created == run.preview["created"] and run.error_count == 0
    assert not any("could not be saved" in e["message"] for e in run.errors)


@pytest.mark.parametrize("crash_at", [2, 7, 12])
def test_a_resumed_commit_keeps_each_row_problem_once(monkeypatch, qa, crash_at):
    monkeypatch.setattr(engine, "CHUNK_SIZE", 3)
    run = previewed(DECRS, qa)
    restore = crash_on_chunk(monkeypatch, "decrs", crash_at)
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.FAILED
    restore()
    import_run_retry(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.DONE
    rows = sorted(run.problems.values_list("row", flat=True))
    assert rows == [17, 18, 19, 20, 40, 41] and run.error_count == 6


def test_a_resumed_decrs_commit_merges_an_fei_repeated_across_the_checkpoint(
    tmp_path, monkeypatch, qa, django_capture_on_commit_callbacks
):
    from tests.vendors.test_importers import decrs_with
    from vendors.models import Establishment

    monkeypatch.setattr(engine, "CHUNK_SIZE", 10)
    monkeypatch.setattr(engine, "SQLITE_CHUNK_SIZE", 10)

    def repeat_405_at_the_end(rows):
        first = next(r for r in rows if r[0] == "0000000405")
        again = list(first)
        again[5], again[4] = "RELABEL", "12/31/2026"
        return [*rows, again]

    path = decrs_with(tmp_path, repeat_405_at_the_end)
    run = previewed(path, qa)
    promised = (run.preview["created"], run.preview["updated"], run.preview["unchanged"])
    restore = crash_on_chunk(monkeypatch, "decrs", 2)  # after the chunk that holds FEI 405
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.FAILED and Establishment.objects.filter(fei="405")
    restore()
    with django_capture_on_commit_callbacks(execute=True):  # the worker takes the task
        import_run_retry(run=run, user=qa)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.message
    assert (run.created, run.updated, run.unchanged) == promised
    entry = Establishment.objects.get(fei="405")
    assert "RELABEL" in entry.operation_list
    assert str(entry.registration_expires) == "2026-12-31"


def test_an_import_reads_its_file_once(monkeypatch, qa):
    """The rows of a DECRS file are merged by FEI from the same reading that plans them."""
    from vendors.fda import tables

    opened = []
    real = tables.load_workbook

    def counting(path, **options):
        opened.append(Path(path).suffix)
        return real(path, **options)

    monkeypatch.setattr(tables, "load_workbook", counting)
    run = previewed(DECRS, qa)
    assert run.status == ImportRun.Status.PREVIEWED and opened == [".xlsx"]
    import_run_commit(run=run, user=qa)
    run = import_run_execute(run=run, commit=True)
    assert run.status == ImportRun.Status.DONE and opened == [".xlsx", ".xlsx"]
