"""Scoring benchmarks, each beside its floor.

1. An evaluation with 50 candidates × 10 criteria computed end to end, beside the raw SQL that
   gathers its inputs.
2. The bulk qualification score for 10,000 CMOs, beside the raw SQL of its input queries, with
   the number of queries per batch.
3. The comparison PDF for 10 candidates, beside WeasyPrint's render of the same final HTML.

Run: `.venv/bin/python bench/bench_scoring.py` (uses a scratch test database on the configured
server: SQLite by default, PostgreSQL with DATABASE_URL).
"""

import statistics
import time
from decimal import Decimal

from common import scratch_database  # sets up Django with DEBUG off
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext


def timed(fn, repeat=5):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def raw_sql(queries) -> float:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for q in queries:
            cursor.execute(q["sql"])
            cursor.fetchall()
    return time.perf_counter() - start


def main() -> None:
    # No test environment: its template instrumentation would slow the pages being timed.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with scratch_database():
        run()


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from scoring.models import (
        Candidate,
        ComparisonReport,
        EnteredScore,
        Evaluation,
        EvaluationNeed,
        ScoringModel,
    )
    from scoring.services import (
        cmo_scores_compute,
        criterion_dict,
        evaluation_compute,
        model_version_create,
        report_context,
        report_render,
    )
    from vendors.models import Capability, Cmo, Site, SiteCapability

    user = get_user_model().objects.create(username="bench")
    user.groups.add(Group.objects.get(name="Sourcing"))
    caps = list(Capability.objects.order_by("pk")[:6])
    print("Loading 10,000 CMOs, 25,000 sites and 50,000 capability cells…", flush=True)
    Cmo.objects.bulk_create(
        Cmo(legal_name=f"Bench CMO {i:05d}", headquarters_country="DE") for i in range(10_000)
    )
    cmo_ids = list(Cmo.objects.values_list("pk", flat=True).order_by("pk"))
    countries = ["DE", "US", "IN", "IE", "CN"]
    Site.objects.bulk_create(
        Site(cmo_id=c, name=f"Site {i}-{n}", country=countries[(i + n) % 5])
        for i, c in enumerate(cmo_ids)
        for n in range(1 + (i % 4 == 0) + (i % 2))
    )
    site_ids = list(Site.objects.values_list("pk", flat=True).order_by("pk"))
    SiteCapability.objects.bulk_create(
        SiteCapability(
            site_id=s,
            capability=caps[(i + k) % len(caps)],
            level=1 + (i + k) % 3,
            annual_capacity=Decimal(1000 * (1 + i % 7)),
            annual_capacity_unit="vials/year",
        )
        for i, s in enumerate(site_ids)
        for k in range(2)
    )
    model = ScoringModel.objects.get(is_default=True)
    criteria = [criterion_dict(c) for c in model.current_version.criteria.all()]
    criteria[0]["weight"] -= 10
    criteria.append(
        {"code": "sustainability", "name": "Sustainability", "source": "rating", "weight": 10}
    )
    model_version_create(scoring_model=model, criteria=criteria, user=user, note="Bench")

    evaluation = Evaluation.objects.create(
        name="Bench",
        product="X",
        phase="phase_2",
        annual_volume=5000,
        volume_unit="vials/year",
        scoring_model=model,
        created_by=user,
    )
    for cap in caps[:3]:
        EvaluationNeed.objects.create(evaluation=evaluation, capability=cap, min_level=2)
    candidates = Candidate.objects.bulk_create(
        Candidate(evaluation=evaluation, cmo_id=c, added_by=user) for c in cmo_ids[:50]
    )
    EnteredScore.objects.bulk_create(
        EnteredScore(
            candidate=c,
            criterion_code=code,
            value=Decimal(value),
            justification="bench",
            entered_by=user,
        )
        for i, c in enumerate(candidates)
        for code, value in [
            ("cost", 10 + i % 9),
            ("communication", 1 + i % 5),
            ("sustainability", 1 + i % 4),
        ]
    )

    evaluation_compute(evaluation=evaluation)
    with CaptureQueriesContext(connection) as queries:
        evaluation_compute(evaluation=evaluation)
    reads = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    full = timed(lambda: evaluation_compute(evaluation=evaluation))
    floor = timed(lambda: raw_sql(reads))
    print(
        f"1. 50 candidates × {len(criteria)} criteria end to end: {full * 1000:.0f} ms "
        f"({len(queries)} queries) · floor, raw SQL of its {len(reads)} reads: {floor * 1000:.0f} ms"
    )

    with CaptureQueriesContext(connection) as queries:
        count = cmo_scores_compute()
    batches = -(-count // 1000)
    full = timed(lambda: cmo_scores_compute(), repeat=3)
    reads = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    floor = timed(lambda: raw_sql(reads), repeat=3)
    print(
        f"2. Bulk qualification score, {count:,} CMOs: {full:.2f} s "
        f"({len(queries)} queries, {len(queries) / batches:.0f} per batch of 1,000) · "
        f"floor, raw SQL of its reads: {floor:.2f} s"
    )

    ten = candidates[:10]

    def render_new_report():
        # A report renders once (a ready one is never rendered again): time a new one each run.
        report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=user)
        report.candidates.set(ten)
        report_render(report=report)
        report.refresh_from_db()
        assert report.status == ComparisonReport.Status.READY, report.status
        return report

    report = render_new_report()
    full = timed(render_new_report, repeat=3)
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from cmoselect.pdf import static_base_url

    ranked = list(report.candidates.select_related("cmo").ranked())
    html = render_to_string(
        "scoring/pdf/comparison.html", report_context(evaluation=evaluation, candidates=ranked)
    )
    floor = timed(lambda: HTML(string=html, base_url=static_base_url()).write_pdf(), repeat=3)
    print(
        f"3. Comparison PDF, 10 candidates: {full:.2f} s · floor, WeasyPrint on the final HTML: "
        f"{floor:.2f} s"
    )


if __name__ == "__main__":
    main()
