"""Demo audits on the demo directory: one in every status, the approved one fully worked."""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from audits.models import Answer, AnswerType, Audit, Finding, Severity, TemplateVersion
from audits.question_bank import TEMPLATE_NAME
from audits.services import (
    answer_save,
    audit_change_status,
    audit_create,
    audit_decide,
    capa_accept,
    capa_record_response,
    capa_verify,
    evidence_add,
    finding_create,
    report_request,
)
from vendors.demo import DEMO_PASSWORD_SUFFIX, PREFIXES
from vendors.models import Capability, Site

DEMO_SCOPE = "Demo audit: "
# (status, audit type, CMO prefix, days from today, share of questions answered)
PLAN = [
    (Audit.Status.APPROVED, Audit.Type.QUALIFICATION, "Helix", -60, 1.0),
    (Audit.Status.CONDITIONALLY_APPROVED, Audit.Type.QUALIFICATION, "Fjord", -50, 1.0),
    (Audit.Status.REJECTED, Audit.Type.FOR_CAUSE, "Granite", -40, 1.0),
    (Audit.Status.IN_REVIEW, Audit.Type.REQUALIFICATION, "Bright", -14, 1.0),
    (Audit.Status.IN_PROGRESS, Audit.Type.QUALIFICATION, "Cobalt", -1, 0.4),
    (Audit.Status.PLANNED, Audit.Type.REMOTE, "Delta", 21, 0.0),
    (Audit.Status.CANCELLED, Audit.Type.DESKTOP, "Ember", 30, 0.0),
]
DEMO_DECISIONS = {
    Audit.Status.APPROVED: "approve",
    Audit.Status.CONDITIONALLY_APPROVED: "conditional",
    Audit.Status.REJECTED: "reject",
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(120)


def _value(answer: Answer, rng: random.Random) -> str:
    kind = answer.question.answer_type
    if kind == AnswerType.YES_NO:
        return "yes" if answer.question.critical or rng.random() > 0.08 else "no"
    if kind == AnswerType.RATING:
        return rng.choice("3344")
    if kind == AnswerType.NUMBER:
        return str(rng.randrange(2, 60))
    if kind == AnswerType.DATE:
        return (date.today() - timedelta(days=rng.randrange(100, 900))).isoformat()
    return "Experienced team; capacity confirmed for the planned volumes."


def _finding(audit, user, severity, title, requirement, answer=None) -> Finding:
    return finding_create(
        finding=Finding(
            audit=audit,
            severity=severity,
            title=title,
            requirement=requirement,
            description=f"{title}. Observed during the site tour and confirmed in the records.",
            evidence="Records reviewed with the site QA manager.",
        ),
        user=user,
        answer=answer,
    )


def seed_audits(*, seed: int = 2026) -> dict[str, int]:
    """Create the demo audits if none exist yet; touch nothing else."""
    created = {"audits": 0, "findings": 0, "reports": 0}
    auditor = get_user_model().objects.filter(username="qa").first()
    # Neither the audit team nor whoever accepted a CAPA may sign or verify: the admin does.
    signer = get_user_model().objects.filter(username="admin").first()
    version = TemplateVersion.objects.filter(template__name=TEMPLATE_NAME).published().first()
    if auditor is None or version is None:
        return created
    if Audit.objects.filter(scope__startswith=DEMO_SCOPE).exists():
        return created
    rng = random.Random(seed)
    password = f"admin{DEMO_PASSWORD_SUFFIX}"
    can_sign = signer is not None and signer.check_password(password)
    today = timezone.localdate()
    for entry in PLAN:
        with transaction.atomic():
            _seed_one(
                entry,
                auditor=auditor,
                signer=signer,
                version=version,
                rng=rng,
                today=today,
                password=password,
                can_sign=can_sign,
                created=created,
            )
    return created


def _seed_one(entry, *, auditor, signer, version, rng, today, password, can_sign, created) -> None:
    status, kind, prefix, offset, share = entry
    site = Site.objects.filter(cmo__legal_name__startswith=f"{prefix} ").first()
    if site is None or prefix not in PREFIXES:
        return
    if status in Audit.DECIDED_STATUSES and not can_sign:
        return
    start = today + timedelta(days=offset)
    audit = audit_create(
        audit=Audit(
            site=site,
            template_version=version,
            audit_type=kind,
            planned_start=start,
            planned_end=start + timedelta(days=2),
            lead_auditor=auditor,
            scope=f"{DEMO_SCOPE}GMP {kind.label.lower()} audit of drug product manufacturing, "
            "packaging and the QC laboratory.",
            products="Sterile injectable (vials)\nOral solid dose (tablets)",
        ),
        team=[],
        # Approving the audit records these as verified by audit at the site.
        capabilities=Capability.objects.filter(site_capabilities__site=site).order_by("pk")[:3],
        user=auditor,
    )
    created["audits"] += 1
    if status == Audit.Status.CANCELLED:
        audit_change_status(
            audit=audit, status=status, user=auditor, reason="Site visit postponed by the CMO"
        )
        return
    if status == Audit.Status.PLANNED:
        return
    audit = audit_change_status(audit=audit, status=Audit.Status.IN_PROGRESS, user=auditor)
    answers = list(audit.answers.select_related("audit", "question__section"))
    for answer in answers[: int(len(answers) * share)]:
        answer_save(
            answer=answer,
            user=auditor,
            value=_value(answer, rng),
            comment=rng.choice(["", "", "Verified in the records.", "Seen on the shop floor."]),
            expected_version=0,
        )
    for answer in answers[:3]:
        evidence_add(
            answer=answer,
            upload=SimpleUploadedFile(f"photo-{answer.question.position}.png", PNG),
            user=auditor,
            description="Photo taken during the tour",
        )
    if status == Audit.Status.IN_PROGRESS:
        return
    major = _finding(
        audit,
        auditor,
        Severity.MAJOR,
        "Cleaning validation does not cover the worst-case product",
        "EU GMP Annex 15 10.12",
        answers[50],
    )
    minor = _finding(
        audit,
        auditor,
        Severity.MINOR,
        "Two logbook entries corrected without a reason",
        "EU GMP 4.9",
        answers[30],
    )
    _finding(
        audit,
        auditor,
        Severity.OBSERVATION,
        "Consider electronic training records",
        "ICH Q10 2.6",
    )
    created["findings"] += 3
    if status == Audit.Status.REJECTED:
        _finding(
            audit,
            auditor,
            Severity.CRITICAL,
            "Audit trail review not performed on the HPLC systems",
            "21 CFR 211.194; EU GMP Annex 11 9",
            answers[70],
        )
        created["findings"] += 1
    audit = audit_change_status(audit=audit, status=Audit.Status.IN_REVIEW, user=auditor)
    if status == Audit.Status.IN_REVIEW:
        return
    conditional = status == Audit.Status.CONDITIONALLY_APPROVED
    for capa, steps in ((major.capa, 2 if conditional else 3), (minor.capa, 3)):
        capa_record_response(
            capa=capa,
            user=auditor,
            root_cause="The procedure did not require it.",
            corrective_action="Procedure revised and records corrected.",
            preventive_action="Training on the revised procedure; effectiveness check in 3 months.",
        )
        if steps >= 2:
            capa_accept(capa=capa, user=auditor)
        if steps >= 3:
            capa_verify(
                capa=capa,
                user=signer,
                notes="Revised procedure seen in use.",
                effectiveness_check="No recurrence in the records of the three months since.",
            )
    try:
        audit_decide(
            audit=audit,
            user=signer,
            password=password,
            decision=DEMO_DECISIONS[status],
            meaning="approved",
            comment="Open critical data integrity finding."
            if status == Audit.Status.REJECTED
            else "",
            conditions="Close the cleaning validation finding within 30 days."
            if conditional
            else "",
            findings=[major] if conditional else [],
        )
    except ValidationError:
        return
    if status == Audit.Status.APPROVED:
        report_request(audit=audit, user=auditor)
        created["reports"] += 1
