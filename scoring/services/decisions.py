"""The signed decision that closes an evaluation."""

from django.core.exceptions import ValidationError
from django.db import transaction

from cmoselect.esign import signature_check, signature_manifest
from cmoselect.history import save_with_history
from cmoselect.roles import Perm
from scoring.models import Candidate, Decision, Evaluation
from scoring.services.computation import evaluation_scores_content
from scoring.services.recompute import _check_open
from vendors.models import QualificationStatus
from vendors.services import cmo_change_status

# Where a decision may move the chosen CMO's qualification status.
FORWARD_STATUSES = (
    QualificationStatus.UNDER_EVALUATION,
    QualificationStatus.CONDITIONALLY_APPROVED,
    QualificationStatus.APPROVED,
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
