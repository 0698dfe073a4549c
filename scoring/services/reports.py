"""The comparison report: PDF (rendered by a Celery task), CSV and XLSX."""

import io
import math
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cmoselect.outbox import enqueue
from cmoselect.pdf import render_report
from cmoselect.spreadsheets import csv_text, xlsx_append
from scoring.models import Candidate, ComparisonReport, Decision, Evaluation
from scoring.services.computation import evaluation_scores_hash

MIN_CANDIDATES, MAX_CANDIDATES = 2, 10
PALETTE = [
    "#1d4ed8",
    "#c2410c",
    "#15803d",
    "#7e22ce",
    "#b91c1c",
    "#0e7490",
    "#a16207",
    "#be185d",
    "#4d7c0f",
    "#475569",
]


def report_request(
    *, evaluation: Evaluation, candidates: Sequence[Candidate], user
) -> ComparisonReport:
    """Queue a PDF comparison report of 2–10 of the evaluation's candidates."""
    from scoring.tasks import render_comparison_report

    if not MIN_CANDIDATES <= len(candidates) <= MAX_CANDIDATES:
        raise ValidationError(
            {
                "candidates": f"Compare from {MIN_CANDIDATES} to {MAX_CANDIDATES} candidates "
                f"({len(candidates)} chosen)."
            }
        )
    if any(c.evaluation_id != evaluation.pk for c in candidates):
        raise ValidationError({"candidates": "Only this evaluation's candidates can be compared."})
    if evaluation.scored_at is None:
        raise ValidationError("The scores have not been computed yet.")
    with transaction.atomic():
        report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=user)
        report.candidates.set(candidates)
        enqueue(render_comparison_report, report.pk)
    return report


def report_context(*, evaluation: Evaluation, candidates: Sequence[Candidate]) -> dict:
    decision = (
        Decision.objects.filter(evaluation=evaluation)
        .select_related("candidate__cmo", "signed_by")
        .first()
    )
    criteria = candidates[0].breakdown if candidates else []
    needs = list(evaluation.needs.select_related("capability"))
    return {
        "evaluation": evaluation,
        "candidates": candidates,
        "criteria": criteria,
        "needs": needs,
        "decision": decision,
        "radar": radar_svg(
            criteria=[c["name"] for c in criteria],
            series=[(c.cmo.legal_name, [f["score"] for f in c.breakdown]) for c in candidates],
        ),
        "colors": PALETTE,
        "recommended": next((c for c in candidates if c.rank == 1), None),
        "scores_hash": evaluation_scores_hash(evaluation),
        "generated_at": timezone.now(),
    }


def report_render(*, report: ComparisonReport) -> ComparisonReport:
    """Render the report's PDF and store it; a failure is recorded on the report."""

    def prepare() -> tuple[dict, str]:
        candidates = list(report.candidates.select_related("cmo").ranked())
        context = report_context(evaluation=report.evaluation, candidates=candidates)
        report.with_decision = context["decision"] is not None
        return context, context["scores_hash"]

    return render_report(
        report=report,
        template_name="scoring/pdf/comparison.html",
        prepare=prepare,
        update_fields=("with_decision",),
    )


def radar_svg(
    *,
    criteria: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    size: int = 360,
) -> SafeString:
    """A radar chart of 0–100 scores, one polygon per candidate; no data plots at the centre."""
    n = len(criteria)
    if n < 3:
        return mark_safe("")
    centre, radius = size / 2, size / 2 - 70

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * value / 100
        return centre + r * math.cos(angle), centre + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" role="img" aria-label="Scores per criterion">'
    ]
    for ring in (25, 50, 75, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#d0d5dd" stroke-width="0.6"/>')
    for i, name in enumerate(criteria):
        x, y = point(i, 100)
        lx, ly = point(i, 118)
        anchor = "middle" if abs(lx - centre) < 10 else ("start" if lx > centre else "end")
        parts.append(
            f'<line x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d0d5dd" stroke-width="0.6"/>'
        )
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="9" text-anchor="{anchor}">{escape(name)}</text>'
        )
    for index, (_name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        pts = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (point(i, v or 0) for i, v in enumerate(values))
        )
        parts.append(
            f'<polygon points="{pts}" fill="{color}" fill-opacity="0.08" stroke="{color}" stroke-width="1.4"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _rows(evaluation: Evaluation) -> tuple[list[str], list[list]]:
    candidates = list(evaluation.candidates.select_related("cmo").ranked())
    criteria = candidates[0].breakdown if candidates else []
    header = (
        ["Rank", "CMO", "Total", "Excluded"]
        + [f"{c['name']} ({c['weight']}%)" for c in criteria]
        + ["Explanation"]
    )
    rows = []
    for c in candidates:
        rows.append(
            [
                c.rank or "",
                c.cmo.legal_name,
                "" if c.total is None else round(c.total, 1),
                "; ".join(c.knockout_reasons),
            ]
            + ["no data" if f["score"] is None else round(f["score"], 1) for f in c.breakdown]
            + [c.explanation]
        )
    return header, rows


def scores_csv(evaluation: Evaluation) -> str:
    """The evaluation's scores as CSV: one row per candidate, one column per criterion."""
    header, rows = _rows(evaluation)
    return csv_text([header, *rows])


def scores_xlsx(evaluation: Evaluation) -> bytes:
    """The evaluation's scores as an XLSX workbook, with the raw values on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, rows = _rows(evaluation)
    book = Workbook()
    sheet = book.active
    sheet.title = "Scores"
    xlsx_append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx_append(sheet, row)
    raw = book.create_sheet("Raw values")
    xlsx_append(raw, ["CMO", "Criterion", "Weight", "Score", "Raw value", "Knock-out"])
    for c in evaluation.candidates.select_related("cmo").ranked():
        for f in c.breakdown:
            xlsx_append(
                raw,
                [c.cmo.legal_name, f["name"], f["weight"], f["score"], f["raw"], f["knockout"]],
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
