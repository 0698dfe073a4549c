"""The comparison report: PDF (rendered by a Celery task), CSV and XLSX."""

import io
import math
import textwrap
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
    width: int = 560,
    height: int = 290,
) -> SafeString:
    """A radar chart of 0–100 scores, one shape per candidate.

    A criterion without data is left out of that candidate's shape (a gap, not a point at the
    centre): a missing score must never read as a zero. Axis labels are wrapped, never cut.
    """
    n = len(criteria)
    if n < 3:
        return mark_safe("")
    cx, cy = width / 2, height / 2
    radius = height / 2 - 34  # room above and below for two-line labels

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * value / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="Scores per criterion">'
    ]
    for ring in (25, 50, 75, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#d0d5dd" stroke-width="0.6"/>')
    for i, name in enumerate(criteria):
        x, y = point(i, 100)
        parts.append(
            f'<line x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d0d5dd" stroke-width="0.6"/>'
        )
        parts.append(_axis_label(name, *point(i, 110), cx=cx, cy=cy))
    for index, (name, values) in enumerate(series):
        parts.append(
            _series_shape(
                index, name, [None if v is None else point(i, v) for i, v in enumerate(values)]
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _axis_label(name: str, x: float, y: float, *, cx: float, cy: float) -> str:
    lines = textwrap.wrap(name, 18) or [""]
    anchor = "middle" if abs(x - cx) < 10 else ("start" if x > cx else "end")
    step = 10
    if abs(y - cy) < 10:  # beside the chart: centred on the axis
        top = y - step * (len(lines) - 1) / 2 + 3
    elif y < cy:  # above: the last line sits on the axis end
        top = y - step * (len(lines) - 1)
    else:
        top = y + 7
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + step * k:.1f}">{escape(line)}</tspan>'
        for k, line in enumerate(lines)
    )
    return (
        f'<text class="axis" data-label="{escape(name)}" font-size="8.5" '
        f'text-anchor="{anchor}" fill="#344054">{spans}</text>'
    )


def _series_shape(index: int, name: str, points: list[tuple[float, float] | None]) -> str:
    color = PALETTE[index % len(PALETTE)]
    group = [f'<g class="series" data-series="{escape(name)}">']
    if all(p is not None for p in points):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        group.append(
            f'<polygon points="{pts}" fill="{color}" fill-opacity="0.08" stroke="{color}" '
            'stroke-width="1.4"/>'
        )
    else:
        # Only neighbouring criteria that both have data are joined.
        for here, after in zip(points, points[1:] + points[:1], strict=True):
            if here is not None and after is not None:
                group.append(
                    f'<line x1="{here[0]:.1f}" y1="{here[1]:.1f}" x2="{after[0]:.1f}" '
                    f'y2="{after[1]:.1f}" stroke="{color}" stroke-width="1.4"/>'
                )
    for p in points:
        if p is not None:
            group.append(f'<circle cx="{p[0]:.1f}" cy="{p[1]:.1f}" r="1.8" fill="{color}"/>')
    group.append("</g>")
    return "".join(group)


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
