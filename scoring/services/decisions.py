"""The signed decision that closes an evaluation."""

from django.core.exceptions import ValidationError
from django.db import transaction

from audits.gate import SiteGate, gate_refusal, sites_gate
from cmoselect.esign import signature_check, signature_manifest
from cmoselect.history import save_with_history
from cmoselect.roles import Perm
from qualification.schedule import due_dates_for_sites
from scoring.models import Candidate, Decision, Evaluation
from scoring.services.computation import evaluation_scores_content
from scoring.services.recompute import _check_open
from scoring.sources import sites_in_use
from vendors.models import Cmo, QualificationStatus, Site
from vendors.services import cmo_change_status, site_change_status

# Where a decision may move the chosen CMO's qualification status.
FORWARD_STATUSES = (
    QualificationStatus.UNDER_EVALUATION,
    QualificationStatus.CONDITIONALLY_APPROVED,
    QualificationStatus.APPROVED,
)
S = QualificationStatus
# How far along the lifecycle a status is, for moving a CMO's sites forward and never back.
_PROGRESS = {S.PROSPECT: 0, S.UNDER_EVALUATION: 1, S.CONDITIONALLY_APPROVED: 2, S.APPROVED: 3}
NO_SITE = "{cmo} has no site that is not inactive or disqualified; there is nothing to approve."


def candidates_gate(*, evaluation: Evaluation, candidates) -> dict[int, list[SiteGate]]:
    """For each candidate (by id), the sites its CMO will use and what keeps each from Approved.

    A constant number of queries, whatever the number of candidates and sites.
    """
    candidates = list(candidates)
    needs = list(evaluation.needs.values_list("capability_id", "min_level"))
    used = sites_in_use(needs, {c.cmo_id for c in candidates})
    site_ids = [pk for pks in used.values() for pk in pks]
    gates = {
        gate.site_id: gate for gate in sites_gate(site_ids, due_dates=due_dates_for_sites(site_ids))
    }
    return {c.pk: [gates[pk] for pk in used[c.cmo_id]] for c in candidates}


def approval_refusal(*, candidate: Candidate, gates: list[SiteGate]) -> list[str]:
    """Why the sign-off may not move this candidate's CMO to Approved; empty when it may."""
    if not gates:
        return [NO_SITE.format(cmo=candidate.cmo)]
    return gate_refusal(gates)


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
    """Record the manager's signed choice of a CMO, bound to the scores as they stand now.

    With `new_status`, the CMO and the sites it will use move forward to it (a site never moves
    back), each move linked to the decision. Approved passes the QA gate only when every one of
    those sites passes it (audits/gate.py); otherwise conditionally approved is the most.
    """
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
    gates: list[SiteGate] = []
    if new_status and "candidate" not in errors and "new_status" not in errors:
        gates = candidates_gate(evaluation=evaluation, candidates=[candidate])[candidate.pk]
        if new_status == QualificationStatus.APPROVED:
            refusal = approval_refusal(candidate=candidate, gates=gates)
            if refusal:
                errors["new_status"] = refusal
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
            _move_forward(decision, status=new_status, site_ids=[g.site_id for g in gates])
    return decision


def _move_forward(decision: Decision, *, status: str, site_ids: list[int]) -> None:
    """Move the chosen CMO, then the sites it will use, to `status`, linked to the decision."""
    user, cmo = decision.signed_by, Cmo.objects.get(pk=decision.candidate.cmo_id)
    reason = (
        f"Selected in evaluation “{decision.evaluation.name}” "
        f"(decision e-signed by {decision.signed_name()})"
    )
    try:
        if cmo.qualification_status == S.PROSPECT and status != S.UNDER_EVALUATION:
            cmo_change_status(
                cmo=cmo, status=S.UNDER_EVALUATION, user=user, reason=reason, decision=decision
            )
        if cmo.qualification_status != status:
            cmo_change_status(cmo=cmo, status=status, user=user, reason=reason, decision=decision)
        for site in Site.objects.filter(pk__in=site_ids).order_by("name"):
            current = _PROGRESS.get(site.qualification_status)
            if current is None or current >= _PROGRESS[status]:
                continue  # suspended, or already as far along: not the sign-off's to change
            if status not in site.allowed_statuses():  # a prospect goes through evaluation
                site = _move_site(site, S.UNDER_EVALUATION, user, reason, decision)
            _move_site(site, status, user, reason, decision)
    except ValidationError as error:
        raise ValidationError({"new_status": error.messages}) from None


def _move_site(site: Site, status: str, user, reason: str, decision: Decision) -> Site:
    change = site_change_status(
        site=site, status=status, user=user, reason=reason, decision=decision
    )
    return change.site
