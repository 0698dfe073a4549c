"""Findings and their CAPAs, from the audit to a verified closure."""

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.models import Answer, Audit, Capa, Finding, Severity
from audits.services.audits import evidence_store
from cmoselect.events import scoring_inputs_changed
from cmoselect.history import require_reason, save_with_history
from cmoselect.uploads import check_upload

# Default time the CMO gets to close a CAPA, by severity.
CAPA_DAYS = {Severity.CRITICAL: 15, Severity.MAJOR: 30, Severity.MINOR: 90}


def _check_findings_editable(audit: Audit) -> None:
    if not audit.findings_editable:
        raise ValidationError(
            f"Findings can be raised or changed only while the audit is in progress or in review "
            f"({audit.reference} is {audit.get_status_display().lower()})."
        )


def finding_create(
    *, finding: Finding, user: User, answer: Answer | None = None, capa_due: date | None = None
) -> Finding:
    """Raise a finding on an open audit; findings other than observations get a CAPA."""
    audit = finding.audit
    _check_findings_editable(audit)
    if answer is not None and answer.audit_id != audit.pk:
        raise ValidationError({"answer": "That answer belongs to another audit."})
    finding.answer = answer
    finding.created_by = user
    with transaction.atomic():
        Audit.objects.select_for_update().get(pk=audit.pk)
        finding.number = (audit.findings.aggregate(m=Max("number"))["m"] or 0) + 1
        save_with_history(finding, user=user, reason="Raised", clean=True)
        if finding.severity != Severity.OBSERVATION:
            due = capa_due or timezone.localdate() + timedelta(days=CAPA_DAYS[finding.severity])
            save_with_history(Capa(finding=finding, due_date=due), user=user, reason="Opened")
    return finding


def finding_update(*, finding: Finding, user: User, reason: str) -> Finding:
    """Save changes to a finding, with the reason in its history."""
    _check_findings_editable(finding.audit)
    with transaction.atomic():
        save_with_history(finding, user=user, reason=reason, clean=True)
        has_capa = Capa.objects.filter(finding=finding).exists()
        if finding.severity != Severity.OBSERVATION and not has_capa:
            due = timezone.localdate() + timedelta(days=CAPA_DAYS[finding.severity])
            save_with_history(Capa(finding=finding, due_date=due), user=user, reason="Opened")
    return finding


def _transition(capa: Capa, allowed: tuple[str, ...], action: str) -> Capa:
    locked = Capa.objects.select_for_update().select_related("finding__audit__site").get(pk=capa.pk)
    if locked.status not in allowed:
        raise ValidationError(
            f"A CAPA that is {locked.get_status_display().lower()} cannot be {action}."
        )
    return locked


def _announce(capa: Capa) -> None:
    audit = capa.finding.audit
    if audit.status in (Audit.Status.APPROVED, Audit.Status.CONDITIONALLY_APPROVED):
        scoring_inputs_changed(cmo_ids=[audit.site.cmo_id], reason="audit CAPA status changed")


def capa_record_response(
    *,
    capa: Capa,
    user: User,
    root_cause: str,
    corrective_action: str,
    preventive_action: str,
    due_date: date | None = None,
) -> Capa:
    """Record the CMO's response (root cause, corrective and preventive actions)."""
    errors = {
        name: "Required."
        for name, text in (
            ("root_cause", root_cause),
            ("corrective_action", corrective_action),
            ("preventive_action", preventive_action),
        )
        if not (text or "").strip()
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        capa = _transition(capa, (Capa.Status.OPEN, Capa.Status.RESPONSE_RECEIVED), "answered")
        capa.root_cause = root_cause.strip()
        capa.corrective_action = corrective_action.strip()
        capa.preventive_action = preventive_action.strip()
        if due_date:
            capa.due_date = due_date
        capa.status = Capa.Status.RESPONSE_RECEIVED
        capa.response_received_at = timezone.now()
        save_with_history(capa, user=user, reason="Response received")
    return capa


def capa_accept(*, capa: Capa, user: User) -> Capa:
    """Accept the CMO's proposed actions; they are then carried out and verified."""
    with transaction.atomic():
        capa = _transition(capa, (Capa.Status.RESPONSE_RECEIVED,), "accepted")
        capa.status = Capa.Status.ACCEPTED
        capa.accepted_by = user
        capa.accepted_at = timezone.now()
        save_with_history(capa, user=user, reason="Accepted")
    return capa


def capa_reject(*, capa: Capa, user: User, reason: str) -> Capa:
    """Send a CAPA response back to the CMO: the CAPA is open again."""
    reason = require_reason(
        reason, field_name="reason", message="Say why the response is rejected."
    )
    with transaction.atomic():
        capa = _transition(capa, (Capa.Status.RESPONSE_RECEIVED, Capa.Status.ACCEPTED), "rejected")
        capa.status = Capa.Status.OPEN
        capa.rejection_reason = reason
        capa.accepted_by = None
        capa.accepted_at = None
        save_with_history(capa, user=user, reason=f"Rejected: {reason}")
    return capa


OWN_ACCEPTANCE = (
    "Whoever accepted the CAPA response cannot verify its closure; another QA person verifies it."
)


def capa_verify(
    *, capa: Capa, user: User, notes: str, effectiveness_check: str, evidence=None
) -> Capa:
    """Verify that the accepted actions were carried out and worked, and close the CAPA.

    The person who accepted the response may not verify it, whatever their role.
    """
    errors = {}
    if not notes.strip():
        errors["notes"] = "Describe how the actions were verified."
    if not (effectiveness_check or "").strip():
        errors["effectiveness_check"] = (
            "Describe the effectiveness check: how you confirmed the actions prevent a recurrence."
        )
    content_type = None
    if evidence:
        try:
            content_type = check_upload(evidence)
        except ValidationError as error:
            errors["evidence"] = " ".join(error.messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        capa = _transition(capa, (Capa.Status.ACCEPTED,), "verified")
        if capa.accepted_by_id == user.pk:
            raise ValidationError(OWN_ACCEPTANCE)
        capa.status = Capa.Status.CLOSED
        capa.verified_by = user
        capa.verified_at = timezone.now()
        capa.verification_notes = notes.strip()
        capa.effectiveness_check = effectiveness_check.strip()
        save_with_history(capa, user=user, reason="Verified and closed")
        if evidence:
            evidence_store(
                audit=capa.finding.audit,
                capa=capa,
                upload=evidence,
                content_type=content_type,
                user=user,
                description="Effectiveness check",
            )
        _announce(capa)
    return capa
