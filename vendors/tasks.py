from celery import shared_task

from vendors.certificates import certificate_alerts_send
from vendors.compliance import establishments_refresh_signal
from vendors.models import Establishment, ImportRun, StatusChange
from vendors.services import import_run_execute, import_runs_sweep, status_change_notify


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notify_status_change(change_id: int) -> None:
    change = StatusChange.objects.select_related("cmo", "site", "changed_by").get(pk=change_id)
    status_change_notify(change=change)


@shared_task
def preview_import(run_id: int) -> None:
    run = ImportRun.objects.select_related("uploaded_by").get(pk=run_id)
    import_run_execute(run=run, commit=False)


@shared_task
def commit_import(run_id: int) -> None:
    run = ImportRun.objects.select_related("uploaded_by").get(pk=run_id)
    import_run_execute(run=run, commit=True)


@shared_task(ignore_result=True)
def sweep_import_runs() -> int:
    return import_runs_sweep()


@shared_task(ignore_result=True)
def refresh_registry_signals() -> int:
    return establishments_refresh_signal(Establishment.objects.filter(signal__isnull=False))


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_certificate_alerts() -> int:
    return len(certificate_alerts_send())
