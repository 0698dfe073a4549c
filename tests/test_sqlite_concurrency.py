"""On the embedded default's SQLite, auditors' saves never fail while an import commits in
another process (WAL, a busy timeout and immediate transactions make writers wait their turn).

Runs bench/bench_saves_during_import.py, which builds a scratch SQLite database of its own, saves
answers through the htmx endpoint in this process's child while `manage.py import_fda` commits a
generated DECRS workbook in a second process, and reports the saves that failed and the rows the
import created.
"""

import os
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.utils import ConnectionHandler

ROOT = Path(__file__).resolve().parent.parent
ROWS = 1500


def test_answer_saves_during_an_import_on_sqlite_never_fail_and_no_row_is_lost(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "BENCH_DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(BENCH_IMPORT_ROWS=str(ROWS), BENCH_SCRATCH=str(tmp_path), BROKER_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "bench/bench_saves_during_import.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "(sqlite3)" in out
    during = re.search(r"during the import .*?\((\d+) saves in [\d.]+ s, (\d+) failed", out)
    assert during, out
    assert int(during.group(1)) > 5 and int(during.group(2)) == 0, out
    assert f"import: {ROWS} created, 0 updated, 0 skipped" in out, out


def sqlite_connection(path: Path, *, timeout: int = 30):
    """A connection of its own to a SQLite file, set up as the settings set up an embedded default
    (whatever database the tests themselves run on)."""
    options = {**settings.SQLITE_OPTIONS, "timeout": timeout}
    config = {"ENGINE": settings.SQLITE_ENGINE, "NAME": str(path), "OPTIONS": options}
    return ConnectionHandler({"default": config})["default"]


@contextmanager
def write_transaction(connection):
    """What `transaction.atomic()` does on this connection: BEGIN IMMEDIATE ... COMMIT."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    try:
        yield connection.cursor()
        connection.commit()
    finally:
        connection.set_autocommit(True)


@pytest.mark.django_db
def test_a_waiting_save_gets_the_write_lock_in_the_short_pause_between_two_import_chunks(tmp_path):
    """A save waits behind an import's chunk (500 ms), then gets in during the 20 ms the import
    leaves free before its next chunk. SQLite's own busy handler, sleeping 100 ms between tries
    by then, would miss that pause and wait for the next chunk as well."""
    path = tmp_path / "db.sqlite3"
    importer = sqlite_connection(path)
    with write_transaction(importer) as cursor:
        cursor.execute("CREATE TABLE t (who TEXT)")
    waiting, saved_after_chunk = threading.Event(), []

    def save():
        saver = sqlite_connection(path)
        saver.ensure_connection()
        waiting.set()
        with write_transaction(saver) as cursor:
            cursor.execute("INSERT INTO t VALUES ('saver')")
        saved_after_chunk.append(chunk)
        saver.close()

    for chunk in range(3):
        with write_transaction(importer) as cursor:
            cursor.execute("INSERT INTO t VALUES ('importer')")
            if chunk == 0:
                threading.Thread(target=save).start()
                waiting.wait()
            time.sleep(0.5)
        time.sleep(0.02)  # the import reads its next rows
    importer.close()
    assert saved_after_chunk == [0]


@pytest.mark.django_db
def test_a_writer_still_gives_up_with_database_is_locked_after_the_busy_timeout(tmp_path):
    path = tmp_path / "db.sqlite3"
    holder, waiter = sqlite_connection(path), sqlite_connection(path, timeout=1)
    with write_transaction(holder) as cursor:
        cursor.execute("CREATE TABLE t (who TEXT)")
    with write_transaction(holder) as cursor:
        cursor.execute("INSERT INTO t VALUES ('holder')")
        started = time.monotonic()
        with (
            pytest.raises(OperationalError, match="database is locked"),
            write_transaction(waiter),
        ):
            pass
        assert 1 <= time.monotonic() - started < 3
    # The waiter is usable again, and waits as long as its timeout says.
    with write_transaction(waiter) as cursor:
        cursor.execute("INSERT INTO t VALUES ('waiter')")
        assert cursor.execute("PRAGMA busy_timeout").fetchone() == (1000,)
    holder.close(), waiter.close()
