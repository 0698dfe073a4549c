from celery import shared_task

from cmoselect.outbox import outbox_flush
from cmoselect.pdf import reports_sweep


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    return outbox_flush()


@shared_task(ignore_result=True)
def sweep_reports() -> int:
    return reports_sweep()


@shared_task(ignore_result=True)
def notify_signature_lockout(failure_id: int) -> int:
    from cmoselect.esign import signature_lockout_notify
    from cmoselect.models import SignatureFailure

    return signature_lockout_notify(failure=SignatureFailure.objects.get(pk=failure_id))
