from celery import shared_task

from cmoselect.outbox import outbox_flush


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    return outbox_flush()
