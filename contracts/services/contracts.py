"""Contracts and their terms: saving, status moves, term tables, KPI results, documents."""

from collections.abc import Callable, Sequence
from datetime import date

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
from contracts.models import (
    QUALITY_ACTIVITIES,
    TRANSITIONS,
    Amendment,
    Contract,
    ContractDocument,
    Kpi,
    KpiMeasurement,
    ResponsibilityItem,
    ScopeItem,
    today,
)
from contracts.uploads import check_document
from contracts.versions import contract_fields

# The term tables an amendment changes once the contract is signed.
AMENDED_TABLES = (ScopeItem, Kpi, ResponsibilityItem)

SCORED_FIELDS = ("status", "effective_date", "expiry_date", "signed_on", "contract_type", "cmo_id")


def _scored_values(contract: Contract) -> tuple:
    return tuple(getattr(contract, name) for name in SCORED_FIELDS)


TERMS_LOCKED = (
    "This contract is signed: its terms change only by an amendment, raised from the "
    "contract's page and approved by another person."
)


def contract_save(
    *,
    contract: Contract,
    user,
    reason: str = "",
    save_m2m: Callable | None = None,
    amendment: Amendment | None = None,
) -> Contract:
    """Create or update a contract with its history entry; pre-fill a new quality agreement.

    Once signed, its terms change only when `amendment` (approved, in effect) says so; any other
    change of a term is refused beside each field, and the owner stays editable.
    """
    created = contract.pk is None
    before = None
    locked_terms = None
    if not created:
        stored = Contract.objects.get(pk=contract.pk)
        before = _scored_values(stored)
        if stored.terms_locked and amendment is None:
            locked_terms = contract_fields(stored)
    with transaction.atomic():
        save_with_history(contract, user=user, reason=reason, clean=True, save_m2m=save_m2m)
        if locked_terms is not None:
            # Read after saving, so a change of the covered sites is caught like any other.
            now = contract_fields(contract)
            changed = [name for name, value in now.items() if locked_terms[name] != value]
            if changed:
                raise ValidationError(dict.fromkeys(changed, TERMS_LOCKED))
        if contract.sites.exclude(cmo_id=contract.cmo_id).exists():
            raise ValidationError({"sites": "Choose only sites of this contract's CMO."})
        if (
            contract.is_quality_agreement
            and not contract.terms_locked
            and not contract.responsibilities.exists()
        ):
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
    amendment: Amendment | None = None,
) -> None:
    """Save the edited rows of one of a contract's term tables, each with its history entry.

    Once the contract is signed, scope, KPI and matrix rows change only by `amendment`;
    milestones (progress against the plan) stay editable.
    """
    if contract.terms_locked and amendment is None:
        rows = [*saved, *deleted]
        if any(isinstance(item, AMENDED_TABLES) for item in rows):
            raise ValidationError(TERMS_LOCKED)
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
    *,
    contract: Contract,
    upload,
    kind: str,
    title: str,
    user,
    amendment: Amendment | None = None,
) -> ContractDocument:
    """Keep a signed copy, amendment or annex of a contract after checking the file."""
    check_document(upload)
    document = ContractDocument(
        contract=contract,
        amendment=amendment,
        kind=ContractDocument.Kind.AMENDMENT if amendment else kind,
        title=title.strip(),
        file=upload,
        size=upload.size,
        uploaded_by=user,
    )
    document.full_clean(exclude=["file"])
    document.save()
    return document
