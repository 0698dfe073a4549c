"""Benchmark the FDA importers and the needs search on the configured database.

Runs in a scratch test database (created and destroyed here), never the real one:

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_imports.py

Prints, for a generated 10,000-row DECRS workbook and 20,000 Data Dashboard rows (inspections
and recalls, as the dashboard exports them to Excel), the import's rows per second beside the
read floor (openpyxl alone reading the same file), and the peak Python memory of importing a
small and a large file (flat memory means the two are close). The same inspections as a CSV
export follow, beside the csv module's read floor and psycopg's COPY of the rows they create.
Then p50/p95 of the needs search over 10,000 sites × 50 capabilities beside the raw SQL time.
`--needs-only` skips the imports and creates the 10,000 sites (three per CMO) directly.
"""

import csv
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmoselect.settings")

import django  # noqa: E402

django.setup()

from django.core.files import File  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

DECRS_HEADER = [
    "FEI_NUMBER", "DUNS_NUMBER", "FIRM_NAME", "ADDRESS", "EXPIRATION_DATE", "OPERATIONS",
    "ESTABLISHMENT_CONTACT_NAME", "ESTABLISHMENT_CONTACT_EMAIL", "AGENT_DETAILS",
    "REGISTRANT_NAME", "REGISTRANT_DUNS", "REGISTRANT_CONTACT_NAME", "REGISTRANT_CONTACT_EMAIL",
    "EXCLUSION_FLAG",
]  # fmt: skip
INSPECTIONS_HEADER = [
    "FEI Number", "Legal Name", "City", "State", "Zip", "Country/Area", "Fiscal Year",
    "Inspection ID", "Posted Citations", "Inspection End Date", "Classification", "Project Area",
    "Product Type", "Additional Details", "FMD-145 Date",
]  # fmt: skip
RECALLS_HEADER = [
    "FEI Number", "Recalling Firm Name", "Product Type", "Product Classification", "Status",
    "Distribution Pattern", "Recalling Firm City", "Recalling Firm State",
    "Recalling Firm Country", "Center Classification Date", "Reason for Recall",
    "Product Description", "Event ID", "Event Classification", "Product ID", "Center",
    "Recall Details",
]  # fmt: skip
OPS = ["ANALYSIS", "API MANUFACTURE", "LABEL", "MANUFACTURE", "PACK", "STERILIZE", "REPACK"]
ADDRESSES = [
    "Kalkstr. {n}, Leverkusen,  51377, Germany (DEU)",
    "{n} Shawnee Mission Pkwy, Shawnee, Kansas (KS) 66216, United States (USA)",
    "{n}-10-50, FURUKAWACHOMUKAIMACHI, Hida-shi, Gifu 509-4241, Japan (JPN)",
    "Moneen Road {n}, Castlebar, County Mayo F23 XR63, Ireland (IRL)",
]
CLASSES = [
    "No Action Indicated (NAI)",
    "Voluntary Action Indicated (VAI)",
    "Official Action Indicated (OAI)",
]


def decrs_file(path: Path, rows: int, first_fei: int) -> Path:
    rng = random.Random(first_fei)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("decrs_incl_excel")
    sheet.append(DECRS_HEADER)
    for i in range(rows):
        registrant = f"Registrant {first_fei + i // 3} Holdings"
        sheet.append([
            f"{first_fei + i:010d}", f"{100000000 + i:09d}", f"Firm {first_fei + i}",
            rng.choice(ADDRESSES).format(n=i % 900 + 1), "12/31/2025",
            "; ".join(sorted(rng.sample(OPS, rng.randint(1, 4)))),
            "[masked]", "[masked]", "[masked]", registrant, f"{200000000 + i // 3:09d}",
            "[masked]", "[masked]", "N",
        ])  # fmt: skip
    book.save(path)
    return path


def write_table(path: Path, header: list[str], rows) -> Path:
    """Write rows as the Data Dashboard exports them: an XLSX workbook or a CSV file."""
    if path.suffix == ".xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Sheet1")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return path
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:  # the dashboard's CSV files spell dates MM/DD/YYYY
            writer.writerow(f"{v:%m/%d/%Y}" if isinstance(v, datetime.date) else v for v in row)
    return path


def inspections_file(path: Path, rows: int, feis: list[int]) -> Path:
    rng = random.Random(1)
    return write_table(
        path,
        INSPECTIONS_HEADER,
        (
            [
                f"{rng.choice(feis):010d}",
                "Firm",
                "Charleston",
                "South Carolina",
                "29401",
                "United States",
                "2025",
                str(1_000_000 + i),
                rng.choice(["Yes", "No"]),
                datetime.datetime(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)),
                rng.choice(CLASSES),
                rng.choice(["Drugs", "Biologics"]),
                "Drugs",
                "",
                "-",
            ]  # fmt: skip
            for i in range(rows)
        ),
    )


def recalls_file(path: Path, rows: int, feis: list[int]) -> Path:
    rng = random.Random(2)
    return write_table(
        path,
        RECALLS_HEADER,
        (
            [
                f"{rng.choice(feis):010d}",
                "Firm",
                "Drugs",
                rng.choice(["Class I", "Class II", "Class III"]),
                "Ongoing",
                "Nationwide",
                "Mahwah",
                "New Jersey",
                "United States",
                datetime.datetime(rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28)),
                "CGMP Deviations;\npresence of an impurity",
                f"Tablets {i}, 100 count",
                str(90_000 + i // 3),
                "Class II",
                str(200_000 + i),
                "CDER",
                f"https://www.accessdata.fda.gov/scripts/ires/?Product={i}",
            ]  # fmt: skip
            for i in range(rows)
        ),
    )


def read_floor(path: Path) -> tuple[float, int]:
    """Seconds to read every row with openpyxl (read-only) or the csv module alone."""
    start = time.perf_counter()
    count = 0
    if path.suffix == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        for _ in book.worksheets[0].iter_rows(values_only=True):
            count += 1
        book.close()
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            for _ in csv.reader(handle):
                count += 1
    return time.perf_counter() - start, count - 1


RESCORING: list[tuple[str, int, float]] = []  # (file, CMOs rescored, seconds)


def write_floor(run) -> float | None:
    """Seconds psycopg alone takes to COPY the rows an events import created (the events and
    their history rows, fetched back) into empty tables shaped like ours, indexes included.
    PostgreSQL only; None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    from vendors.models import RegulatoryEvent

    events = RegulatoryEvent._meta.db_table
    history = RegulatoryEvent.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {events} WHERE import_run_id = %s", [run.pk])
        rows = cursor.fetchall()
        cursor.execute(
            f"SELECT * FROM {history} WHERE id IN "
            f"(SELECT id FROM {events} WHERE import_run_id = %s)",
            [run.pk],
        )
        history_rows = cursor.fetchall()
        cursor.execute(f"CREATE TEMP TABLE floor_events (LIKE {events} INCLUDING ALL)")
        cursor.execute(f"CREATE TEMP TABLE floor_history (LIKE {history} INCLUDING ALL)")
        start = time.perf_counter()
        with transaction.atomic():
            for table, data in (("floor_events", rows), ("floor_history", history_rows)):
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE floor_events, floor_history")
    return elapsed


def do_import(path: Path, *, measure_memory: bool = False):
    """Import a file as `manage.py import_fda` does; returns (seconds, peak bytes, run).

    The rescoring that an import asks for runs in the worker as a task of its own once the
    import has committed; it is timed apart (RESCORING) so the figures say what each costs.
    """
    from cmoselect.events import inputs_changed
    from scoring.apps import _rescore
    from vendors.models import ImportRun
    from vendors.services import import_run_create, import_run_execute

    with path.open("rb") as handle:
        run = import_run_create(
            file=File(handle), name=path.name, via=ImportRun.Via.COMMAND, start=False
        )
    requested = []

    def hold(sender, cmo_ids, reason, **kwargs):
        requested.append((cmo_ids, reason))

    inputs_changed.disconnect(dispatch_uid="scoring.rescore")
    inputs_changed.connect(hold, dispatch_uid="bench.hold")
    try:
        if measure_memory:
            tracemalloc.start()
        start = time.perf_counter()
        run = import_run_execute(run=run, commit=True)
        elapsed = time.perf_counter() - start
        peak = 0
        if measure_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    finally:
        inputs_changed.disconnect(dispatch_uid="bench.hold")
        inputs_changed.connect(_rescore, dispatch_uid="scoring.rescore")
    assert run.status == ImportRun.Status.DONE, run.message
    for cmo_ids, reason in requested:
        start = time.perf_counter()
        _rescore(sender=None, cmo_ids=cmo_ids, reason=reason)
        RESCORING.append((path.name, len(cmo_ids), time.perf_counter() - start))
    return elapsed, peak, run


def needs_bench(rng: random.Random) -> tuple[list[float], list[float], int]:
    from vendors.capabilities import needs_search
    from vendors.models import Capability, Site, SiteCapability

    for i in range(50 - Capability.objects.count()):
        Capability.objects.create(category="technologies", code=f"bench-{i}", name=f"Bench {i}")
    capabilities = list(Capability.objects.values_list("pk", flat=True))
    SiteCapability.objects.all().delete()
    site_ids = list(Site.objects.order_by("pk").values_list("pk", flat=True)[:10_000])
    cells = []
    for site_id in site_ids:
        for capability_id in rng.sample(capabilities, rng.randint(5, 20)):
            cells.append(
                SiteCapability(
                    site_id=site_id, capability_id=capability_id, level=rng.randint(1, 3)
                )
            )
    SiteCapability.objects.bulk_create(cells, batch_size=5000)
    if connection.vendor == "postgresql":  # fresh planner statistics, as autovacuum keeps them
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE vendors_cmo, vendors_site, vendors_sitecapability")
    timings, raw = [], []
    for _ in range(60):
        needs = [(c, rng.randint(1, 3)) for c in rng.sample(capabilities, rng.randint(2, 6))]
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            needs_search(needs)
            timings.append(time.perf_counter() - start)
        main = max(queries.captured_queries, key=lambda q: len(q["sql"]))["sql"]
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(main)
            cursor.fetchall()
            raw.append(time.perf_counter() - start)
    return timings, raw, len(cells)


def seed_sites(count: int) -> None:
    """Create `count` sites, three per CMO, as the DECRS import would (one per firm)."""
    from vendors.models import Cmo, Site

    cmos = Cmo.objects.bulk_create(
        Cmo(legal_name=f"Registrant {i} Holdings", headquarters_country="DE")
        for i in range((count + 2) // 3)
    )
    Site.objects.bulk_create(
        (Site(cmo=cmos[i // 3], name=f"Firm {i}", country="DE") for i in range(count)),
        batch_size=5000,
    )


def print_needs(timings: list[float], raw: list[float], cells: int) -> None:
    from vendors.models import Site

    print(
        f"\nNeeds search: {min(Site.objects.count(), 10_000):,} sites × 50 capabilities "
        f"({cells:,} matrix cells), 60 searches of 2–6 needs"
    )
    print(f"{'':<14}{'p50 ms':>8}{'p95 ms':>8}")
    print(f"{'needs_search':<14}{pct(timings, 50):>8.1f}{pct(timings, 95):>8.1f}")
    print(f"{'raw SQL':<14}{pct(raw, 50):>8.1f}{pct(raw, 95):>8.1f}")


def mib(value: int | None) -> str:
    return f"{value / 2**20:.1f}" if value else "—"


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    vendor = connection.vendor
    from django.conf import settings

    settings.DEBUG = False  # no query log growing with the import
    old = setup_databases(verbosity=0, interactive=False)
    try:
        if "--needs-only" in sys.argv[1:]:
            seed_sites(10_000)
            print_needs(*needs_bench(random.Random(7)))
            return
        with tempfile.TemporaryDirectory() as tmp:
            from django.conf import settings

            settings.MEDIA_ROOT = Path(tmp) / "media"
            tmp = Path(tmp)
            rows = []
            big = decrs_file(tmp / "decrs_10000.xlsx", 10_000, 3_100_000_000)
            small = decrs_file(tmp / "decrs_2500.xlsx", 2_500, 3_200_000_000)
            big2 = decrs_file(tmp / "decrs_10000_b.xlsx", 10_000, 3_300_000_000)
            floor, n = read_floor(big)
            elapsed, _, _ = do_import(big)
            again, _, _ = do_import(big)
            _, peak_small, _ = do_import(small, measure_memory=True)
            _, peak_big, _ = do_import(big2, measure_memory=True)
            rows.append(("DECRS xlsx (create)", n, floor, elapsed, peak_small, peak_big))
            rows.append(("DECRS xlsx (re-import)", n, floor, again, None, None))

            feis = list(range(3_100_000_000, 3_100_010_000))
            # 20,000 Data Dashboard rows as the dashboard exports them to Excel, beside the
            # issue's floor: openpyxl alone reading the same workbook.
            insp = inspections_file(tmp / "inspections_10000.xlsx", 10_000, feis)
            insp_small = inspections_file(tmp / "inspections_2500.xlsx", 2_500, feis[:2_500])
            rec = recalls_file(tmp / "recalls_10000.xlsx", 10_000, feis)
            for label, path in (("Inspections xlsx", insp), ("Recalls xlsx", rec)):
                floor, n = read_floor(path)
                elapsed, _, _ = do_import(path)
                rows.append((f"{label} (create)", n, floor, elapsed, None, None))
            _, peak_insp_small, _ = do_import(insp_small, measure_memory=True)
            _, peak_insp_big, _ = do_import(insp, measure_memory=True)
            rows[-2] = (*rows[-2][:4], peak_insp_small, peak_insp_big)
            # The same inspections as the dashboard's CSV export: the csv module reads them
            # 50-100× faster than openpyxl, so the database's own write time is printed too.
            feis_csv = list(range(3_300_000_000, 3_300_010_000))
            insp_csv = inspections_file(tmp / "inspections_10000.csv", 10_000, feis_csv)
            csv_floor, n = read_floor(insp_csv)
            elapsed, _, run = do_import(insp_csv)
            rows.append(("Inspections csv (create)", n, csv_floor, elapsed, None, None))
            csv_write = write_floor(run)

            print(f"\nFDA imports on {vendor} (scratch database)\n")
            print(
                f"{'file':<26}{'rows':>8}{'floor s':>9}{'import s':>10}{'rows/s':>9}"
                f"{'× floor':>9}{'peak MiB 2.5k':>15}{'peak MiB 10k':>14}"
            )
            for label, n, floor, elapsed, peak_s, peak_b in rows:
                print(
                    f"{label:<26}{n:>8,}{floor:>9.2f}{elapsed:>10.2f}{n / elapsed:>9,.0f}"
                    f"{elapsed / floor:>9.1f}{mib(peak_s):>15}{mib(peak_b):>14}"
                )
            print(
                "(floor: openpyxl or the csv module alone reading the same file; peak MiB: Python"
                " allocations while importing a 2,500-row and a 10,000-row file)"
            )
            if csv_write is not None:
                print(
                    "\nInspections csv beside the write floor (psycopg alone COPYing the same"
                    " events and their history rows):"
                )
                print(
                    f"  read {csv_floor:.2f} s + write {csv_write:.2f} s; import {elapsed:.2f} s"
                    f" = {elapsed / (csv_floor + csv_write):.1f}× (read + write)"
                )
            print("\nRescoring task after each import (runs in the worker once the import commits)")
            for name, cmos, seconds in RESCORING:
                print(f"  {name:<24}{cmos:>6,} CMOs {seconds:>7.2f} s")
            if not RESCORING:
                print("  none requested")

            print_needs(*needs_bench(random.Random(7)))
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
