import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cmoselect.esign import signature_check, signature_manifest
from cmoselect.history import delete_with_history, require_reason, save_with_history
from cmoselect.roles import Perm
from scoring.compute import evaluation_scores_content
from scoring.models import (
    ENTERED_SOURCES,
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
from vendors.models import Cmo, QualificationStatus
from vendors.services import cmo_change_status

# Where a decision may move the chosen CMO's qualification status.
FORWARD_STATUSES = (
    QualificationStatus.UNDER_EVALUATION,
    QualificationStatus.CONDITIONALLY_APPROVED,
    QualificationStatus.APPROVED,
)


def criteria_validate(criteria: Sequence[dict]) -> None:
    """Check a set of criteria: distinct codes, weights 0–100 that add up to exactly 100."""
    if not criteria:
        raise ValidationError({"weights": "A scoring model needs at least one criterion."})
    codes = [c["code"] for c in criteria]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationError(
            {"criteria": f"Each criterion needs its own code: {', '.join(duplicates)}."}
        )
    bad = [c["name"] for c in criteria if not 0 <= int(c["weight"]) <= 100]
    if bad:
        raise ValidationError({"weights": f"Weights run from 0 to 100 ({', '.join(bad)})."})
    total = sum(int(c["weight"]) for c in criteria)
    if total != 100:
        raise ValidationError(
            {"weights": f"The weights add up to {total}; they must add up to exactly 100."}
        )
    unknown = [c["source"] for c in criteria if c["source"] not in Source.values]
    if unknown:
        raise ValidationError({"criteria": f"Unknown source: {', '.join(unknown)}."})


def model_version_create(
    *, scoring_model: ScoringModel, criteria: Sequence[dict], user, note: str
) -> ModelVersion:
    """Save a new version of a scoring model's criteria and rescore what uses the model."""
    criteria_validate(criteria)
    if not note.strip():
        raise ValidationError({"note": "Say why the weights change; it is kept in the history."})
    with transaction.atomic():
        ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
        top = scoring_model.versions.aggregate(top=Max("number"))["top"] or 0
        version = ModelVersion.objects.create(
            scoring_model=scoring_model, number=top + 1, note=note.strip(), created_by=user
        )
        Criterion.objects.bulk_create(
            Criterion(
                version=version,
                code=c["code"],
                name=c["name"],
                source=c["source"],
                weight=int(c["weight"]),
                knockout=bool(c.get("knockout")),
                position=position,
            )
            for position, c in enumerate(criteria)
        )
        for evaluation in Evaluation.objects.open().filter(scoring_model=scoring_model):
            evaluation_request_recompute(evaluation=evaluation, reason="model weights changed")
        if scoring_model.is_default:
            _enqueue_cmo_scores(None)
    return version


def scoring_model_create(
    *, name: str, description: str, based_on: ScoringModel, user
) -> ScoringModel:
    """Create a scoring model starting from another model's current criteria."""
    if ScoringModel.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": "A scoring model with this name exists already."})
    criteria = [criterion_dict(c) for c in based_on.current_version.criteria.all()]
    with transaction.atomic():
        scoring_model = ScoringModel.objects.create(name=name.strip(), description=description)
        model_version_create(
            scoring_model=scoring_model,
            criteria=criteria,
            user=user,
            note=f"Created from {based_on.name} v{based_on.current_version.number}",
        )
    return scoring_model


def criterion_dict(criterion: Criterion) -> dict:
    return {
        "code": criterion.code,
        "name": criterion.name,
        "source": criterion.source,
        "weight": criterion.weight,
        "knockout": criterion.knockout,
    }


def evaluation_save(
    *,
    evaluation: Evaluation,
    user,
    needs: Sequence[tuple[int, int]],
    team: Iterable | None = None,
    reason: str = "",
) -> Evaluation:
    """Create or update an evaluation with its needs and team, keeping history, then rescore."""
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


def _check_open(evaluation: Evaluation) -> None:
    if not evaluation.is_open:
        raise ValidationError(
            f"This evaluation is {evaluation.get_status_display().lower()}; it cannot change."
        )


def candidates_add(
    *, evaluation: Evaluation, cmos: Iterable[Cmo], user, origin: str = Candidate.Origin.MANUAL
) -> list[Candidate]:
    """Add CMOs as candidates (those already in are left alone) and rescore."""
    _check_open(evaluation)
    existing = set(evaluation.candidates.values_list("cmo_id", flat=True))
    new = [
        Candidate(evaluation=evaluation, cmo=cmo, origin=origin, added_by=user)
        for cmo in cmos
        if cmo.pk not in existing
    ]
    with transaction.atomic():
        Candidate.objects.bulk_create(new)
        if new:
            evaluation_request_recompute(evaluation=evaluation, reason="candidates added")
    return new


def candidate_remove(*, candidate: Candidate, user) -> None:
    """Take a candidate out of an open evaluation, with its entered scores, and rescore."""
    evaluation = candidate.evaluation
    _check_open(evaluation)
    if Decision.objects.filter(candidate=candidate).exists():
        raise ValidationError("A decision names this candidate; it cannot be removed.")
    with transaction.atomic():
        for entry in candidate.entries.all():
            delete_with_history(entry, user=user, reason="Candidate removed")
        candidate.delete()
        evaluation_request_recompute(evaluation=evaluation, reason="candidate removed")


def entered_score_save(
    *, candidate: Candidate, criterion: Criterion, value, justification: str, user
) -> EnteredScore:
    """Record a price or a 1–5 rating with its justification, keeping history, and rescore."""
    _check_open(candidate.evaluation)
    if criterion.source not in ENTERED_SOURCES:
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


def evaluation_request_recompute(*, evaluation: Evaluation, reason: str) -> str:
    """Mark the evaluation's scores as pending and schedule one debounced recomputation."""
    from scoring.tasks import compute_evaluation

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


def decision_sign(
    *,
    evaluation: Evaluation,
    candidate: Candidate,
    user,
    password: str,
    meaning: str,
    rationale: str,
    new_status: str = "",
    address: str | None = None,
) -> Decision:
    """Record the manager's signed choice of a CMO, bound to the scores as they stand now."""
    errors = signature_check(
        user=user,
        perm=Perm.SIGN_DECISIONS,
        password=password,
        meaning=meaning,
        meanings=Decision.Meaning.values,
        action="evaluation decisions",
        record=str(evaluation),
        address=address,
    )
    if not rationale.strip():
        errors["rationale"] = "State the reasons for the decision."
    if candidate.evaluation_id != evaluation.pk:
        errors["candidate"] = "This CMO is not a candidate of the evaluation."
    if new_status and new_status not in FORWARD_STATUSES:
        errors["new_status"] = "A decision can only move a CMO forward."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        _check_open(evaluation)
        if evaluation.pending_since or evaluation.scored_at is None:
            raise ValidationError("The scores are being recomputed; sign once they are up to date.")
        if candidate.knocked_out:
            raise ValidationError({"candidate": "This candidate is excluded by a knock-out."})
        snapshot = list(
            evaluation.candidates.ranked().values(
                "pk", "cmo_id", "cmo__legal_name", "total", "rank", "knocked_out"
            )
        )
        manifest = signature_manifest(
            user=user, meaning=meaning, content=evaluation_scores_content(evaluation)
        )
        decision = Decision.objects.create(
            evaluation=evaluation,
            candidate=candidate,
            meaning=meaning,
            rationale=rationale.strip(),
            signed_by=user,
            signed_at=manifest.signed_at,
            scores_hash=manifest.content_hash,
            scores_snapshot={
                "version": evaluation.scored_version_id,
                "scored_at": evaluation.scored_at.isoformat(),
                "candidates": snapshot,
            },
            new_status=new_status,
        )
        evaluation.status = Evaluation.Status.DECIDED
        save_with_history(
            evaluation,
            user=user,
            reason=f"Decision signed: {candidate.cmo}",
            update_fields=["status", "updated_at"],
        )
        if new_status:
            cmo_change_status(
                cmo=candidate.cmo,
                status=new_status,
                user=user,
                reason=f"Selected in evaluation “{evaluation.name}”",
            )
    return decision


def evaluation_cancel(*, evaluation: Evaluation, user, reason: str) -> Evaluation:
    """Cancel an open evaluation, keeping why in its history."""
    _check_open(evaluation)
    reason = require_reason(
        reason, field_name="reason", message="Say why the evaluation is cancelled."
    )
    evaluation.status = Evaluation.Status.CANCELLED
    save_with_history(evaluation, user=user, reason=reason, update_fields=["status", "updated_at"])
    return evaluation
