"""Thin Celery tasks: take ids, call one service."""

from celery import shared_task

from qualification.services import (
    asl_sync_cmos,
    qualification_reassess,
    requalification_alerts_send,
)


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def reassess_cmos(cmo_ids: list[int]) -> int:
    return len(asl_sync_cmos(cmo_ids=cmo_ids))


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def review_program() -> int:
    qualification_reassess()
    return len(requalification_alerts_send())
