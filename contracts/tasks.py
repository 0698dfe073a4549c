from celery import shared_task

from contracts.services import contracts_review


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def review_contracts() -> dict[str, int]:
    return contracts_review()
