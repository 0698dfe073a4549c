"""Requests to recompute scores: debounced, sent once the transaction commits."""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from scoring.models import Evaluation


def _check_open(evaluation: Evaluation) -> None:
    # A decided evaluation is bound to its signature; a cancelled one is closed.
    if not evaluation.is_open:
        raise ValidationError(
            f"This evaluation is {evaluation.get_status_display().lower()}; it cannot change."
        )


def evaluation_request_recompute(*, evaluation: Evaluation, reason: str) -> str:
    """Mark the evaluation's scores as pending and schedule one debounced recomputation."""
    from scoring.tasks import compute_evaluation

    _check_open(evaluation)

    token = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        Evaluation.objects.filter(pk=evaluation.pk).update(
            pending_since=locked.pending_since or now, pending_token=token
        )
        transaction.on_commit(
            lambda: compute_evaluation.apply_async(
                (evaluation.pk, token), countdown=settings.SCORING_DEBOUNCE_SECONDS
            )
        )
    evaluation.pending_since = locked.pending_since or now
    evaluation.pending_token = token
    return token


def scores_inputs_changed(*, cmo_ids: Iterable[int], reason: str) -> int:
    """Schedule rescoring of the open evaluations and qualification scores of these CMOs."""
    ids = set(cmo_ids)
    evaluations = Evaluation.objects.open().filter(candidates__cmo_id__in=ids).distinct()
    count = 0
    for evaluation in evaluations:
        evaluation_request_recompute(evaluation=evaluation, reason=reason)
        count += 1
    _enqueue_cmo_scores(sorted(ids))
    return count


def _enqueue_cmo_scores(cmo_ids: list[int] | None) -> None:
    from scoring.tasks import compute_cmo_scores

    transaction.on_commit(
        lambda: compute_cmo_scores.apply_async(
            (cmo_ids,), countdown=settings.SCORING_DEBOUNCE_SECONDS
        )
    )
