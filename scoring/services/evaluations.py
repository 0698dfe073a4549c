"""Evaluations: their needs and team, candidates, entered scores, weights and version."""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from cmoselect.history import delete_with_history, require_reason, save_with_history, stamp
from cmoselect.roles import Perm, check_perm
from scoring.models import (
    Candidate,
    Criterion,
    Decision,
    EnteredScore,
    Evaluation,
    EvaluationNeed,
    ModelVersion,
    ScoringModel,
    Source,
)
from scoring.services.models import _version_write, criterion_dict
from scoring.services.recompute import _check_open, evaluation_request_recompute
from vendors.models import Cmo


def evaluation_save(
    *,
    evaluation: Evaluation,
    user,
    needs: Sequence[tuple[int, int]],
    team: Iterable | None = None,
    reason: str = "",
) -> Evaluation:
    """Create or update an evaluation with its needs and team, keeping history, then rescore."""
    if evaluation.pk:
        _check_open(Evaluation.objects.get(pk=evaluation.pk))
    if evaluation.scoring_model_id and not evaluation.scoring_model.is_shared:
        raise ValidationError({"scoring_model": "Choose a shared scoring model."})
    chosen_before = (
        Evaluation.objects.filter(pk=evaluation.pk)
        .values_list("scoring_model_id", flat=True)
        .first()
        if evaluation.pk
        else None
    )
    if evaluation.scoring_model_id and (
        evaluation.model_version_id is None or chosen_before != evaluation.scoring_model_id
    ):
        # A newly chosen model is used at its newest version; until then the version stays.
        evaluation.model_version = evaluation.scoring_model.current_version
    capability_ids = [c for c, _ in needs]
    if len(set(capability_ids)) != len(capability_ids):
        raise ValidationError({"needs": "Each capability can be needed only once."})
    if evaluation.pk is None:
        evaluation.created_by = user
    with transaction.atomic():
        save_with_history(evaluation, user=user, reason=reason, clean=True)
        if team is not None:
            evaluation.team.set(team)
        evaluation.needs.all().delete()
        EvaluationNeed.objects.bulk_create(
            EvaluationNeed(evaluation=evaluation, capability_id=c, min_level=level)
            for c, level in needs
        )
        evaluation_request_recompute(evaluation=evaluation, reason="evaluation changed")
    return evaluation


def evaluation_start(
    *,
    evaluation: Evaluation,
    user,
    needs: Sequence[tuple[int, int]],
    team: Iterable | None = None,
    candidates: Iterable[Cmo] = (),
) -> Evaluation:
    """Create an evaluation with its needs and team and the CMOs chosen in a needs search."""
    with transaction.atomic():
        evaluation = evaluation_save(evaluation=evaluation, user=user, needs=needs, team=team)
        candidates_add(
            evaluation=evaluation,
            cmos=candidates,
            user=user,
            origin=Candidate.Origin.NEEDS_SEARCH,
        )
    return evaluation


def evaluation_weights_save(
    *, evaluation: Evaluation, weights: Mapping[str, int], user, reason: str
) -> ModelVersion:
    """Save weights for this evaluation alone, as a version of its own model, and rescore it."""
    check_perm(user, Perm.EDIT_EVALUATIONS)
    _check_open(evaluation)
    reason = require_reason(reason, field_name="note")
    criteria = [criterion_dict(c) for c in evaluation.version_in_use().criteria.all()]
    unknown = sorted(set(weights) - {c["code"] for c in criteria})
    if unknown:
        raise ValidationError({"weights": f"Unknown criterion: {', '.join(unknown)}."})
    for criterion in criteria:
        criterion["weight"] = weights.get(criterion["code"], criterion["weight"])
    with transaction.atomic():
        own, _ = ScoringModel.objects.get_or_create(
            owner=evaluation,
            defaults={
                "name": f"Weights for {evaluation.name}",
                "description": "Weights saved on the evaluation's page; used by it alone.",
            },
        )
        version = _version_write(scoring_model=own, criteria=criteria, user=user, note=reason)
        _use_version(
            evaluation, version, user=user, reason=f"Weights saved for this evaluation: {reason}"
        )
    return version


def evaluation_version_move(*, evaluation: Evaluation, user, reason: str) -> Evaluation:
    """Move an open evaluation to its shared model's newest version, with why, and rescore."""
    check_perm(user, Perm.EDIT_EVALUATIONS)
    _check_open(evaluation)
    reason = require_reason(reason, field_name="reason")
    latest = evaluation.scoring_model.current_version
    if evaluation.model_version_id == latest.pk:
        raise ValidationError({"reason": f"This evaluation uses {latest} already."})
    _use_version(evaluation, latest, user=user, reason=f"Moved to {latest}: {reason}")
    return evaluation


def _use_version(evaluation: Evaluation, version: ModelVersion, *, user, reason: str) -> None:
    with transaction.atomic():
        evaluation.model_version = version
        save_with_history(
            evaluation, user=user, reason=reason, update_fields=["model_version", "updated_at"]
        )
        evaluation_request_recompute(evaluation=evaluation, reason="weights in use changed")


def candidates_add(
    *, evaluation: Evaluation, cmos: Iterable[Cmo], user, origin: str = Candidate.Origin.MANUAL
) -> list[Candidate]:
    """Add CMOs as candidates (those already in are left alone), keeping history, and rescore."""
    _check_open(evaluation)
    existing = set(evaluation.candidates.values_list("cmo_id", flat=True))
    reason = Candidate.Origin(origin).label
    new = [
        stamp(
            Candidate(evaluation=evaluation, cmo=cmo, origin=origin, added_by=user),
            user=user,
            reason=reason,
        )
        for cmo in cmos
        if cmo.pk not in existing
    ]
    with transaction.atomic():
        new = bulk_create_with_history(
            new, Candidate, default_user=user, default_change_reason=reason
        )
        if new:
            evaluation_request_recompute(evaluation=evaluation, reason="candidates added")
    return new


def candidate_remove(*, candidate: Candidate, user, reason: str) -> None:
    """Take a candidate out of an open evaluation, with its entered scores and why, and rescore."""
    evaluation = candidate.evaluation
    _check_open(evaluation)
    reason = require_reason(reason, field_name="reason")
    if Decision.objects.filter(candidate=candidate).exists():
        raise ValidationError("A decision names this candidate; it cannot be removed.")
    with transaction.atomic():
        for entry in candidate.entries.all():
            delete_with_history(entry, user=user, reason=f"Candidate removed: {reason}")
        delete_with_history(candidate, user=user, reason=reason)
        evaluation_request_recompute(evaluation=evaluation, reason="candidate removed")


def entered_score_save(
    *, candidate: Candidate, criterion: Criterion, value, justification: str, user
) -> EnteredScore:
    """Record a price or a 1–5 rating with its justification, keeping history, and rescore."""
    _check_open(candidate.evaluation)
    if not criterion.is_entered:
        raise ValidationError({"criterion": f"{criterion.name} is computed, not entered."})
    if criterion.source == Source.RATING and value not in (1, 2, 3, 4, 5):
        raise ValidationError({"value": "Rate from 1 (unacceptable) to 5 (excellent)."})
    if criterion.source == Source.COST and not value > 0:
        raise ValidationError({"value": "Enter the quoted price per unit, above zero."})
    if not justification.strip():
        raise ValidationError({"justification": "Write why: the justification is kept."})
    entry = EnteredScore.objects.filter(candidate=candidate, criterion_code=criterion.code).first()
    entry = entry or EnteredScore(candidate=candidate, criterion_code=criterion.code)
    entry.value = value
    entry.justification = justification.strip()
    entry.entered_by = user
    with transaction.atomic():
        save_with_history(entry, user=user, reason=justification)
        evaluation_request_recompute(evaluation=candidate.evaluation, reason="score entered")
    return entry


def evaluation_cancel(*, evaluation: Evaluation, user, reason: str) -> Evaluation:
    """Cancel an open evaluation, keeping why in its history."""
    _check_open(evaluation)
    reason = require_reason(
        reason, field_name="reason", message="Say why the evaluation is cancelled."
    )
    evaluation.status = Evaluation.Status.CANCELLED
    save_with_history(evaluation, user=user, reason=reason, update_fields=["status", "updated_at"])
    return evaluation
