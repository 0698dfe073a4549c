from celery import shared_task

from vendors.models import StatusChange
from vendors.services import status_change_notify


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_status_change(change_id: int) -> None:
    change = StatusChange.objects.select_related("cmo", "site", "changed_by").get(pk=change_id)
    status_change_notify(change=change)
