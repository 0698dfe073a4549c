"""The qualification program at 10,000 qualified sites: the audit program page, the approved
supplier list (plain and filtered) and the API list, beside the raw SQL of the same queries
(target: p95 under 150 ms, within 3x of the SQL, and the same query count at any size).

Runs in a scratch test database on the configured server, never the real one:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmoselect .venv/bin/python bench/bench_qualification.py

`--sites 500 --runs 5` checks that it works in a few seconds.
"""

import argparse
import datetime
import random
import time

from bench_directory import load
from common import (
    measure,  # sets up Django with DEBUG off
    print_table,
    scratch_database,
)
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient


def qualify_every_site(rng: random.Random) -> int:
    """An approved supplier list entry for every site: scope, risk and a due date spread from
    six months overdue to three years ahead, as a long-running program has."""
    from qualification.models import RiskClass, SiteQualification
    from vendors.models import Capability, Site

    today = timezone.localdate()
    statuses = [s for s, _ in SiteQualification.Status.choices]
    risks = [r for r, _ in RiskClass.choices]
    entries = []
    for site_id in Site.objects.values_list("pk", flat=True):
        due = today + datetime.timedelta(days=rng.randrange(-180, 3 * 365))
        risk = rng.choice(risks)
        entries.append(
            SiteQualification(
                site_id=site_id,
                status=rng.choices(statuses, weights=[12, 3, 1, 1, 1][: len(statuses)])[0],
                products="Product A\nProduct B",
                approved_on=due - datetime.timedelta(days=700),
                last_audit_end=due - datetime.timedelta(days=730),
                valid_until=due,
                computed_risk=risk,
                risk_class=risk,
                risk_points=rng.randrange(0, 12),
            )
        )
    SiteQualification.objects.bulk_create(entries, batch_size=2000)
    capabilities = list(Capability.objects.values_list("pk", flat=True))
    through = SiteQualification.capabilities.through
    through.objects.bulk_create(
        [
            through(sitequalification_id=pk, capability_id=capability)
            for pk in SiteQualification.objects.values_list("pk", flat=True)
            for capability in rng.sample(capabilities, 3)
        ],
        batch_size=5000,
    )
    return len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with scratch_database():
        started = time.perf_counter()
        load(max(1, args.sites // 2), args.sites)
        qualified = qualify_every_site(random.Random(7))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        print(
            f"Loaded {qualified:,} qualified sites into {connection.vendor} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        user = User.objects.create_user("bench-qa", password="bench-password-1")
        user.groups.add(Group.objects.get(name="QA"))
        client = Client()
        client.force_login(user)
        api = APIClient()
        api.force_authenticate(user)

        def get(c, url):
            response = c.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        filtered = "risk=high&status=approved&due=overdue&country=DE"
        rows = [
            measure(
                "Audit program page", lambda: get(client, "/qualification/program/"), args.runs
            ),
            measure("ASL page", lambda: get(client, "/qualification/asl/"), args.runs),
            measure(
                "ASL page, 4 filters",
                lambda: get(client, f"/qualification/asl/?{filtered}"),
                args.runs,
            ),
            measure("API ASL list", lambda: get(api, "/api/v1/qualifications/"), args.runs),
        ]
        print_table(
            f"The qualification program over {qualified:,} sites beside the raw SQL of the same "
            f"queries ({args.runs} runs; DEBUG={settings.DEBUG}; {connection.vendor})",
            rows,
        )
        print("\nTarget: p95 under 150 ms and within 3x of the raw SQL, queries constant.")


if __name__ == "__main__":
    main()
