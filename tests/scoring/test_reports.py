import logging

import pytest
from django.conf import settings
from django.urls import reverse

from cmoselect import pdf
from scoring.models import ComparisonReport
from scoring.services import (
    evaluation_compute,
    evaluation_scores_hash,
    report_render,
    report_request,
)
from scoring.tasks import render_comparison_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(evaluation):
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    return evaluation


@pytest.fixture
def report(scored, qa):
    report = ComparisonReport.objects.create(evaluation=scored, requested_by=qa)
    report.candidates.set(scored.candidates.all())
    return report


@pytest.fixture
def broken_renderer(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font cache unavailable " + "x" * 5000)

    monkeypatch.setattr(pdf, "render_pdf", broken)


def test_a_rendered_report_keeps_its_times_file_and_the_hash_of_the_scores(report, scored):
    report = report_render(report=report)
    report.refresh_from_db()
    assert report.status == ComparisonReport.Status.READY, report.error
    assert report.started_at <= report.finished_at
    assert report.fingerprint == evaluation_scores_hash(scored)
    assert report.file.name.startswith("scoring/reports/comparison-")
    assert report.file.read().startswith(b"%PDF")
    assert report.filename == f"comparison-{scored.pk}-{report.pk}.pdf"
    assert not report.error and not report.with_decision


def test_a_failed_render_is_recorded_logged_and_not_raised(report, broken_renderer, caplog):
    with caplog.at_level(logging.ERROR):
        result = render_comparison_report.delay(report.pk)
    assert result.successful()  # nothing for Celery to retry: the same render would fail again
    report.refresh_from_db()
    assert report.status == ComparisonReport.Status.FAILED and not report.file
    assert report.error.startswith("RuntimeError: font cache unavailable")
    assert len(report.error) == pdf.ERROR_LIMIT
    assert report.finished_at is not None
    assert f"ComparisonReport {report.pk} failed to render" in caplog.text


def test_the_user_sees_why_a_report_failed(client_for, qa, report, broken_renderer):
    report_render(report=report)
    row = client_for(qa).get(reverse("scoring:comparisonreport_status", args=[report.pk]))
    text = row.content.decode()
    assert "Failed" in text and "font cache unavailable" in text and "every 2s" not in text


def test_the_pdf_resolves_relative_urls_from_the_static_files(report, monkeypatch):
    seen = []

    def capture(html, *, base_url):
        seen.append(base_url)
        return b"%PDF-1.7 stub"

    monkeypatch.setattr(pdf, "html_to_pdf", capture)
    report_render(report=report)
    assert seen == [str(settings.BASE_DIR / "static")]


def test_the_api_keeps_the_field_names_rendered_at_and_scores_hash(
    api_for, qa, scored, django_capture_on_commit_callbacks
):
    candidates = list(scored.candidates.all())
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(evaluation=scored, candidates=candidates, user=qa)
    report.refresh_from_db()
    data = api_for(qa).get(f"/api/v1/comparison-reports/{report.pk}/").data
    assert data["status"] == "ready"
    assert data["scores_hash"] == report.fingerprint == evaluation_scores_hash(scored)
    assert data["rendered_at"] and data["rendered_at"].startswith(
        report.finished_at.strftime("%Y-%m-%dT%H:%M")
    )
    assert "fingerprint" not in data and "finished_at" not in data


def _chart(values, criteria=("Capability fit", "Regulatory compliance", "Audit outcome", "Cost")):
    from xml.etree import ElementTree

    from scoring.services.reports import radar_svg

    svg = radar_svg(criteria=list(criteria), series=[("Basel Biologics AG", values)])
    return ElementTree.fromstring(str(svg))


SVG = "{http://www.w3.org/2000/svg}"


def test_a_criterion_without_data_is_left_out_of_the_chart_not_plotted_at_zero():
    chart = _chart([100, None, 50, 80])
    [series] = chart.iter(f"{SVG}g")
    assert series.get("data-series") == "Basel Biologics AG"
    assert series.find(f"{SVG}polygon") is None  # no closed shape through a missing score
    dots = [(float(c.get("cx")), float(c.get("cy"))) for c in series.iter(f"{SVG}circle")]
    assert len(dots) == 3
    centre = (float(chart.get("width")) / 2, float(chart.get("height")) / 2)
    assert centre not in dots
    # Only neighbours that both have data are joined: 1-2 are not, 3-4 and 4-1 are.
    assert len(list(series.iter(f"{SVG}line"))) == 2


def test_a_real_zero_is_plotted_at_the_centre():
    chart = _chart([100, 0, 50, 80])
    [series] = chart.iter(f"{SVG}g")
    assert series.find(f"{SVG}polygon") is not None
    centre = (float(chart.get("width")) / 2, float(chart.get("height")) / 2)
    dots = [(float(c.get("cx")), float(c.get("cy"))) for c in series.iter(f"{SVG}circle")]
    assert centre in dots


def test_the_axis_labels_show_the_whole_criterion_name():
    names = ("Capability fit", "Regulatory compliance", "Communication and project management")
    chart = _chart([50, 60, 70], criteria=names)
    labels = [t for t in chart.iter(f"{SVG}text") if t.get("class") == "axis"]
    shown = [" ".join(span.text for span in label.iter(f"{SVG}tspan")) for label in labels]
    assert shown == list(names)
    # Every line fits inside the drawing (DejaVu Sans at 8.5 px: under 6 px a character).
    width = float(chart.get("width"))
    for label in labels:
        for span in label.iter(f"{SVG}tspan"):
            x, extent = float(span.get("x")), 6 * len(span.text)
            left = {"start": x, "middle": x - extent / 2, "end": x - extent}[
                label.get("text-anchor")
            ]
            assert left >= 0 and left + extent <= width, span.text


def test_the_rendered_report_names_every_criterion_in_full_on_the_chart(scored):
    from scoring.services.reports import report_context

    candidates = list(scored.candidates.select_related("cmo").ranked())
    radar = str(report_context(evaluation=scored, candidates=candidates)["radar"])
    assert 'data-label="Regulatory compliance"' in radar
    assert "<tspan" in radar and "Regulatory complianc<" not in radar
