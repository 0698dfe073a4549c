import uuid
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from cmoselect.esign import signature_check, signature_manifest
from cmoselect.history import delete_with_history, require_reason, save_with_history, stamp
from cmoselect.roles import Perm, check_perm
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


WEIGHTS_REASON_REQUIRED = "Say why the weights change; it is kept in the history."


def model_version_create(
    *, scoring_model: ScoringModel, criteria: Sequence[dict], user, note: str
) -> ModelVersion:
    """Save a new version of a shared scoring model; its evaluations keep the version they use.

    Only the directory's qualification scores follow the default model at once: an open
    evaluation moves to the new version when someone chooses to (`evaluation_version_move`).
    """
    check_perm(user, Perm.EDIT_EVALUATIONS)
    if not scoring_model.is_shared:
        raise ValidationError(
            "These weights belong to one evaluation; change them on that evaluation's page."
        )
    with transaction.atomic():
        # Evaluations that never pinned a version stay on the one they were scored with.
        current = scoring_model.current_version
        if current is not None:
            Evaluation.objects.filter(
                scoring_model=scoring_model, model_version__isnull=True
            ).update(model_version=current)
        version = _version_write(
            scoring_model=scoring_model, criteria=criteria, user=user, note=note
        )
        if scoring_model.is_default:
            _enqueue_cmo_scores(None)
    return version


def _version_write(
    *, scoring_model: ScoringModel, criteria: Sequence[dict], user, note: str
) -> ModelVersion:
    criteria_validate(criteria)
    if not note.strip():
        raise ValidationError({"note": WEIGHTS_REASON_REQUIRED})
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
    return version


def scoring_model_create(
    *, name: str, description: str, based_on: ScoringModel, user
) -> ScoringModel:
    """Create a scoring model starting from another model's current criteria."""
    if ScoringModel.objects.shared().filter(name__iexact=name.strip()).exists():
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


def _check_open(evaluation: Evaluation) -> None:
    # A decided evaluation is bound to its signature; a cancelled one is closed.
    if not evaluation.is_open:
        raise ValidationError(
            f"This evaluation is {evaluation.get_status_display().lower()}; it cannot change."
        )


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
