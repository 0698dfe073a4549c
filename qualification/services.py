"""The approved supplier list's workflows: record an approval, reassess, edit, override, alert."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audits.models import Audit, Signature
from cmoselect.history import require_reason, save_with_history
from cmoselect.roles import QA, Perm, check_perm
from qualification.models import RiskClass, SiteQualification
from qualification.risk import assess_sites
from qualification.schedule import due_date
from vendors.models import Notification, QualificationStatus, RegulatoryEvent, Site
from vendors.services import notification_send

CHUNK = 500
AUDIT_STATUS = {
    Audit.Status.APPROVED: SiteQualification.Status.APPROVED,
    Audit.Status.CONDITIONALLY_APPROVED: SiteQualification.Status.CONDITIONAL,
}
# A site whose directory status falls to one of these is taken off the list with it.
SITE_STATUS = {
    QualificationStatus.SUSPENDED: SiteQualification.Status.SUSPENDED,
    QualificationStatus.DISQUALIFIED: SiteQualification.Status.DISQUALIFIED,
}


def _qa_people() -> list:
    return list(get_user_model().objects.filter(groups__name=QA, is_active=True).distinct())


def asl_record_audit(*, audit: Audit, user=None) -> SiteQualification | None:
    """Put the site on the list, or renew its entry, from an approved or conditional audit.

    The entry takes the audit's capabilities and products as its scope (an audit that names
    none keeps the scope the entry had), the signature's conditions, and the signer as who
    made the change (`user` for an audit decided before the app, which has no signature). An audit older than the one the entry already stands on changes nothing.
    """
    if audit.status not in AUDIT_STATUS:
        return None
    signature = (
        Signature.objects.filter(audit=audit, revision=audit.revision)
        .exclude(decision=Signature.Decision.REJECT)
        .order_by("-signed_at", "-pk")
        .first()
    )
    entry = SiteQualification.objects.filter(site_id=audit.site_id).select_related("audit").first()
    now = timezone.now()
    stands_on_newer = (
        entry is not None
        and entry.audit is not None
        and entry.audit.pk != audit.pk
        and (entry.audit.decided_at or now) > (audit.decided_at or now)
    )
    if stands_on_newer:
        return entry
    created = entry is None
    entry = entry or SiteQualification(site_id=audit.site_id)
    if (
        not created
        and entry.audit_id == audit.pk
        and entry.signature_id == getattr(signature, "pk", None)
    ):
        return entry
    entry.status = AUDIT_STATUS[audit.status]
    entry.conditions = signature.conditions if signature else ""
    entry.audit = audit
    entry.signature = signature
    entry.approved_on = audit.decided_at.date() if audit.decided_at else None
    if audit.products.strip():
        entry.products = audit.products.strip()
    capabilities = list(audit.capabilities.all())
    who = signature.signer if signature else user
    reason = f"{audit.reference} {audit.get_status_display().lower()}" + (
        f" with e-signature ({signature.printed_name})" if signature else ""
    )
    save_m2m = (lambda: entry.capabilities.set(capabilities)) if capabilities else None
    save_with_history(entry, user=who, reason=reason, save_m2m=save_m2m)
    return entry


def asl_sync_cmos(*, cmo_ids) -> list[SiteQualification]:
    """Bring the entries of these CMOs' sites in line with their audits and statuses, then
    reassess their risk and due dates."""
    site_ids = list(Site.objects.filter(cmo_id__in=list(cmo_ids)).values_list("pk", flat=True))
    latest: dict[int, Audit] = {}
    approvals = (
        Audit.objects.filter(site_id__in=site_ids, status__in=AUDIT_STATUS)
        .select_related("site")
        .order_by("site_id", "-decided_at", "-pk")
    )
    for audit in approvals:
        latest.setdefault(audit.site_id, audit)
    for audit in latest.values():
        asl_record_audit(audit=audit)
    return qualification_reassess(site_ids=site_ids)


def _follow_site_status(entry: SiteQualification) -> None:
    """A site suspended or disqualified in the directory is so on the list too."""
    status = entry.site.qualification_status
    if status in SITE_STATUS and entry.is_current:
        entry.status = SITE_STATUS[status]
        label = QualificationStatus(status).label.lower()
        save_with_history(entry, user=None, reason=f"The site was {label} in the directory")


def _reassess_chunk(entries: list[SiteQualification], today: date) -> list[SiteQualification]:
    scopes = {e.site_id: {c.code for c in e.capabilities.all()} for e in entries}
    risks = assess_sites(scopes, scopes=scopes, today=today)
    changed = []
    for entry in entries:
        _follow_site_status(entry)
        risk = risks[entry.site_id]
        assessment = risk.breakdown
        new = {
            "computed_risk": risk.risk_class,
            "risk_points": risk.points,
            "risk_class": entry.risk_override or risk.risk_class,
            "cause_event_id": risk.cause_event_id,
        }
        new["last_audit_end"] = risk.last_approved_end
        new["valid_until"] = due_date(
            last_audit_end=risk.last_approved_end,
            risk_class=new["risk_class"],
            cause_date=risk.cause_date,
        )
        if all(getattr(entry, k) == v for k, v in new.items()):
            continue
        new_cause = risk.cause_event_id and risk.cause_event_id != entry.cause_event_id
        for name, value in new.items():
            setattr(entry, name, value)
        lines = "; ".join(f"{c.factor} +{c.points}" for c in assessment) or "no risk factor"
        save_with_history(
            entry,
            user=None,
            reason=f"Risk reassessed: {entry.get_computed_risk_display().lower()} "
            f"({risk.points} points: {lines})",
        )
        if new_cause:
            _propose_for_cause(entry, risk.cause)
        changed.append(entry)
    return changed


def _cause_date(event_id: int | None) -> date | None:
    if event_id is None:
        return None
    return RegulatoryEvent.objects.filter(pk=event_id).values_list("event_date", flat=True).first()


def _propose_for_cause(entry: SiteQualification, cause: str) -> None:
    """Tell QA, once per event, that a for-cause audit of the site is proposed."""
    site = entry.site
    subject = f"For-cause audit proposed: {site.name}"
    body = (
        f"{cause} at {site.name} ({site.cmo.legal_name}) since its last audit: its risk is now "
        f"{entry.get_risk_class_display().lower()} and requalification is due by "
        f"{entry.valid_until:%Y-%m-%d}. Plan a for-cause audit from the audit program."
    )
    key = f"for-cause:{entry.site_id}:{entry.cause_event_id}"
    for person in _qa_people():
        notification_send(
            recipient=person, key=key, subject=subject, body=body, url=entry.get_absolute_url()
        )


def qualification_reassess(*, site_ids=None, today: date | None = None) -> list[SiteQualification]:
    """Recompute the risk class and due date of these sites' entries (all, without ids), saving
    with history only the entries that changed; returns those."""
    today = today or timezone.localdate()
    entries = SiteQualification.objects.select_related("site__cmo").prefetch_related("capabilities")
    if site_ids is not None:
        entries = entries.filter(site_id__in=list(site_ids))
    changed = []
    ids = list(entries.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = list(entries.filter(pk__in=ids[start : start + CHUNK]).order_by("pk"))
        with transaction.atomic():
            changed += _reassess_chunk(chunk, today)
    return changed


def qualification_update(
    *,
    qualification: SiteQualification,
    user,
    reason: str,
    status: str,
    conditions: str = "",
    products: str = "",
    capabilities=None,
) -> SiteQualification:
    """Change an entry's status, conditions or scope by hand (QA), with a reason kept."""
    check_perm(user, Perm.QUALIFY)
    reason = require_reason(reason, message="Say why this qualification is being changed.")
    if status not in SiteQualification.Status.values:
        raise ValidationError({"status": "Choose a status."})
    if status == SiteQualification.Status.CONDITIONAL and not conditions.strip():
        raise ValidationError({"conditions": "Write the conditions of the approval."})
    with transaction.atomic():
        entry = SiteQualification.objects.select_for_update().get(pk=qualification.pk)
        entry.status = status
        entry.conditions = (
            conditions.strip() if status == SiteQualification.Status.CONDITIONAL else ""
        )
        entry.products = products.strip()
        save_m2m = None
        if capabilities is not None:
            chosen = list(capabilities)
            save_m2m = lambda: entry.capabilities.set(chosen)  # noqa: E731
        save_with_history(entry, user=user, reason=reason, save_m2m=save_m2m)
        qualification_reassess(site_ids=[entry.site_id])
    entry.refresh_from_db()
    return entry


def risk_override_set(
    *, qualification: SiteQualification, user, risk_class: str, reason: str
) -> SiteQualification:
    """Set (or with "" clear) QA's override of the computed risk class; the due date follows."""
    check_perm(user, Perm.QUALIFY)
    reason = require_reason(reason, message="Say why the risk class is overridden.")
    if risk_class and risk_class not in RiskClass.values:
        raise ValidationError({"risk_class": "Choose high, medium or low, or none."})
    with transaction.atomic():
        entry = SiteQualification.objects.select_for_update().get(pk=qualification.pk)
        entry.risk_override = risk_class
        entry.risk_override_reason = reason if risk_class else ""
        entry.risk_class = risk_class or entry.computed_risk
        entry.valid_until = due_date(
            last_audit_end=entry.last_audit_end,
            risk_class=entry.risk_class,
            cause_date=_cause_date(entry.cause_event_id),
        )
        label = f"Risk class set to {risk_class}" if risk_class else "Risk override removed"
        save_with_history(entry, user=user, reason=f"{label}: {reason}")
    return entry


def _alert_stage(days: int) -> str | None:
    if days < 0:
        return "overdue"
    stages = [d for d in sorted(settings.REQUALIFICATION_ALERT_DAYS) if days <= d]
    return str(stages[0]) if stages else None


def requalification_alerts_send(*, on: date | None = None) -> list[Notification]:
    """Alert QA 90, 30 and 7 days before each due date and once it has passed, each alert once
    (the notice's key names the site, the due date and the stage, so a moved date alerts anew)."""
    on = on or timezone.localdate()
    horizon = on + timedelta(days=max(settings.REQUALIFICATION_ALERT_DAYS))
    due = (
        SiteQualification.objects.in_program()
        .filter(valid_until__isnull=False, valid_until__lte=horizon)
        .select_related("site__cmo")
    )
    people = _qa_people()
    events = []
    for entry in due:
        days = (entry.valid_until - on).days
        stage = _alert_stage(days)
        if stage is None:
            continue
        key = f"requalification:{entry.site_id}:{entry.valid_until:%Y-%m-%d}:{stage}"
        if stage == "overdue":
            subject = f"Requalification overdue: {entry.site.name}"
            when = f"was due on {entry.valid_until:%Y-%m-%d} ({-days} days ago)"
        else:
            subject = f"Requalification due in {days} days: {entry.site.name}"
            when = f"is due on {entry.valid_until:%Y-%m-%d}"
        body = (
            f"{entry.site.name} ({entry.site.cmo.legal_name}), risk "
            f"{entry.get_risk_class_display().lower()}: requalification {when}."
        )
        events.append((key, subject, body, entry.get_absolute_url()))
    already = set(
        Notification.objects.filter(key__in=[e[0] for e in events]).values_list(
            "recipient_id", "key"
        )
    )
    sent = []
    for key, subject, body, url in events:
        for person in people:
            if (person.pk, key) in already:
                continue
            notice, created = notification_send(
                recipient=person, key=key, subject=subject, body=body, url=url
            )
            if created:
                sent.append(notice)
    return sent
