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
from pathlib import Path

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
