from celery import shared_task

from audits.models import AuditReport
from audits.services import report_render


@shared_task(acks_late=True, max_retries=0)
def render_audit_report(report_id: int) -> None:
    report = AuditReport.objects.select_related("audit").get(pk=report_id)
    report_render(report=report)
