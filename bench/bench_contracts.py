"""Contract pages and the daily review on a large book of contracts.

Run: `.venv/bin/python bench/bench_contracts.py` (SQLite) or with DATABASE_URL set (PostgreSQL);
`--cmos 200` for a quick run. Creates a scratch test database, loads 2,000 CMOs with 5 contracts
and 4 milestones each (10,000 contracts, 40,000 milestones), then prints p50/p95 server times and
query counts of the pages, and the time of the daily alerts (a first run that sends every notice,
and a second that finds them all sent).
"""

import argparse
import statistics
import time
from datetime import timedelta

from common import scratch_database  # sets up Django with DEBUG off
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

RUNS = 15


def load(cmos_wanted: int):
    from django.contrib.auth.models import Group, User

    from contracts.models import Contract, Milestone, today
    from vendors.models import Cmo

    on = today()
    cmos = Cmo.objects.bulk_create(
        Cmo(legal_name=f"Bench CMO {i:05d}", headquarters_country="DE") for i in range(cmos_wanted)
    )
    types = ["cda", "msa", "quality", "supply", "tech_transfer"]
    contracts = Contract.objects.bulk_create(
        Contract(
            cmo=cmo,
            contract_type=kind,
            title=f"{kind} {cmo.pk}",
            status="active",
            signed_on=on - timedelta(days=400),
            effective_date=on - timedelta(days=400),
            expiry_date=on + timedelta(days=(cmo.pk * 7 + n * 31) % 900),
            notice_period=3,
        )
        for cmo in cmos
        for n, kind in enumerate(types)
    )
    Milestone.objects.bulk_create(
        Milestone(
            contract=c,
            name=f"Milestone {m}",
            planned_date=on + timedelta(days=(c.pk * 13 + m * 40) % 400 - 100),
        )
        for c in contracts
        for m in range(4)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as a database in use has them
    user = User.objects.create_user("bench-manager", password="x")
    user.groups.add(Group.objects.get_or_create(name="Manager")[0])
    return user, cmos[cmos_wanted // 2]


def measure(client, url):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"  {url:<48} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  {len(queries):3d} queries"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cmos", type=int, default=2000, help="CMOs, 5 contracts each")
    args = parser.parse_args()
    # No test environment: its template instrumentation would slow the pages being timed.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with scratch_database():
        start = time.perf_counter()
        user, cmo = load(args.cmos)
        print(
            f"{connection.vendor}: loaded {args.cmos * 5:,} contracts "
            f"in {time.perf_counter() - start:.1f} s (DEBUG={settings.DEBUG})"
        )
        client = Client()
        client.force_login(user)
        first = cmo.contracts.order_by("pk").first()
        for url in [
            "/contracts/",
            "/contracts/?expiring=30&ordering=expiry",
            "/contracts/?q=quality&page=20",
            "/contracts/dashboard/",
            f"/cmos/{cmo.pk}/",
            first.get_absolute_url(),
            "/api/v1/contracts/?expiring=90",
            "/api/v1/milestones/?late=true",
        ]:
            measure(client, url)
        from contracts.services import contract_alerts_send

        start = time.perf_counter()
        sent = len(contract_alerts_send())
        first_run = time.perf_counter() - start
        start = time.perf_counter()
        again = len(contract_alerts_send())
        print(
            f"  daily alerts: {sent:,} notices in {first_run:.1f} s; "
            f"second run {again} notices in {time.perf_counter() - start:.1f} s"
        )


if __name__ == "__main__":
    main()
