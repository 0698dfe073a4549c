"""Shared benchmark plumbing: a scratch database, timing, and the raw-SQL floor."""

import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmoselect.settings")
# Measured as served in production: DEBUG off (no query log, no template debug data).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()
settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
# Static file URLs without a collectstatic manifest: the benchmark serves no static files.
settings.STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    setup_databases,
    teardown_databases,
)


@contextmanager
def scratch_database():
    """A throw-away test database on the configured server; real data is never touched.

    Django's test environment is not set up on purpose: it instruments template rendering,
    which would slow down the pages being measured.
    """
    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def time_calls(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


_DECLARE = re.compile(r'^DECLARE "[^"]+" (?:NO SCROLL )?CURSOR (?:WITH|WITHOUT) HOLD FOR ', re.I)


def captured_sql(fn: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    # Server-side cursors (QuerySet.iterator) show as DECLARE …; the floor runs the SELECT.
    return [_DECLARE.sub("", q["sql"]) for q in ctx.captured_queries]


def raw_sql_runner(statements: list[str]) -> Callable[[], None]:
    """Run the same SQL a page ran, fetching every row: the floor under the page's time."""

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    return run


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    header = ("measure", "p50 ms", "p95 ms", "raw SQL p50", "raw SQL p95", "ratio p50", "queries")
    widths = [34, 9, 9, 12, 12, 10, 8]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
