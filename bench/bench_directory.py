"""CMO directory: 10,000 CMOs and 25,000 sites; list, detail and API server times vs raw SQL.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmoselect .venv/bin/python bench/bench_directory.py
"""

import argparse
import random
import time

from common import (
    measure,
    print_table,
    scratch_database,
)
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django_countries import countries
from rest_framework.test import APIClient

from vendors.models import Cmo, Contact, QualificationStatus, Site, SiteType


def load(n_cmos: int, n_sites: int) -> None:
    rng = random.Random(7)
    codes = [c.code for c in list(countries)[:60]]
    statuses = QualificationStatus.values
    Cmo.objects.bulk_create(
        [
            Cmo(
                legal_name=f"Bench CMO {i:05d} Ltd",
                aliases=f"BC{i:05d}",
                headquarters_country=rng.choice(codes),
                qualification_status=rng.choice(statuses),
            )
            for i in range(n_cmos)
        ],
        batch_size=2000,
    )
    cmo_ids = list(Cmo.objects.values_list("pk", flat=True))
    Site.objects.bulk_create(
        [
            Site(
                cmo_id=cmo_ids[i % len(cmo_ids)],
                name=f"Bench site {i:05d}",
                city="Basel",
                country=rng.choice(codes),
                fei_number=str(3_000_000_000 + i),
                qualification_status=rng.choice(statuses),
            )
            for i in range(n_sites)
        ],
        batch_size=2000,
    )
    types = list(SiteType.objects.all())
    through = Site.site_types.through
    site_ids = list(Site.objects.values_list("pk", flat=True))
    through.objects.bulk_create(
        [
            through(site_id=site_id, sitetype_id=t.pk)
            for site_id in site_ids
            for t in rng.sample(types, 2)
        ],
        batch_size=5000,
    )
    Contact.objects.bulk_create(
        [Contact(cmo_id=cmo_id, name=f"Contact {cmo_id}") for cmo_id in cmo_ids], batch_size=2000
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cmos", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=25_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with scratch_database():
        started = time.perf_counter()
        load(args.cmos, args.sites)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"Loaded {args.cmos:,} CMOs and {args.sites:,} sites into "
            f"{connection.vendor} in {time.perf_counter() - started:.1f} s"
        )
        user = User.objects.create_user("bench-qa", password="bench-password-1")
        user.groups.add(Group.objects.get(name="QA"))
        client = Client()
        client.force_login(user)
        api = APIClient()
        api.force_authenticate(user)
        cmo = Cmo.objects.filter(sites__isnull=False).order_by("pk")[500]
        list_url = "/cmos/?site_type=sterile&status=approved&ordering=-sites&per_page=50&page=2"
        api_url = (
            "/api/v1/cmos/?site_type=sterile&status=approved&ordering=-sites&page_size=50&page=2"
        )

        def get(c, url):
            response = c.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        rows = [
            measure(
                "CMO list page (filtered, sorted, 50)", lambda: get(client, list_url), args.runs
            ),
            measure("CMO detail page", lambda: get(client, cmo.get_absolute_url()), args.runs),
            measure("API CMO list (same filters, 50)", lambda: get(api, api_url), args.runs),
        ]
        print_table(
            f"Server time beside the raw SQL of the same queries ({args.runs} runs; "
            f"DEBUG={settings.DEBUG})",
            rows,
        )
        print(
            "\nTarget on PostgreSQL: list page p95 under 100 ms and within 3x of its raw SQL time."
        )


if __name__ == "__main__":
    main()
