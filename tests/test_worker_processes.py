"""Real processes: a Celery worker on the embedded broker takes imports and reports; a worker
killed (SIGKILL) in the middle of an import commit leaves exactly the chunks it committed, the
run is settled as failed saying so, and Try again finishes it with exact counts.

The worker is a separate process, so it needs a database another process can open: these tests
run on PostgreSQL (as CI does) and are skipped on SQLite's in-memory test database.
"""

import csv
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from django.utils import timezone

from tests.brokers import broker
from tests.factories import SiteFactory
from vendors.models import ImportRun, RegulatoryEvent
from vendors.services import (
    import_run_commit,
    import_run_create,
    import_run_retry,
    import_runs_sweep,
)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="a worker process needs a shared database"
    ),
]
HEADER = [
    "FEI Number", "Legal Name", "City", "State", "Zip", "Country/Area", "Fiscal Year",
    "Inspection ID", "Posted Citations", "Inspection End Date", "Classification", "Project Area",
    "Product Type", "Additional Details", "FMD-145 Date",
]  # fmt: skip


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def embedded_broker(tmp_path, monkeypatch):
    """This process and the worker share one filesystem broker folder."""
    folder = tmp_path / "broker"
    for name in ("queue", "processed", "control"):
        (folder / name).mkdir(parents=True)
    options = {
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"), "control_folder": str(folder / "control"),
        "store_processed": False,
    }  # fmt: skip
    with broker(monkeypatch, "filesystem://", options):
        yield folder


def start_worker(broker: Path, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": "",
        "BROKER_DIR": str(broker),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT", str(broker.parent / "media")),
        "DATABASE_STATEMENT_TIMEOUT": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cmoselect", "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for(condition, *, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(
        f"timed out waiting for {what}; the worker said:\n{log.read_text()[-3000:]}"
    )


def inspections(path: Path, feis: list[str], rows: int) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow([
                feis[i % len(feis)], "Firm", "Cork", "", "", "Ireland", "2025", str(2_000_000 + i),
                "No", "03/19/2025", "No Action Indicated (NAI)", f"Area {i}", "Drugs", "", "-",
            ])  # fmt: skip
    return path


def run_file(path: Path, user) -> ImportRun:
    with path.open("rb") as handle:
        return import_run_create(file=File(handle), name=path.name, user=user)


def test_a_killed_worker_leaves_whole_chunks_and_try_again_finishes_exactly(
    embedded_broker, tmp_path, qa, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    os.environ["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    feis = [SiteFactory(fei_number=str(3_000_000_000 + n)).fei_number for n in range(20)]
    rows = 6000
    path = inspections(tmp_path / "inspections.csv", feis, rows)
    worker = start_worker(embedded_broker, tmp_path / "worker.log")
    try:
        run = run_file(path, qa)  # the worker reads it: a preview
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status == "previewed",
            seconds=120, what="the preview", log=tmp_path / "worker.log",
        )  # fmt: skip
        run = import_run_commit(run=ImportRun.objects.get(pk=run.pk), user=qa)
        wait_for(
            lambda: (ImportRun.objects.get(pk=run.pk).checkpoint or {}).get("row"),
            seconds=120, what="the first committed chunk", log=tmp_path / "worker.log",
        )  # fmt: skip
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    run.refresh_from_db()
    assert run.status == "committing"  # what the killed worker left behind
    kept = RegulatoryEvent.objects.count()
    assert kept == run.checkpoint["tally"]["created"]  # whole chunks only, counted exactly
    assert 0 < kept < rows

    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert import_runs_sweep() == 1
    run.refresh_from_db()
    assert run.status == "failed" and "worker stopped" in run.message and run.can_retry

    worker = start_worker(embedded_broker, tmp_path / "worker2.log")
    try:
        import_run_retry(run=run, user=qa)
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status in ("done", "failed"),
            seconds=180, what="the resumed commit", log=tmp_path / "worker2.log",
        )  # fmt: skip
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == "done", run.message
    assert (run.created, run.updated, run.skipped) == (rows, 0, 0)
    assert RegulatoryEvent.objects.count() == rows
    log = (tmp_path / "worker2.log").read_text()
    assert "vendors.tasks.commit_import" in log and "succeeded in" in log


def test_auditors_saving_answers_while_an_import_commits_never_get_an_error(
    embedded_broker, tmp_path, qa, settings
):
    import threading

    from django.db import connections
    from django.test import Client
    from django.urls import reverse

    from audits.models import Audit
    from tests.factories import make_audit, make_checklist

    settings.MEDIA_ROOT = tmp_path / "media"
    os.environ["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    feis = [SiteFactory(fei_number=str(3_100_000_000 + n)).fei_number for n in range(20)]
    rows = 4000
    path = inspections(tmp_path / "inspections.csv", feis, rows)
    audit = make_audit(lead=qa, version=make_checklist(), status=Audit.Status.IN_PROGRESS)
    answers = list(audit.answers.filter(question__answer_type="yes_no").order_by("pk"))
    statuses: list[int] = []

    def auditor(answer, stop: threading.Event) -> None:
        client = Client()
        client.force_login(qa)
        url, version = reverse("audits:answer", args=[answer.pk]), 0
        try:
            while not stop.is_set():
                response = client.post(
                    url,
                    {"value": "yes" if version % 2 else "no", "comment": "", "version": version},
                    HTTP_HX_REQUEST="true",
                )
                statuses.append(response.status_code)
                version += response.status_code == 200
                time.sleep(0.05)
        finally:
            connections.close_all()

    worker = start_worker(embedded_broker, tmp_path / "worker.log")
    stop = threading.Event()
    threads = [threading.Thread(target=auditor, args=(a, stop)) for a in answers]
    try:
        run = run_file(path, qa)
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status == "previewed",
            seconds=120, what="the preview", log=tmp_path / "worker.log",
        )  # fmt: skip
        for thread in threads:
            thread.start()
        import_run_commit(run=ImportRun.objects.get(pk=run.pk), user=qa)
        wait_for(
            lambda: ImportRun.objects.get(pk=run.pk).status in ("done", "failed"),
            seconds=240, what="the commit", log=tmp_path / "worker.log",
        )  # fmt: skip
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    run.refresh_from_db()
    assert run.status == "done", run.message
    assert (run.created, run.skipped) == (rows, 0) and RegulatoryEvent.objects.count() == rows
    assert len(statuses) > 10 and set(statuses) == {200}


def test_a_worker_renders_a_report_and_one_killed_mid_render_is_settled_with_a_way_on(
    embedded_broker, tmp_path, qa, settings, client
):
    from django.urls import reverse

    from audits.models import Audit, AuditReport
    from audits.services import report_request
    from cmoselect.pdf import STUCK_RENDERING, reports_sweep
    from tests.factories import make_audit, make_checklist

    settings.MEDIA_ROOT = tmp_path / "media"
    os.environ["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    # A long checklist, so that rendering takes long enough to be caught in the middle.
    sections = tuple(
        (f"Section {n} of the site's quality system", ("yes_no",) * 40) for n in range(12)
    )
    audit = make_audit(lead=qa, version=make_checklist(sections), status=Audit.Status.IN_PROGRESS)
    log = tmp_path / "worker.log"
    worker = start_worker(embedded_broker, log)
    try:
        first = report_request(audit=audit, user=qa)
        wait_for(
            lambda: AuditReport.objects.get(pk=first.pk).status in ("ready", "failed"),
            seconds=120, what="the first report", log=log,
        )  # fmt: skip
        first.refresh_from_db()
        assert first.status == "ready" and first.file.size > 1000

        second = report_request(audit=audit, user=qa)
        wait_for(
            lambda: AuditReport.objects.get(pk=second.pk).status != "queued",
            seconds=60, what="the second render to start", log=log,
        )  # fmt: skip
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    second.refresh_from_db()
    if second.status != "rendering":
        pytest.skip(f"the render finished before the kill ({second.status}); nothing to settle")
    AuditReport.objects.filter(pk=second.pk).update(
        started_at=timezone.now() - timedelta(minutes=settings.STUCK_WORK_MINUTES + 1)
    )
    assert reports_sweep() == 1
    second.refresh_from_db()
    assert second.status == "failed" and second.error == STUCK_RENDERING
    client.force_login(qa)
    page = client.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "Render again" in page
