"""Work a dead worker left behind is settled, saying why; a message delivered twice does nothing."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, AuditReport
from audits.tasks import render_audit_report
from cmoselect.pdf import STUCK_RENDERING, reports_sweep
from tests.factories import make_audit


def test_a_report_left_rendering_by_a_killed_worker_fails_and_offers_render_again(
    client, qa, settings
):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    report = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=qa)
    long_ago = timezone.now() - timedelta(minutes=settings.STUCK_WORK_MINUTES + 1)
    AuditReport.objects.filter(pk=report.pk).update(status="rendering", started_at=long_ago)
    fresh = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=qa)
    AuditReport.objects.filter(pk=fresh.pk).update(status="rendering", started_at=timezone.now())

    assert reports_sweep() == 1
    report.refresh_from_db()
    assert report.status == "failed" and report.error == STUCK_RENDERING
    assert AuditReport.objects.get(pk=fresh.pk).status == "rendering"  # still within its time

    AuditReport.objects.filter(pk=fresh.pk).delete()
    client.force_login(qa)
    page = client.get(reverse("audits:audit_detail", args=[audit.pk])).content.decode()
    assert "The worker stopped while rendering this report" in page
    assert "Render again" in page


def test_a_report_never_picked_up_is_settled_too(qa, settings):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    report = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=qa)
    AuditReport.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - timedelta(minutes=settings.STUCK_WORK_MINUTES + 1)
    )
    assert reports_sweep() == 1
    report.refresh_from_db()
    assert report.status == "failed" and "No worker started this report" in report.error


def test_a_render_message_delivered_again_leaves_the_ready_report_alone(qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    report = AuditReport.objects.create(audit=audit, revision=audit.revision, requested_by=qa)
    render_audit_report.run(report.pk)
    report.refresh_from_db()
    assert report.status == "ready"
    first = (report.file.name, report.finished_at)
    render_audit_report.run(report.pk)  # the broker delivers the same message again
    report.refresh_from_db()
    assert report.status == "ready" and (report.file.name, report.finished_at) == first
