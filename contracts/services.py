from collections.abc import Callable, Sequence
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import (
    STATUS_REASON_REQUIRED,
    delete_with_history,
    require_reason,
    save_with_history,
)
from cmoselect.roles import MANAGER
from contracts.models import (
    QUALITY_ACTIVITIES,
    TRANSITIONS,
    Contract,
    ContractDocument,
    KpiMeasurement,
    Milestone,
    ResponsibilityItem,
    today,
)
from contracts.uploads import check_document
from vendors.models import Notification
from vendors.services import notification_send

SCORED_FIELDS = ("status", "effective_date", "expiry_date", "signed_on", "contract_type", "cmo_id")


def _scored_values(contract: Contract) -> tuple:
    return tuple(getattr(contract, name) for name in SCORED_FIELDS)


def contract_save(
    *, contract: Contract, user, reason: str = "", save_m2m: Callable | None = None
) -> Contract:
    """Create or update a contract with its history entry; pre-fill a new quality agreement."""
    created = contract.pk is None
    before = None
    if not created:
        before = _scored_values(Contract.objects.get(pk=contract.pk))
    with transaction.atomic():
        save_with_history(contract, user=user, reason=reason, clean=True, save_m2m=save_m2m)
        if contract.sites.exclude(cmo_id=contract.cmo_id).exists():
            raise ValidationError({"sites": "Choose only sites of this contract's CMO."})
        if contract.is_quality_agreement and not contract.responsibilities.exists():
            responsibility_matrix_prefill(contract=contract, user=user)
        if created or before != _scored_values(contract):
            cmo_ids = {contract.cmo_id} | ({before[-1]} if before else set())
            scoring_inputs_changed(cmo_ids=cmo_ids, reason="contract changed")
    return contract


def responsibility_matrix_prefill(*, contract: Contract, user) -> list[ResponsibilityItem]:
    """Add the activities a quality agreement is expected to cover that the matrix lacks."""
    present = set(contract.responsibilities.values_list("activity", flat=True))
    start = len(present)
    rows = [
        ResponsibilityItem(contract=contract, activity=activity, position=start + index)
        for index, activity in enumerate(a for a in QUALITY_ACTIVITIES if a not in present)
    ]
    return bulk_create_with_history(
        rows,
        ResponsibilityItem,
        default_user=user,
        default_change_reason="Pre-filled with the standard quality activities",
    )


def contract_change_status(
    *, contract: Contract, status: str, user, reason: str, on: date | None = None
) -> Contract:
    """Move a contract along its lifecycle, checking the dates each status needs."""
    on = on or today()
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if status not in Contract.Status.values:
            raise ValidationError({"status": f"Unknown status {status!r}."})
        current = Contract.Status(contract.status)
        target = Contract.Status(status)
        if target == current:
            raise ValidationError({"status": "The contract already has that status."})
        if target not in TRANSITIONS[current]:
            raise ValidationError({"status": f"{current.label} cannot move to {target.label}."})
        reason = require_reason(reason, field_name="reason", message=STATUS_REASON_REQUIRED)
        if target == Contract.Status.ACTIVE:
            missing = []
            if not contract.is_signed:
                missing.append("the signature date")
            if not contract.effective_date:
                missing.append("the effective date")
            if missing:
                raise ValidationError(
                    {"status": f"Record {' and '.join(missing)} before activating the contract."}
                )
            if contract.expiry_date and contract.expiry_date < on:
                raise ValidationError(
                    {"status": "The expiry date has passed: correct it before activating."}
                )
        if target == Contract.Status.EXPIRED and (
            contract.expiry_date is None or contract.expiry_date > on
        ):
            raise ValidationError(
                {"status": "The contract has not reached its expiry date: terminate it instead."}
            )
        contract.status = target
        if target == Contract.Status.TERMINATED:
            contract.terminated_on = on
        save_with_history(contract, user=user, reason=f"{current.label} → {target.label}: {reason}")
        scoring_inputs_changed(cmo_ids=[contract.cmo_id], reason="contract status changed")
    return contract


def contract_items_save(
    *,
    contract: Contract,
    saved: Sequence[models.Model],
    deleted: Sequence[models.Model],
    user,
    reason: str,
) -> None:
    """Save the edited rows of one of a contract's term tables, each with its history entry."""
    # One reason covers the whole table, so it is asked for before any row is written.
    if any(item.pk for item in saved) or deleted:
        reason = require_reason(reason, message="Say why these terms are being changed.")
    with transaction.atomic():
        for item in deleted:
            delete_with_history(item, user=user, reason=reason)
        for item in saved:
            item.contract = contract
            save_with_history(item, user=user, reason=reason.strip() or "Added", clean=True)


def kpi_measurement_record(
    *, measurement: KpiMeasurement, user, reason: str = ""
) -> KpiMeasurement:
    """Record (or, with a reason, correct) the actual performance of a KPI over one period."""
    if measurement._state.adding:
        measurement.recorded_by = user
    return save_with_history(measurement, user=user, reason=reason, clean=True)


def contract_document_add(
    *, contract: Contract, upload, kind: str, title: str, user
) -> ContractDocument:
    """Keep a signed copy, amendment or annex of a contract after checking the file."""
    check_document(upload)
    document = ContractDocument(
        contract=contract,
        kind=kind,
        title=title.strip(),
        file=upload,
        size=upload.size,
        uploaded_by=user,
    )
    document.full_clean(exclude=["file"])
    document.save()
    return document


def contracts_roll_over(*, on: date | None = None) -> dict[str, int]:
    """Renew auto-renewing contracts past their expiry date and expire the others."""
    on = on or today()
    counts = {"renewed": 0, "expired": 0}
    cmo_ids = set()
    with transaction.atomic():
        due = Contract.objects.select_for_update().filter(
            status=Contract.Status.ACTIVE, expiry_date__lt=on
        )
        for contract in due:
            if contract.auto_renewal and contract.renewal_term_months:
                old = contract.expiry_date
                contract.expiry_date = contract.renewed_expiry(on)
                why = f"Renewed automatically: no notice given before {old:%Y-%m-%d}"
                counts["renewed"] += 1
            else:
                contract.status = Contract.Status.EXPIRED
                why = f"Expired on {contract.expiry_date:%Y-%m-%d}"
                counts["expired"] += 1
            save_with_history(contract, user=None, reason=why)
            cmo_ids.add(contract.cmo_id)
        scoring_inputs_changed(cmo_ids=cmo_ids, reason="contracts renewed or expired")
    return counts


def _recipients(contract: Contract, managers: list) -> list:
    people = {m.pk: m for m in managers}
    if contract.owner is not None and contract.owner.is_active:
        people.setdefault(contract.owner.pk, contract.owner)
    return list(people.values())


def _notify(*, recipients, key: str, subject: str, body: str, url: str) -> list[Notification]:
    sent = []
    for person in recipients:
        notice, created = notification_send(
            recipient=person, key=key, subject=subject, body=body, url=url
        )
        if created:
            sent.append(notice)
    return sent


def _send_due(events: list[dict]) -> list[Notification]:
    """Send the events' notices that were not sent before (read in a few queries)."""
    keys = [event["key"] for event in events]
    already = set()
    for start in range(0, len(keys), 500):
        already.update(
            Notification.objects.filter(key__in=keys[start : start + 500]).values_list(
                "recipient_id", "key"
            )
        )
    sent = []
    for event in events:
        recipients = [p for p in event.pop("recipients") if (p.pk, event["key"]) not in already]
        if recipients:
            sent += _notify(recipients=recipients, **event)
    return sent


def contract_alerts_send(*, on: date | None = None) -> list[Notification]:
    """Alert owners and managers, once each, of open notice windows and late milestones."""
    on = on or today()
    managers = list(
        get_user_model().objects.filter(groups__name=MANAGER, is_active=True).distinct()
    )
    events = []
    candidates = Contract.objects.filter(
        status=Contract.Status.ACTIVE, expiry_date__gte=on
    ).select_related("cmo", "owner")
    for contract in candidates:
        if not contract.notice_window_open(on):
            continue
        deadline = contract.notice_deadline
        if contract.auto_renewal:
            action = f"renews automatically for {contract.renewal_term_months} months"
        else:
            action = "ends"
        subject = f"Notice due by {deadline:%Y-%m-%d}: {contract.title} ({contract.cmo})"
        if deadline >= on:
            when = f"must be given by {deadline:%Y-%m-%d} ({(deadline - on).days} days from now)"
        else:
            when = f"was due by {deadline:%Y-%m-%d}: the deadline has passed"
        body = (
            f"{contract.title} ({contract.get_contract_type_display()}) with {contract.cmo} "
            f"{action} on {contract.expiry_date:%Y-%m-%d}.\n"
            f"Notice of termination or non-renewal {when}."
        )
        events.append(
            dict(
                recipients=_recipients(contract, managers),
                key=f"contract-notice:{contract.pk}:{contract.expiry_date:%Y-%m-%d}",
                subject=subject,
                body=body,
                url=contract.get_absolute_url(),
            )
        )
    late = (
        Milestone.objects.late(on=on)
        .filter(contract__status__in=[Contract.Status.ACTIVE, Contract.Status.NEGOTIATION])
        .select_related("contract__cmo", "contract__owner")
    )
    for milestone in late:
        contract = milestone.contract
        subject = f"Milestone late: {milestone.name} ({contract.cmo})"
        body = (
            f"{milestone.name} under {contract.title} was planned for "
            f"{milestone.planned_date:%Y-%m-%d} and has no actual date yet "
            f"({milestone.days_late(on)} days late)."
        )
        events.append(
            dict(
                recipients=_recipients(contract, managers),
                key=f"milestone-late:{milestone.pk}:{milestone.planned_date:%Y-%m-%d}",
                subject=subject,
                body=body,
                url=milestone.get_absolute_url(),
            )
        )
    return _send_due(events)


def contracts_review(*, on: date | None = None) -> dict[str, int]:
    """The daily review: roll contracts over at expiry, then send the alerts that are due."""
    counts = contracts_roll_over(on=on)
    counts["alerts"] = len(contract_alerts_send(on=on))
    return counts
