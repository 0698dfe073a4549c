from celery import shared_task

from scoring.models import ComparisonReport, Evaluation
from scoring.services.computation import cmo_scores_compute, evaluation_compute
from scoring.services.reports import report_render


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def compute_evaluation(evaluation_id: int, token: str | None = None) -> None:
    evaluation = Evaluation.objects.get(pk=evaluation_id)
    evaluation_compute(evaluation=evaluation, token=token)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def compute_cmo_scores(cmo_ids: list[int] | None = None) -> None:
    cmo_scores_compute(cmo_ids=cmo_ids)


# Like the audit report: a render failure is recorded on the report, and a lost worker's report
# is picked up again (acks_late); rendering the same content again would only fail again.
@shared_task(acks_late=True, max_retries=0)
def render_comparison_report(report_id: int) -> None:
    report = ComparisonReport.objects.select_related("evaluation").get(pk=report_id)
    report_render(report=report)
