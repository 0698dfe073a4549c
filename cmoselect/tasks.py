from celery import shared_task

from cmoselect.outbox import outbox_flush
from cmoselect.pdf import reports_sweep


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    return outbox_flush()


@shared_task(ignore_result=True)
def sweep_reports() -> int:
    return reports_sweep()
