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
    Finding,
    Severity,
    Signature,
    TemplateVersion,
    sha256_of,
)
from audits.outcomes import Outcome, audit_recommendation
from cmoselect.esign import content_hash, signature_check, signature_manifest
from cmoselect.events import scoring_inputs_changed
from cmoselect.history import require_reason, save_with_history
from cmoselect.roles import Perm
from cmoselect.uploads import check_upload
from vendors.models import QualificationStatus
from vendors.services import capabilities_verify_by_audit, site_change_status


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


def audit_change_status(
    *, audit: Audit, status: str, user, reason: str = "", justification: str = ""
) -> Audit:
    """Start, submit for review, send back or cancel an audit (decisions need a signature).

    An audit goes to review only when every applicable question is answered (a question marked
    not applicable says why in its comment) or with one `justification`, kept for the report.
    """
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
        if status == Audit.Status.IN_REVIEW:
            gaps = audit_gaps(audit)
            if gaps and not justification.strip():
                raise ValidationError({"justification": incomplete_message(gaps)})
            audit.completeness_justification = justification.strip() if gaps else ""
        audit.status = status
        label = Audit.Status(status).label
        save_with_history(audit, user=user, reason=reason.strip() or f"Status: {label}")
    return audit


def audit_gaps(audit: Audit) -> list[Answer]:
    """Answers still needing work before review: unanswered, or not applicable with no reason."""
    answers = audit.answers.select_related("question__section")
    return [answer for answer in answers if answer.needs_justification]


def incomplete_message(gaps: list[Answer]) -> str:
    unanswered = sum(1 for answer in gaps if not answer.is_answered)
    unexplained = len(gaps) - unanswered
    parts = []
    if unanswered:
        parts.append(f"{unanswered} question{'s' if unanswered != 1 else ''} unanswered")
    if unexplained:
        parts.append(f"{unexplained} marked not applicable without a reason in the comment")
    return (
        f"{' and '.join(parts).capitalize()}. Mark each not applicable with a reason, "
        "or justify sending the audit to review incomplete (the justification is printed in "
        "the report)."
    )


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
    return evidence_store(
        audit=answer.audit,
        answer=answer,
        upload=upload,
        content_type=content_type,
        user=user,
        description=description,
    )


def evidence_store(
    *, audit: Audit, upload, content_type: str, user, description: str = "", answer=None, capa=None
) -> Evidence:
    """Store an upload already checked by `check_upload` as evidence, with its SHA-256."""
    data = upload.read()
    name = get_valid_filename(upload.name)[:200] or "evidence"
    evidence = Evidence(
        audit=audit,
        answer=answer,
        capa=capa,
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


# The decisions each recommendation leaves open to the signer.
ALLOWED_DECISIONS = {
    Outcome.APPROVE: (
        Signature.Decision.APPROVE,
        Signature.Decision.CONDITIONAL,
        Signature.Decision.REJECT,
    ),
    Outcome.CONDITIONAL: (Signature.Decision.CONDITIONAL, Signature.Decision.REJECT),
    Outcome.NOT_APPROVABLE: (Signature.Decision.REJECT,),
    Outcome.INCOMPLETE: (Signature.Decision.REJECT,),
}
DECISION_STATUS = {
    Signature.Decision.APPROVE: Audit.Status.APPROVED,
    Signature.Decision.CONDITIONAL: Audit.Status.CONDITIONALLY_APPROVED,
    Signature.Decision.REJECT: Audit.Status.REJECTED,
}
# The site status an audit decision may give its site: a conditional approval never more.
SITE_STATUS = {
    Signature.Decision.APPROVE: QualificationStatus.APPROVED,
    Signature.Decision.CONDITIONAL: QualificationStatus.CONDITIONALLY_APPROVED,
}
OWN_AUDIT = (
    "The lead auditor and the audit team (and anyone who answered its questions or raised its "
    "findings) cannot sign their own audit's decision; another QA person signs it."
)


def allowed_decisions(outcome: str) -> tuple[str, ...]:
    return ALLOWED_DECISIONS[outcome]


def outcome_refusal(recommendation) -> str:
    """Why the chosen decision is better than the recommendation allows."""
    if recommendation.outcome == Outcome.CONDITIONAL:
        return (
            f"This audit can be approved with conditions at most: {recommendation.rule} "
            "Approve with conditions or reject."
        )
    return f"This audit cannot be approved: {recommendation.rule} It can only be rejected."


def audit_decide(
    *,
    audit: Audit,
    user,
    password: str,
    decision: str,
    meaning: str,
    comment: str = "",
    conditions: str = "",
    findings=(),
    qualify_site: bool = False,
    address: str | None = None,
) -> Signature:
    """Approve, approve with conditions, or reject an audit in review with an e-signature.

    The signer cannot choose a better outcome than the recommendation allows, and neither the
    lead auditor nor the audit team may sign, whatever their role. With `qualify_site`, an
    approval also approves the site, and an approval with conditions conditionally approves it
    (never more).
    """
    errors = signature_check(
        user=user,
        perm=Perm.SIGN_AUDITS,
        password=password,
        meaning=meaning,
        meanings=Signature.Meaning.values,
        action="audit decisions",
        record=audit.reference,
        address=address,
    )
    if decision not in Signature.Decision.values:
        errors["decision"] = "Choose approve, approve with conditions or reject."
    if decision == Signature.Decision.REJECT and not comment.strip():
        errors["comment"] = "Say why the audit is rejected."
    if decision == Signature.Decision.CONDITIONAL and not conditions.strip():
        errors["conditions"] = "Write the conditions of the approval."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("site").get(pk=audit.pk)
        if audit.status != Audit.Status.IN_REVIEW:
            raise ValidationError(
                f"Only an audit in review can be signed; {audit.reference} is "
                f"{audit.get_status_display().lower()}."
            )
        if audit.signs_own_work(user):
            raise ValidationError(OWN_AUDIT)
        recommendation = audit_recommendation(audit)
        if decision not in allowed_decisions(recommendation.outcome):
            raise ValidationError({"decision": outcome_refusal(recommendation)})
        linked = _condition_findings(audit, decision, findings)
        manifest = signature_manifest(user=user, meaning=meaning, content=audit_content(audit))
        signature = Signature.objects.create(
            audit=audit,
            revision=audit.revision,
            signer=user,
            decision=decision,
            comment=comment.strip(),
            conditions=conditions.strip() if decision == Signature.Decision.CONDITIONAL else "",
            **manifest._asdict(),
        )
        signature.findings.set(linked)
        audit.status = DECISION_STATUS[decision]
        audit.decided_at = manifest.signed_at
        audit.score = recommendation.score.percent
        audit.recommended_outcome = recommendation.outcome
        label = audit.get_status_display()
        save_with_history(
            audit,
            user=user,
            reason=f"{label} with e-signature "
            f"({signature.get_meaning_display()} {signature.printed_name})",
        )
        if decision == Signature.Decision.APPROVE:  # a conditional approval verifies nothing
            capabilities_verify_by_audit(audit=audit, user=user, signature=signature)
        scoring_inputs_changed(cmo_ids=[audit.site.cmo_id], reason=f"audit {label.lower()}")
        if qualify_site and decision in SITE_STATUS:
            _qualify_site(audit, user=user, status=SITE_STATUS[decision], signature=signature)
    return signature


def _qualify_site(audit: Audit, *, user, status: str, signature: Signature) -> None:
    try:
        site_change_status(
            site=audit.site,
            status=status,
            user=user,
            reason=f"{audit.reference} {audit.get_status_display().lower()} with e-signature "
            f"({signature.get_meaning_display()} {signature.printed_name})",
            audit_signature=signature,
        )
    except ValidationError as error:
        raise ValidationError({"qualify_site": error.messages}) from None


def _condition_findings(audit: Audit, decision: str, findings) -> list[Finding]:
    """The open findings a conditional approval depends on; every open major one is among them."""
    if decision != Signature.Decision.CONDITIONAL:
        return []
    open_findings = {f.pk: f for f in audit.findings.open()}
    chosen = [getattr(f, "pk", f) for f in findings]
    if any(pk not in open_findings for pk in chosen):
        raise ValidationError({"findings": "Link only open findings of this audit."})
    missing = [
        f.reference
        for f in open_findings.values()
        if f.severity == Severity.MAJOR and f.pk not in chosen
    ]
    if missing:
        raise ValidationError(
            {
                "findings": f"Link every open major finding the conditions depend on: "
                f"{', '.join(sorted(missing))}."
            }
        )
    return [open_findings[pk] for pk in chosen]


def audit_revise(*, audit: Audit, user, reason: str) -> Audit:
    """Reopen a decided audit as a new revision; its earlier signatures stay on record."""
    reason = require_reason(
        reason, field_name="reason", message="Say why the audit needs a new revision."
    )
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("site").get(pk=audit.pk)
        if not audit.is_decided:
            raise ValidationError("Only a decided audit needs a new revision.")
        was_approved = audit.status != Audit.Status.REJECTED
        audit.revision += 1
        audit.status = Audit.Status.IN_PROGRESS
        audit.decided_at = None
        audit.score = None
        audit.recommended_outcome = ""
        save_with_history(audit, user=user, reason=f"Revision {audit.revision}: {reason}")
        if was_approved:
            scoring_inputs_changed(cmo_ids=[audit.site.cmo_id], reason="audit reopened")
    return audit
