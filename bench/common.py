"""Shared benchmark plumbing: a scratch database, timing, and the raw-SQL floor."""

import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmoselect.settings")
# Measured as served in production: DEBUG off (no query log, no template debug data), whatever
# the shell says; child processes a benchmark starts inherit it.
os.environ["DEBUG"] = "false"
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
from django.template import Template  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    instrumented_test_render,
    setup_databases,
    teardown_databases,
)


def assert_served_as_in_production() -> None:
    """Fail before timing anything if pages would not render as a production process does.

    Django's test environment (`setup_test_environment`, which pytest-django and the test
    runner call) replaces template rendering with an instrumented version that records every
    template and context for `response.context`; on the contract list that doubled p95. The
    benchmarks never call it, and do not read `response.context`.
    """
    assert not settings.DEBUG, "benchmarks time pages with DEBUG off"
    assert Template._render is not instrumented_test_render, (
        "the test environment's template instrumentation is on: call "
        "django.test.utils.teardown_test_environment() before timing pages"
    )


@contextmanager
def scratch_database(*, shared: bool = False):
    """A throw-away test database on the configured server; real data is never touched.

    With `shared`, other processes (gunicorn, a fresh process that times the work) open it
    too: on SQLite it is then a temporary file instead of the test runner's in-memory database.
    Django's test environment is not set up on purpose (see assert_served_as_in_production).
    """
    assert_served_as_in_production()
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    scratch_dir = None
    if shared and connection.vendor == "sqlite" and not test_settings.get("NAME"):
        scratch_dir = tempfile.TemporaryDirectory(prefix="cmoselect-bench-")
        test_settings["NAME"] = str(Path(scratch_dir.name) / "bench.sqlite3")
    old = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)
        if scratch_dir is not None:
            scratch_dir.cleanup()


def scratch_database_url() -> str:
    """The URL of the scratch database this process created, for the processes it starts."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


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


def measure(label: str, fn: Callable[[], object], runs: int) -> tuple:
    """One row of `print_table`: `fn`'s p50/p95 beside the raw SQL of the queries it runs."""
    statements = captured_sql(fn)
    page = percentiles(time_calls(fn, runs=runs))
    raw = percentiles(time_calls(raw_sql_runner(statements), runs=runs))
    return (
        label,
        f"{page[0]:.1f}",
        f"{page[1]:.1f}",
        f"{raw[0]:.1f}",
        f"{raw[1]:.1f}",
        f"{page[0] / raw[0]:.1f}x",
        len(statements),
    )


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}")
    header = ("measure", "p50 ms", "p95 ms", "raw SQL p50", "raw SQL p95", "ratio p50", "queries")
    widths = [34, 9, 9, 12, 12, 10, 8]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
