"""The PDF audit report: requested in the browser or API, rendered by a Celery worker."""

import textwrap
from itertools import groupby

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audits.briefing import audit_briefing
from audits.models import (
    SEVERITY_DEFINITIONS,
    SEVERITY_ORDER,
    Answer,
    Audit,
    AuditReport,
    Capa,
    Severity,
)
from audits.outcomes import (
    APPROVE_FROM,
    CONDITIONAL_FROM,
    OUTCOME_RULES,
    Outcome,
    audit_recommendation,
)
from audits.services.audits import audit_content, signatures_verified
from cmoselect.esign import content_hash
from cmoselect.outbox import enqueue
from cmoselect.pdf import render_html, render_report

TEMPLATE = "audits/pdf/report.html"


def audit_report_fingerprint(audit: Audit) -> str:
    """A hash of everything the report shows; a report with another one is outdated."""
    content = audit_content(audit)
    content["status"] = [audit.status, audit.revision, str(audit.decided_at)]
    content["capas"] = list(
        Capa.objects.filter(finding__audit=audit)
        .order_by("pk")
        .values_list("pk", "status", "due_date", "root_cause", "corrective_action")
    )
    content["signatures"] = list(audit.signatures.values_list("pk", flat=True))
    if audit.completeness_justification:
        content["justification"] = audit.completeness_justification
    return content_hash(content)


def report_request(*, audit: Audit, user: User) -> AuditReport:
    """Queue a new PDF report of the audit as it is now."""
    from audits.tasks import render_audit_report

    with transaction.atomic():
        report = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=user)
        enqueue(render_audit_report, report.pk)
    return report


def bar_chart(sections, *, width: int = 640, bar: int = 16, gap: int = 8) -> dict:
    """Geometry of the section score chart, drawn as inline SVG by the template.

    Section titles are wrapped onto as many lines as they need beside their bar, never cut.
    """
    label_width, plot, line = 250, width - 250 - 50, 10
    rows = []
    y = 0
    for section in sections:
        percent = section.percent
        lines = textwrap.wrap(f"{section.position}. {section.title}", 50) or [""]
        height = max(bar, line * len(lines) + 2)
        text_y = y + (height - line * (len(lines) - 1)) / 2 + 3
        rows.append(
            {
                "title": f"{section.position}. {section.title}",
                "lines": [(text_y + line * k, text) for k, text in enumerate(lines)],
                "y": y + (height - bar) / 2,
                "text_y": y + height / 2 + 4,
                "width": round(plot * (percent or 0) / 100, 1),
                "percent": percent,
                "tone": "none"
                if percent is None
                else "ok"
                if percent >= APPROVE_FROM
                else "warn"
                if percent >= CONDITIONAL_FROM
                else "bad",
            }
        )
        y += height + gap
    return {
        "width": width,
        "height": max(y, bar),
        "bar": bar,
        "label_width": label_width,
        "plot": plot,
        "rows": rows,
        "grid": [
            {"x": label_width + plot * p / 100, "label": f"{p:.0f}"}
            for p in (0, CONDITIONAL_FROM, APPROVE_FROM, 100)
        ],
    }


def css_string(text: str) -> str:
    """Text safe inside a double-quoted CSS string in a <style> element."""
    for bad, good in (("\\", "/"), ('"', "'"), ("<", "‹"), (">", "›"), ("\n", " ")):
        text = text.replace(bad, good)
    return text


def report_context(audit: Audit) -> dict:
    """Everything the report template shows, fetched in a fixed number of queries."""
    audit = (
        Audit.objects.select_related(
            "site__cmo", "template_version__template", "lead_auditor", "created_by"
        )
        .prefetch_related("team")
        .get(pk=audit.pk)
    )
    answers = list(
        Answer.objects.filter(audit=audit)
        .select_related("question__section", "answered_by")
        .order_by("question__section__position", "question__position")
    )
    recommendation = audit_recommendation(audit)
    findings = list(
        audit.findings.select_related(
            "capa__accepted_by", "capa__verified_by", "answer__question__section"
        ).by_severity()
    )
    by_severity = [
        {
            "severity": Severity(severity),
            "definition": SEVERITY_DEFINITIONS[Severity(severity)],
            "findings": list(group),
        }
        for severity, group in groupby(findings, key=lambda f: f.severity)
    ]
    findings_by_answer: dict[int, list] = {}
    for finding in findings:
        if finding.answer_id:
            findings_by_answer.setdefault(finding.answer_id, []).append(finding.reference)
    briefing = audit_briefing(audit)
    for answer in answers:
        answer.focus = briefing.focus_of_question(answer.question.reference)
    sections = []
    for _, group in groupby(answers, key=lambda a: a.question.section_id):
        group = list(group)
        for answer in group:
            answer.finding_refs = findings_by_answer.get(answer.pk, [])
        sections.append({"section": group[0].question.section, "answers": group})
    evidence = list(
        audit.evidence.select_related("answer__question__section", "uploaded_by").order_by("pk")
    )
    signatures = signatures_verified(audit)
    counts = {s: 0 for s in SEVERITY_ORDER}
    for finding in findings:
        counts[finding.severity] += 1
    return {
        "audit": audit,
        "site": audit.site,
        "cmo": audit.site.cmo,
        "version": audit.template_version,
        "recommendation": recommendation,
        "score": recommendation.score,
        "unanswered": recommendation.score.total - recommendation.score.answered,
        "outcome_labels": Outcome.LABELS,
        "outcome_rules": [(Outcome.LABELS[outcome], rule) for outcome, rule in OUTCOME_RULES],
        "chart": bar_chart(recommendation.score.sections),
        "findings_by_severity": by_severity,
        "severity_counts": [(Severity(s).label, n) for s, n in counts.items()],
        "findings_count": len(findings),
        "sections": sections,
        "evidence": evidence,
        "signatures": signatures,
        "briefing": briefing,
        "generated_at": timezone.now(),
        "css_header_left": css_string(
            f"{audit.reference} · revision {audit.revision} · "
            f"{audit.template_version.template.name} v{audit.template_version.number}"
        ),
        "css_header_right": css_string(f"{audit.site.name} · CONFIDENTIAL"),
    }


def report_html(audit: Audit) -> str:
    return render_html(TEMPLATE, report_context(audit))


def report_render(*, report: AuditReport) -> AuditReport:
    """Render a queued report to PDF and store it; a failure is recorded on the report."""

    def prepare() -> tuple[dict, str]:
        return report_context(report.audit), audit_report_fingerprint(report.audit)

    return render_report(report=report, template_name=TEMPLATE, prepare=prepare)
