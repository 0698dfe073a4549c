"""Audits: planning, the status workflow, answers, evidence, e-signed decisions, revisions."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from simple_history.utils import bulk_create_with_history

from audits.models import (
    Answer,
    AnswerType,
    Audit,
    ChecklistQuestion,
    Evidence,
    Signature,
    TemplateVersion,
    sha256_of,
)
from audits.outcomes import Outcome, audit_recommendation
from audits.uploads import check_upload
from cmoselect.esign import content_hash, signature_check, signature_manifest
from cmoselect.events import scoring_inputs_changed
from cmoselect.history import require_reason, save_with_history
from cmoselect.roles import Perm
from vendors.services import capabilities_verify_by_audit


class AnswerConflict(Exception):
    """Someone else saved this answer since the client read it; `current` is their version."""

    def __init__(self, current: Answer):
        super().__init__(f"Answer {current.pk} is at version {current.version}")
        self.current = current


def audit_create(*, audit: Audit, team, user, capabilities=()) -> Audit:
    """Plan an audit on a published checklist version, with an empty answer per question."""
    version = audit.template_version
    if version is None or version.status != TemplateVersion.Status.PUBLISHED:
        raise ValidationError({"template_version": "Choose a published checklist version."})
    audit.created_by = user
    with transaction.atomic():
        save_with_history(audit, user=user, reason="Planned", clean=True)
        audit.team.set(team)
        audit.capabilities.set(capabilities)
        questions = ChecklistQuestion.objects.filter(section__version=version).values_list(
            "pk", flat=True
        )
        bulk_create_with_history(
            [Answer(audit=audit, question_id=pk) for pk in questions],
            Answer,
            default_user=user,
            default_change_reason="Planned",
        )
    return audit


def _check_not_closed(audit: Audit) -> None:
    if audit.is_decided:
        raise ValidationError(
            f"{audit.reference} is {audit.get_status_display().lower()} and read-only. "
            "Start a new revision, with a reason, to change it."
        )
    if audit.status == Audit.Status.CANCELLED:
        raise ValidationError(f"{audit.reference} was cancelled and is read-only.")


def audit_update(*, audit: Audit, team, user, reason: str, capabilities=None) -> Audit:
    """Save changes to an audit's plan, with the reason in its history."""
    _check_not_closed(audit)
    with transaction.atomic():
        save_with_history(audit, user=user, reason=reason, clean=True)
        audit.team.set(team)
        if capabilities is not None:
            audit.capabilities.set(capabilities)
    return audit


def audit_change_status(*, audit: Audit, status: str, user, reason: str = "") -> Audit:
    """Start, submit for review, send back or cancel an audit (decisions need a signature)."""
    with transaction.atomic():
        audit = Audit.objects.select_for_update().get(pk=audit.pk)
        if status not in audit.allowed_statuses():
            raise ValidationError(
                {
                    "status": f"A {audit.get_status_display().lower()} audit cannot move to "
                    f"{Audit.Status(status).label.lower() if status in Audit.Status.values else status}."
                }
            )
        needs_reason = status == Audit.Status.CANCELLED or audit.status == Audit.Status.IN_REVIEW
        if needs_reason:
            require_reason(reason, field_name="reason", message="Give a reason for this step.")
        audit.status = status
        label = Audit.Status(status).label
        save_with_history(audit, user=user, reason=reason.strip() or f"Status: {label}")
    return audit


def clean_value(question: ChecklistQuestion, raw: str) -> str:
    """The canonical stored form of an answer, or a ValidationError naming what is wrong."""
    value = (raw or "").strip()
    if value in ("", Answer.NOT_APPLICABLE):
        return value
    kind = question.answer_type
    if kind == AnswerType.YES_NO:
        if value not in ("yes", "no"):
            raise ValidationError({"value": "Answer yes, no or not applicable."})
    elif kind == AnswerType.RATING:
        if value not in ("0", "1", "2", "3", "4"):
            raise ValidationError({"value": "Rate from 0 to 4, or not applicable."})
    elif kind == AnswerType.NUMBER:
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ValidationError({"value": "Enter a number."}) from None
        if not number.is_finite():
            raise ValidationError({"value": "Enter a number."})
        value = format(number.normalize(), "f")
    elif kind == AnswerType.DATE:
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError({"value": "Enter a date as YYYY-MM-DD."}) from None
    elif len(value) > 10_000:
        raise ValidationError({"value": "Keep the answer under 10,000 characters."})
    return value


def answer_save(*, answer: Answer, user, value: str, comment: str, expected_version: int) -> Answer:
    """Save an answer unless someone saved it since `expected_version` (then AnswerConflict)."""
    audit = answer.audit
    if not audit.checklist_editable:
        raise ValidationError(
            {
                "value": f"Answers can be changed only while the audit is in progress "
                f"({audit.reference} is {audit.get_status_display().lower()})."
            }
        )
    value = clean_value(answer.question, value)
    comment = (comment or "").strip()
    if len(comment) > 10_000:
        raise ValidationError({"comment": "Keep the comment under 10,000 characters."})
    with transaction.atomic():
        current = Answer.objects.select_for_update().get(pk=answer.pk)
        if current.version != expected_version:
            current.question = answer.question
            raise AnswerConflict(current)
        if current.value == value and current.comment == comment:
            return current
        current.value = value
        current.comment = comment
        current.version += 1
        current.answered_by = user
        current.answered_at = timezone.now()
        save_with_history(current, user=user, reason="Answered")
    current.question = answer.question
    current.audit = audit
    return current


def evidence_add(*, answer: Answer, upload, user, description: str = "") -> Evidence:
    """Attach a checked evidence file to an answer."""
    if not answer.audit.findings_editable:
        raise ValidationError({"file": "Evidence can be added only while the audit is open."})
    content_type = check_upload(upload)
    data = upload.read()
    name = get_valid_filename(upload.name)[:200] or "evidence"
    evidence = Evidence(
        audit=answer.audit,
        answer=answer,
        original_name=upload.name[:255],
        content_type=content_type,
        size=len(data),
        sha256=sha256_of(data),
        description=description.strip()[:250],
        uploaded_by=user,
    )
    with transaction.atomic():
        evidence.file.save(name, ContentFile(data), save=False)
        evidence.save()
    return evidence


def audit_content(audit: Audit) -> dict:
    """Everything a signature vouches for: plan, answers, findings and evidence files."""
    findings = audit.findings.order_by("number").values_list(
        "number", "severity", "title", "requirement", "description", "evidence", "answer_id"
    )
    return {
        "audit": [
            audit.pk,
            audit.revision,
            audit.site_id,
            audit.template_version_id,
            audit.audit_type,
            audit.planned_start.isoformat(),
            audit.planned_end.isoformat(),
            audit.lead_auditor_id,
            sorted(audit.team.values_list("pk", flat=True)),
            audit.scope,
            audit.products,
        ],
        "answers": list(
            audit.answers.order_by("question_id").values_list(
                "question_id", "value", "comment", "version"
            )
        ),
        "findings": [list(row) for row in findings],
        "evidence": list(
            audit.evidence.order_by("pk").values_list("pk", "original_name", "sha256")
        ),
    }


def audit_content_hash(audit: Audit) -> str:
    return content_hash(audit_content(audit))


def signature_verifies(signature: Signature, *, current_hash: str | None = None) -> bool:
    """True if the audit's content is still what was signed."""
    audit = signature.audit
    if signature.revision != audit.revision:
        return False
    return signature.content_hash == (current_hash or audit_content_hash(audit))


def signatures_verified(audit: Audit) -> list[Signature]:
    """The audit's signatures, each with `verifies` set: is the content still as signed?"""
    signatures = list(audit.signatures.select_related("signer"))
    current_hash = audit_content_hash(audit) if signatures else ""
    for signature in signatures:
        signature.audit = audit
        signature.verifies = signature_verifies(signature, current_hash=current_hash)
    return signatures


def audit_decide(
    *, audit: Audit, user, password: str, decision: str, meaning: str, comment: str = ""
) -> Signature:
    """Approve or reject an audit in review with the signer's electronic signature."""
    errors = signature_check(
        user=user,
        perm=Perm.SIGN_AUDITS,
        password=password,
        meaning=meaning,
        meanings=Signature.Meaning.values,
        action="audit decisions",
    )
    if decision not in Signature.Decision.values:
        errors["decision"] = "Choose approve or reject."
    if decision == Signature.Decision.REJECT and not comment.strip():
        errors["comment"] = "Say why the audit is rejected."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("site").get(pk=audit.pk)
        if audit.status != Audit.Status.IN_REVIEW:
            raise ValidationError(
                f"Only an audit in review can be signed; {audit.reference} is "
                f"{audit.get_status_display().lower()}."
            )
        recommendation = audit_recommendation(audit)
        if (
            decision == Signature.Decision.APPROVE
            and recommendation.outcome == Outcome.NOT_APPROVABLE
        ):
            raise ValidationError(
                {"decision": f"This audit cannot be approved: {recommendation.rule}"}
            )
        manifest = signature_manifest(user=user, meaning=meaning, content=audit_content(audit))
        signature = Signature.objects.create(
            audit=audit,
            revision=audit.revision,
            signer=user,
            decision=decision,
            comment=comment.strip(),
            **manifest._asdict(),
        )
        approved = decision == Signature.Decision.APPROVE
        audit.status = Audit.Status.APPROVED if approved else Audit.Status.REJECTED
        audit.decided_at = manifest.signed_at
        audit.score = recommendation.score.percent
        audit.recommended_outcome = recommendation.outcome
        save_with_history(
            audit,
            user=user,
            reason=f"{'Approved' if approved else 'Rejected'} with e-signature "
            f"({signature.get_meaning_display()} {signature.printed_name})",
        )
        if approved:
            capabilities_verify_by_audit(audit=audit, user=user, signature=signature)
        scoring_inputs_changed(
            cmo_ids=[audit.site.cmo_id], reason=f"audit {'approved' if approved else 'rejected'}"
        )
    return signature


def audit_revise(*, audit: Audit, user, reason: str) -> Audit:
    """Reopen a decided audit as a new revision; its earlier signatures stay on record."""
    reason = require_reason(
        reason, field_name="reason", message="Say why the audit needs a new revision."
    )
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("site").get(pk=audit.pk)
        if not audit.is_decided:
            raise ValidationError("Only an approved or rejected audit needs a new revision.")
        was_approved = audit.status == Audit.Status.APPROVED
        audit.revision += 1
        audit.status = Audit.Status.IN_PROGRESS
        audit.decided_at = None
        audit.score = None
        audit.recommended_outcome = ""
        save_with_history(audit, user=user, reason=f"Revision {audit.revision}: {reason}")
        if was_approved:
            scoring_inputs_changed(cmo_ids=[audit.site.cmo_id], reason="audit reopened")
    return audit
