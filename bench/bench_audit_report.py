"""Benchmark: the PDF audit report task and the answer save.

Builds, in a scratch test database on the configured server (SQLite by default, PostgreSQL with
DATABASE_URL set; created and dropped here, as the other benchmarks do), an audit with 150
answered questions, 30 findings and 20 evidence files; then prints:
- the whole report task (fetch, fingerprint, context, HTML, WeasyPrint, file save), median of 3,
  beside WeasyPrint's own render time of the same final HTML, and their ratio;
- the server time of one answer save through the htmx endpoint, p50/p95 of 200 saves.

The data is built in this process; the timings run in a fresh child process that only loads
Django, as a Celery worker or a web process does. (The building process holds every migration
state and the objects it created, which slows any allocation-heavy work by a third and would
measure the benchmark, not the product.)

Run: .venv/bin/python bench/bench_audit_report.py
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
scratch = os.environ.setdefault("BENCH_SCRATCH", tempfile.mkdtemp(prefix="cmoselect-bench-"))
os.environ["MEDIA_ROOT"] = f"{scratch}/media"
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")

from datetime import date  # noqa: E402

from common import (  # noqa: E402  (sets up Django with DEBUG off)
    assert_served_as_in_production,
    scratch_database,
    scratch_database_url,
)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from weasyprint import HTML  # noqa: E402

from audits.models import (  # noqa: E402
    Audit,
    AuditReport,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    Finding,
    Severity,
    TemplateVersion,
)
from audits.services import (  # noqa: E402
    answer_save,
    audit_create,
    evidence_add,
    finding_create,
)
from audits.services.reports import report_html  # noqa: E402
from audits.tasks import render_audit_report  # noqa: E402
from cmoselect.pdf import html_to_pdf, static_base_url  # noqa: E402
from vendors.models import Cmo, Site  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + bytes(2048)


def build():
    """The audit, in the current (scratch) database."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_user(
        "bench-qa", password="bench-password-1", first_name="Bea", last_name="Auditor"
    )
    user.groups.add(Group.objects.get_or_create(name="QA")[0])
    template = ChecklistTemplate.objects.create(name="Benchmark checklist")
    version = TemplateVersion.objects.create(template=template, number=1, status="published")
    for s in range(1, 11):
        section = ChecklistSection.objects.create(
            version=version, position=s, title=f"Section {s} of the benchmark checklist"
        )
        ChecklistQuestion.objects.bulk_create(
            ChecklistQuestion(
                section=section,
                position=q,
                text=f"Does the site keep records for control {s}.{q} as the procedure requires, "
                "reviewed and approved by the quality unit?",
                reference=f"21 CFR 211.{100 + q}",
                answer_type="rating" if q % 3 == 0 else "yes_no",
                weight=2,
            )
            for q in range(1, 16)
        )
    cmo = Cmo.objects.create(legal_name="Benchmark Biologics AG", headquarters_country="CH")
    site = Site.objects.create(cmo=cmo, name="Benchmark Visp", country="CH", city="Visp")
    audit = audit_create(
        audit=Audit(
            site=site,
            template_version=version,
            planned_start=date(2026, 3, 2),
            planned_end=date(2026, 3, 4),
            lead_auditor=user,
            scope="Everything",
        ),
        team=[user],
        user=user,
    )
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.IN_PROGRESS)
    audit.refresh_from_db()
    answers = list(audit.answers.select_related("audit", "question__section"))
    for i, answer in enumerate(answers):
        value = (
            str(i % 5) if answer.question.answer_type == "rating" else ("yes" if i % 7 else "no")
        )
        answer_save(
            answer=answer,
            user=user,
            value=value,
            comment=f"Observed on the tour, item {i}; records sampled and found complete.",
            expected_version=0,
        )
    severities = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.OBSERVATION]
    for i in range(30):
        finding_create(
            finding=Finding(
                audit=audit,
                severity=severities[i % 4],
                title=f"Finding {i + 1}: procedure not followed",
                requirement="EU GMP 4.9",
                description="Two entries lacked a second-person review. " * 3,
            ),
            user=user,
            answer=answers[i * 5],
        )
    for i in range(20):
        evidence_add(answer=answers[i], upload=SimpleUploadedFile(f"photo-{i}.png", PNG), user=user)
    return audit, user, answers


def cpu_reference() -> float:
    """Seconds for a plain Python loop of 10 million additions: how fast this machine is now.

    Shared virtual machines slow down and speed up with their neighbours; read the report times
    against this (about 0.4 s on an unloaded core of the 2-core machine the README figures come from)."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def interleaved_times(fns: dict, runs: int = 5) -> dict[str, list[float]]:
    """Run each function `runs` times, taking turns, so a slow spell of a shared machine falls
    on all of them alike; returns the sorted times of each."""
    times = {label: [] for label in fns}
    for _ in range(runs):
        for label, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - start)
    return {label: sorted(values) for label, values in times.items()}


def main():
    if sys.argv[1:2] == ["--measure"]:
        return measure(int(sys.argv[2]))
    with scratch_database(shared=True):
        audit, _, _ = build()
        env = {**os.environ, "DATABASE_URL": scratch_database_url()}
        subprocess.run([sys.executable, __file__, "--measure", str(audit.pk)], check=True, env=env)


def measure(audit_pk: int):
    assert_served_as_in_production()
    audit = Audit.objects.get(pk=audit_pk)
    user = audit.lead_auditor
    answers = list(audit.answers.order_by("pk"))
    print(
        f"Audit {audit.reference}: {audit.answers.exclude(value='').count()} answered questions, "
        f"{audit.findings.count()} findings, {audit.evidence.count()} evidence files"
    )

    html = report_html(audit)
    base_url = static_base_url()
    html_to_pdf(html, base_url=base_url)  # warm-up: fonts and Pango load once per process

    def task():
        report = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=user)
        render_audit_report.run(report.pk)
        report.refresh_from_db()
        assert report.status == "ready", report.error

    times = interleaved_times(
        {
            "task": task,
            # The floor is WeasyPrint itself, called as its documentation shows, on the same HTML.
            "floor": lambda: HTML(string=html, base_url=base_url).write_pdf(),
            "tuned": lambda: html_to_pdf(html, base_url=base_url),
        }
    )
    task_time, floor, tuned = (statistics.median(times[k]) for k in ("task", "floor", "tuned"))
    best = {k: v[0] for k, v in times.items()}
    pages = len(__import__("pypdf").PdfReader(AuditReport.objects.latest("pk").file.path).pages)
    print(f"Report ({pages} pages), median of 5 (best in brackets):")
    print(f"  whole task                      {task_time:.2f} s ({best['task']:.2f} s)")
    print(
        f"  WeasyPrint alone                {floor:.2f} s ({best['floor']:.2f} s) · "
        f"ratio {task_time / floor:.2f}× ({best['task'] / best['floor']:.2f}×)"
    )
    print(
        f"  WeasyPrint, task's GC settings  {tuned:.2f} s ({best['tuned']:.2f} s) · "
        f"ratio {task_time / tuned:.2f}× ({best['task'] / best['tuned']:.2f}×)"
    )

    client = Client()
    client.force_login(user)
    url = reverse("audits:answer", args=[answers[0].pk])
    version = answers[0].__class__.objects.get(pk=answers[0].pk).version
    samples = []
    for i in range(220):
        start = time.perf_counter()
        response = client.post(
            url,
            {"value": "yes" if i % 2 else "no", "comment": f"c{i}", "version": version},
            HTTP_HX_REQUEST="true",
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        version += 1
        if i >= 20:  # the first saves warm caches
            samples.append(elapsed * 1000)
    samples.sort()
    p50 = samples[len(samples) // 2]
    p95 = samples[int(len(samples) * 0.95)]
    print(f"Answer save (htmx endpoint, {len(samples)} saves): p50 {p50:.1f} ms · p95 {p95:.1f} ms")
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"Database: {engine} (scratch), DEBUG={settings.DEBUG}")
    print(f"CPU reference (10M-addition Python loop): {cpu_reference():.2f} s")


if __name__ == "__main__":
    main()
