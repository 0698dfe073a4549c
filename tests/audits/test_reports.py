import logging
import subprocess

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.models import Audit, AuditReport, Severity
from audits.services import (
    answer_save,
    audit_decide,
    evidence_add,
    report_render,
    report_request,
)
from audits.services import reports as report_services
from audits.tasks import render_audit_report
from cmoselect import pdf
from tests.conftest import PASSWORD
from tests.factories import (
    SiteFactory,
    make_audit,
    make_checklist,
    raise_finding,
    submit_for_review,
)

pytestmark = pytest.mark.django_db(transaction=False)


def pdf_text(path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(raw.stdout.split())


@pytest.fixture
def approved(qa, reviewer, django_capture_on_commit_callbacks):
    qa.first_name, qa.last_name = "Quinn", "Adeyemi"
    qa.save()
    version = make_checklist(
        (("Quality system", ("yes_no", "rating", "text")), ("Laboratory", ("yes_no", "yes_no")))
    )
    site = SiteFactory(name="Visp Fill-Finish", cmo__legal_name='Alder "Bio" AG')
    audit = make_audit(site=site, version=version, lead=qa, status=Audit.Status.IN_PROGRESS)
    values = {"yes_no": "yes", "rating": "3", "text": "Management review held in January"}
    for answer in audit.answers.select_related("audit", "question__section"):
        answer_save(
            answer=answer,
            user=qa,
            value=values[answer.question.answer_type],
            comment=f"Comment on {answer.question.text}",
            expected_version=0,
        )
    first = audit.answers.select_related("audit", "question__section").first()
    evidence_add(
        answer=first, upload=SimpleUploadedFile("cleanroom.pdf", b"%PDF-1.4 test"), user=qa
    )
    finding = raise_finding(
        audit,
        qa,
        Severity.MAJOR,
        title="OOS investigation closed without root cause",
        requirement="21 CFR 211.192",
        description="OOS 2025-014 was invalidated without evidence.",
        answer=first,
    )
    submit_for_review(audit, qa)
    # The open major finding allows a conditional approval at most; another QA person signs it.
    audit_decide(
        audit=audit,
        user=reviewer,
        password=PASSWORD,
        decision="conditional",
        meaning="approved",
        conditions="Re-open OOS 2025-014 and find its root cause within 30 days.",
        findings=[finding],
    )
    audit.refresh_from_db()
    return audit


def test_the_report_is_rendered_by_the_task_and_holds_everything(
    approved, qa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(audit=approved, user=qa)
    report.refresh_from_db()
    assert report.status == AuditReport.Status.READY, report.error
    assert report.started_at and report.finished_at and report.fingerprint
    text = pdf_text(report.file.path)
    assert "GMP AUDIT REPORT" in text and "Visp Fill-Finish" in text
    assert f"{approved.reference} · revision 1" in text  # the @page header
    assert "Page 1 of" in text and "Page 3 of" in text
    assert "Executive summary" in text and "Conditional approval at most" in text
    assert "OOS investigation closed without root cause" in text and "21 CFR 211.192" in text
    assert "Open, due" in text  # the CAPA status beside the finding
    assert "Management review held in January" in text  # a text answer
    assert "3 – in place, minor gaps" in text  # a rating answer
    assert "Comment on Laboratory question 2?" in text
    assert "cleanroom.pdf" in text
    assert "Approved by: Rowan Reviewer" in text and "Content SHA-256" in text
    assert "Decision: Approve with conditions" in text
    assert "Conditions: Re-open OOS 2025-014" in text and "(depends on F01)" in text
    assert "5 answered, 0 unanswered" in text
    assert "The audit content matches this signature." in text


def test_the_report_status_goes_queued_rendering_ready_and_is_marked_outdated(
    approved, qa, client_for, django_capture_on_commit_callbacks
):
    client = client_for(qa)
    report = report_request(audit=approved, user=qa)  # not yet committed: still queued
    panel = client.get(reverse("audits:report_status", args=[report.pk])).content.decode()
    assert "Queued" in panel and 'hx-trigger="every 2s"' in panel
    report_render(report=report)
    panel = client.get(reverse("audits:report_status", args=[report.pk])).content.decode()
    assert "Ready" in panel and "Download PDF" in panel and "every 2s" not in panel
    assert "Outdated" not in panel
    download = client.get(reverse("audits:report_download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    capa = approved.findings.get().capa
    from audits.services import capa_record_response

    capa_record_response(
        capa=capa, user=qa, root_cause="a", corrective_action="b", preventive_action="c"
    )
    panel = client.get(reverse("audits:report_status", args=[report.pk])).content.decode()
    assert "Outdated" in panel and "Render again" in panel


def test_a_failed_render_records_the_error(approved, qa, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("font cache unavailable")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    report = report_request(audit=approved, user=qa)
    report = report_render(report=report)
    assert report.status == AuditReport.Status.FAILED
    assert "font cache unavailable" in report.error
    assert not report.file


def test_a_failed_render_is_logged_and_its_long_error_cut_to_the_shared_limit(
    approved, qa, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("font cache unavailable " + "x" * 5000)

    monkeypatch.setattr(pdf, "render_pdf", broken)
    report = report_request(audit=approved, user=qa)
    with caplog.at_level(logging.ERROR):
        result = render_audit_report.delay(report.pk)
    assert result.successful()
    report.refresh_from_db()
    assert report.status == AuditReport.Status.FAILED and report.finished_at
    assert report.error.startswith("RuntimeError: font cache unavailable")
    assert len(report.error) == pdf.ERROR_LIMIT
    assert f"AuditReport {report.pk} failed to render" in caplog.text


def test_the_pdf_resolves_relative_urls_from_the_static_files(approved, qa, monkeypatch):
    seen = []

    def capture(html, *, base_url):
        seen.append(base_url)
        return b"%PDF-1.7 stub"

    monkeypatch.setattr(pdf, "html_to_pdf", capture)
    report = report_render(report=report_request(audit=approved, user=qa))
    assert report.status == AuditReport.Status.READY
    assert seen == [str(settings.BASE_DIR / "static")]
    assert report.file.name == f"audits/{approved.pk}/reports/{approved.reference}-rev1.pdf"


def test_requesting_a_report_in_the_browser_shows_its_status(
    approved, manager, client_for, django_capture_on_commit_callbacks
):
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("audits:report_request", args=[approved.pk]), HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert 'id="report"' in response.content.decode()
    assert AuditReport.objects.get().status in (AuditReport.Status.QUEUED, AuditReport.Status.READY)


def test_the_section_chart_colours_bars_by_the_outcome_thresholds(monkeypatch):
    from audits.outcomes import SectionScore

    # Thresholds other than the shipped ones, so a chart with its own figures would show it.
    monkeypatch.setattr(report_services, "APPROVE_FROM", 90.0)
    monkeypatch.setattr(report_services, "CONDITIONAL_FROM", 70.0)
    sections = [
        SectionScore(index, index, f"S{index}", earned=earned, possible=100.0 if earned else 0)
        for index, earned in enumerate((95.0, 85.0, 70.0, 65.0, 0.0), start=1)
    ]
    chart = report_services.bar_chart(sections)
    assert [row["tone"] for row in chart["rows"]] == ["ok", "warn", "warn", "bad", "none"]
    assert [line["label"] for line in chart["grid"]] == ["0", "70", "90", "100"]


def test_the_section_chart_shows_long_section_titles_in_full_wrapped_beside_their_bar():
    from types import SimpleNamespace

    from audits.services.reports import bar_chart

    long_title = "Laboratory controls, stability programme and out-of-specification investigations"
    chart = bar_chart(
        [
            SimpleNamespace(position=1, title=long_title, percent=50.0),
            SimpleNamespace(position=2, title="Premises", percent=None),
        ]
    )
    first, second = chart["rows"]
    assert " ".join(text for _, text in first["lines"]) == f"1. {long_title}"
    assert len(first["lines"]) == 2
    assert all(len(text) <= 50 for _, text in first["lines"])
    # The next row starts below the wrapped title, so labels never overlap.
    assert second["lines"][0][0] > first["lines"][-1][0] + 10
    assert chart["height"] >= second["y"] + chart["bar"]


def test_the_rendered_report_keeps_the_whole_section_title_on_its_chart(qa):
    from audits.services.reports import report_html

    long_title = "Pharmaceutical quality system and management responsibility review"
    version = make_checklist(((long_title, ("yes_no",)),))
    html = report_html(make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS))
    start = html.index('class="section-label"')
    label = html[start : html.index("</text>", start)]
    assert f'data-label="1. {long_title}"' in label
    assert label.count("<tspan") == 2
