from celery import shared_task

from vendors.models import ImportRun, StatusChange
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
