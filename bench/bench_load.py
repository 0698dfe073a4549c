"""Pages under load: gunicorn on a directory of 10,000 CMOs, driven at concurrency 8 and 32.

DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmoselect .venv/bin/python bench/bench_load.py

Loads a scratch database (the directory benchmark's CMOs and sites, capability cells, a book of
contracts, an approved supplier list entry for every site and 10,000 FDA registry entries), starts gunicorn on it with DEBUG off, logs in through the login form as a Manager,
and drives each page from an asyncio client on loopback for a bounded time at each concurrency.
It prints requests per second and p50/p95/p99 per page, with the API CMO list as the floor every
HTML list is held to (target at c=8: throughput at least 0.8x the API list's, p95 under 250 ms;
at c=32 no page's p95 above 1 s).
"""

import argparse
import asyncio
import http.cookiejar
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

from bench_directory import load as load_directory
from bench_qualification import qualify_every_site
from common import ROOT, scratch_database
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from vendors.models import Capability, CapabilityLevel, Cmo, Site, SiteCapability

PASSWORD = "bench-load-password-1"


def load_capabilities(per_site: int) -> int:
    rng = random.Random(11)
    capabilities = list(Capability.objects.values_list("pk", flat=True))
    levels = [CapabilityLevel.CLAIMED, CapabilityLevel.DEMONSTRATED]
    cells = [
        SiteCapability(site_id=site_id, capability_id=capability_id, level=rng.choice(levels))
        for site_id in Site.objects.values_list("pk", flat=True)
        for capability_id in rng.sample(capabilities, min(per_site, len(capabilities)))
    ]
    SiteCapability.objects.bulk_create(cells, batch_size=5000)
    return len(cells)


def load_contracts(n: int) -> None:
    from contracts.models import Contract, Milestone, today

    on = today()
    kinds = ["cda", "msa", "quality", "supply", "tech_transfer"]
    cmo_ids = list(Cmo.objects.order_by("pk").values_list("pk", flat=True)[: max(1, n // 5)])
    contracts = Contract.objects.bulk_create(
        (
            Contract(
                cmo_id=cmo_ids[i % len(cmo_ids)],
                contract_type=kinds[i % len(kinds)],
                title=f"{kinds[i % len(kinds)]} {i}",
                status="active",
                signed_on=on - timedelta(days=400),
                effective_date=on - timedelta(days=400),
                expiry_date=on + timedelta(days=(i * 7) % 900),
                notice_period=3,
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    Milestone.objects.bulk_create(
        (
            Milestone(contract=c, name=f"Milestone {m}", planned_date=on + timedelta(days=m * 40))
            for c in contracts
            for m in range(2)
        ),
        batch_size=5000,
    )


def load_registry(n: int) -> None:
    """FDA registry entries, as a DECRS import leaves them (operations, registration, signal)."""
    from vendors.models import Establishment

    rng = random.Random(13)
    operations = ["ANALYSIS", "MANUFACTURE", "PACK", "LABEL", "API MANUFACTURE", "STERILIZE"]
    countries = ["US", "IN", "CN", "DE", "IE", "IT", "CH", "JP", "KR", "FR"]
    on = timezone.localdate()
    rows = []
    for i in range(n):
        ops = sorted(rng.sample(operations, rng.randint(1, 3)))
        rows.append(
            Establishment(
                fei=str(3_200_000_000 + i),
                firm_name=f"Registered Pharma {i:05d} {rng.choice(['Ltd', 'Inc', 'GmbH'])}",
                city="Springfield",
                country=rng.choice(countries),
                operations="; ".join(ops),
                operations_key=f";{';'.join(ops)};",
                registration_expires=on + timedelta(days=rng.randrange(-200, 400)),
                registered=True,
                signal=rng.randrange(0, 100),
                recent_oai_or_warning=rng.random() < 0.05,
            )
        )
    Establishment.objects.bulk_create(rows, batch_size=2000)


def database_url() -> str:
    """The URL of the scratch database this process just created, for gunicorn."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, workers: int, static_root: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "cmoselect.wsgi", f"--bind=127.0.0.1:{port}",
         f"--workers={workers}", "--timeout=60", "--log-level=warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def log_in(base: str, username: str) -> str:
    """Log in through the login form, as a person would; the session cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data)).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit("the login form did not log in")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


async def get(port: int, path: str, cookie: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Accept-Encoding: identity\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    while await reader.read(65536):
        pass
    writer.close()
    return status


async def drive(port: int, path: str, cookie: str, *, concurrency: int, seconds: float):
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client():
        nonlocal failures
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status = await get(port, path, cookie)
            if status == 200:
                latencies.append((time.perf_counter() - start) * 1000)
            else:
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, failures, time.perf_counter() - started


def quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cmos", type=int, default=10_000)
    parser.add_argument("--sites", type=int, default=25_000)
    parser.add_argument("--cells-per-site", type=int, default=5)
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--establishments", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15, help="per page and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--pages",
        nargs="+",
        default=[],
        metavar="WORDS",
        help="only the pages whose label contains one of these (the API floor always runs)",
    )
    args = parser.parse_args()

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        # gunicorn's workers need a file, not the test runner's in-memory database.
        settings.DATABASES["default"]["TEST"]["NAME"] = str(
            Path(tempfile.gettempdir()) / "cmoselect-load.sqlite3"
        )
    with scratch_database(), tempfile.TemporaryDirectory() as static_root:
        started = time.perf_counter()
        load_directory(args.cmos, args.sites)
        cells = load_capabilities(args.cells_per_site)
        load_contracts(args.contracts)
        load_registry(args.establishments)
        qualified = qualify_every_site(random.Random(7))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"Loaded {args.cmos:,} CMOs, {args.sites:,} sites, {cells:,} capability cells and "
            f"{args.contracts:,} contracts, {qualified:,} approved supplier list entries and "
            f"{args.establishments:,} registry entries into {connection.vendor} "
            f"in {time.perf_counter() - started:.1f} s"
        )
        user = User.objects.create_user("bench-manager", password=PASSWORD)
        user.groups.add(Group.objects.get(name="Manager"))
        cmo = Cmo.objects.filter(sites__isnull=False).order_by("pk")[min(500, args.cmos - 1)]
        capabilities = list(Capability.objects.order_by("pk").values_list("pk", flat=True)[:2])
        needs = "&".join(f"capability={pk}&level={CapabilityLevel.CLAIMED}" for pk in capabilities)
        connection.close()  # gunicorn's workers take the database from here

        pages = [
            (
                "API CMO list, 50 rows (floor)",
                reverse("cmo-list") + "?status=approved&page_size=50",
            ),
            (
                "CMO list, filtered, 50 rows",
                reverse("vendors:cmo_list") + "?status=approved&per_page=50",
            ),
            ("capability matrix", reverse("vendors:matrix")),
            ("needs search, 2 needs", f"{reverse('vendors:needs')}?{needs}"),
            ("CMO detail", cmo.get_absolute_url()),
            ("API sites", reverse("site-list")),
            ("contracts list", reverse("contracts:contract_list")),
            ("contracts dashboard", reverse("contracts:dashboard")),
            ("audit program", reverse("qualification:program")),
            ("approved supplier list", reverse("qualification:asl")),
            (
                "registry search, 2 filters",
                reverse("vendors:registry") + "?country=IN&current=true",
            ),
        ]
        if args.pages:
            pages = [pages[0]] + [
                page for page in pages[1:] if any(words in page[0] for words in args.pages)
            ]
        port = free_port()
        server = start_gunicorn(port, args.workers, static_root)
        try:
            cookie = log_in(f"http://127.0.0.1:{port}", user.username)
            report(port, cookie, pages, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(port: int, cookie: str, pages: list[tuple[str, str]], args) -> None:
    print(
        f"\ngunicorn, {args.workers} sync workers, DEBUG off; {args.seconds:g} s per page and "
        "concurrency, from an asyncio client on loopback"
    )
    header = f"{'page':<32} {'c':>3} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(f"{header} {'vs API req/s':>13} {'errors':>7}")
    for concurrency in args.concurrency:
        floor = None
        for label, path in pages:
            asyncio.run(drive(port, path, cookie, concurrency=2, seconds=1))  # warm up
            latencies, failures, elapsed = asyncio.run(
                drive(port, path, cookie, concurrency=concurrency, seconds=args.seconds)
            )
            ordered = sorted(latencies)
            rate = len(ordered) / elapsed
            floor = floor or rate or 1.0
            print(
                f"{label:<32} {concurrency:>3} {rate:>7.1f} {quantile(ordered, 0.5):>8.0f} "
                f"{quantile(ordered, 0.95):>8.0f} {quantile(ordered, 0.99):>8.0f} "
                f"{rate / floor:>12.2f}x {failures:>7}"
            )
    print(
        "\nTargets: at c=8 each HTML page at least 0.8x the API list's req/s with p95 under "
        "250 ms; at c=32 no page's p95 above 1 s."
    )


if __name__ == "__main__":
    main()
