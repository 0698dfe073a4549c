"""Amendments to signed contracts: raised, approved by another person, applied when effective."""

import logging
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cmoselect.history import require_reason, save_with_history
from cmoselect.roles import ADMIN, MANAGER, Perm, has_perm
from contracts.models import Amendment, Contract, ContractDocument, today
from contracts.services.contracts import contract_document_add, contract_items_save, contract_save
from contracts.versions import (
    TABLES,
    contract_field,
    contract_terms,
    plain,
    python,
)
from vendors.services import notification_send

log = logging.getLogger(__name__)

NOTHING_CHANGES = "The amendment changes nothing: change at least one term."
STALE = (
    "The terms this amendment changes were amended since it was raised; withdraw it and raise "
    "a new one on the current terms."
)


def _require(user, perm: Perm, action: str) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(f"Your role cannot {action}.")


def _proposed_fields(contract: Contract, fields: dict) -> dict:
    unknown = sorted(set(fields) - set(Contract.TERM_FIELDS))
    if unknown:
        raise ValidationError(
            {name: "This is not a term an amendment changes." for name in unknown}
        )
    return {name: plain(contract_field(name), value) for name, value in fields.items()}


def _check_fields(contract: Contract, changed: dict) -> None:
    """Run the contract's own validation on the terms as the amendment would leave them."""
    proposed = Contract.objects.get(pk=contract.pk)
    for name, value in changed.items():
        model_field = contract_field(name)
        if not model_field.many_to_many:
            setattr(proposed, model_field.attname, python(model_field, value))
    proposed.full_clean(exclude=["cmo", "owner"])
    sites = changed.get("sites")
    if sites and contract.cmo.sites.filter(pk__in=sites).count() != len(set(sites)):
        raise ValidationError({"sites": "Choose only sites of this contract's CMO."})


def _check_rows(contract: Contract, table: str, rows: list[dict]) -> None:
    """Run each proposed row's own validation; errors name the table and the row."""
    model, related, names, heading, _ = TABLES[table]
    existing = set(getattr(contract, related).values_list("pk", flat=True))
    errors = []
    for number, row in enumerate(rows, start=1):
        if row["id"] is not None and row["id"] not in existing:
            errors.append(f"Row {number}: not a row of this contract's {heading.lower()}.")
            continue
        item = model(contract=contract)
        for name in names:
            model_field = model._meta.get_field(name)
            setattr(item, model_field.attname, python(model_field, row[name]))
        try:
            item.full_clean(exclude=["contract"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                label = name if name == "__all__" else model._meta.get_field(name).verbose_name
                errors += [f"Row {number}, {label}: {message}" for message in messages]
        site = row["site"] if table == "scope" else None
        if site is not None and not contract.cmo.sites.filter(pk=site).exists():
            errors.append(f"Row {number}: the site belongs to another CMO.")
    if table == "matrix":
        activities = [row["activity"] for row in rows]
        if len(set(activities)) != len(activities):
            errors.append("An activity is listed twice in the matrix.")
    if errors:
        raise ValidationError({table: errors})


def amendment_raise(
    *,
    contract: Contract,
    user,
    reason: str,
    effective_date: date | None,
    fields: dict | None = None,
    tables: dict[str, list[dict]] | None = None,
    upload=None,
) -> Amendment:
    """Propose new terms for an active contract, to apply once another person approves them.

    `fields` maps term fields to their proposed values; `tables` maps a table ("scope", "kpis",
    "matrix") to its full proposed list of rows, each with the id of the row it replaces or None.
    Only what differs from the current terms is kept.
    """
    tables = tables or {}
    if not has_perm(user, Perm.EDIT_CONTRACTS) and not has_perm(user, Perm.EDIT_QUALITY_MATRIX):
        raise PermissionDenied("Your role cannot amend contracts.")
    with transaction.atomic():
        contract = (
            Contract.objects.select_for_update(of=("self",))
            .select_related("cmo")
            .get(pk=contract.pk)
        )
        if contract.status != Contract.Status.ACTIVE:
            raise ValidationError(
                "Only an active contract is amended; a draft or a contract in negotiation is "
                "edited directly."
            )
        errors = {}
        try:
            reason = require_reason(
                reason, field_name="reason", message="Say why the terms change."
            )
        except ValidationError as error:
            errors.update(error.message_dict)
        if effective_date is None:
            errors["effective_date"] = ["Say from when the new terms apply."]
        elif contract.effective_date and effective_date < contract.effective_date:
            errors["effective_date"] = ["An amendment cannot apply before the contract does."]
        unknown = sorted(set(tables) - set(TABLES))
        if unknown or ("matrix" in tables and not contract.is_quality_agreement):
            errors["tables"] = ["Amend only the scope, KPIs or (of a quality agreement) matrix."]
        if errors:
            raise ValidationError(errors)
        current = contract_terms(contract)
        proposed = _proposed_fields(contract, fields or {})
        changed = {k: v for k, v in proposed.items() if current["fields"][k] != v}
        changed_tables = {
            table: rows
            for table, rows in tables.items()
            if [dict(row) for row in rows] != current["tables"][table]
        }
        if not changed and not changed_tables:
            raise ValidationError(NOTHING_CHANGES)
        # The matrix is QA's part of a quality agreement; the other terms are the contract owners'.
        if changed or set(changed_tables) - {"matrix"}:
            _require(user, Perm.EDIT_CONTRACTS, "amend a contract's terms")
        if "matrix" in changed_tables:
            _require(user, Perm.EDIT_QUALITY_MATRIX, "change a quality responsibility matrix")
        _check_fields(contract, changed)
        for table, rows in changed_tables.items():
            _check_rows(contract, table, rows)
        last = contract.amendments.aggregate(n=Max("number"))["n"] or 0
        amendment = Amendment(
            contract=contract,
            number=last + 1,
            reason=reason,
            effective_date=effective_date,
            changes={"fields": changed, "tables": changed_tables},
            base={
                "fields": {name: current["fields"][name] for name in changed},
                "tables": {table: current["tables"][table] for table in changed_tables},
            },
            raised_by=user,
        )
        save_with_history(amendment, user=user, reason="Raised")
        if upload is not None:
            contract_document_add(
                contract=contract,
                upload=upload,
                kind=ContractDocument.Kind.AMENDMENT,
                title=f"Amendment {amendment.number}",
                user=user,
                amendment=amendment,
            )
        transaction.on_commit(lambda: _ask_approvers(amendment))
    return amendment


def _ask_approvers(amendment: Amendment) -> None:
    approvers = (
        get_user_model()
        .objects.filter(groups__name__in=[MANAGER, ADMIN], is_active=True)
        .exclude(pk=amendment.raised_by_id)
        .distinct()
    )
    for person in approvers:
        if not has_perm(person, Perm.APPROVE_AMENDMENTS):
            continue
        notification_send(
            recipient=person,
            key=f"amendment-raised:{amendment.pk}",
            subject=f"{amendment} awaits approval",
            body=f"{amendment.reason}\nEffective from {amendment.effective_date:%Y-%m-%d}.",
            url=amendment.get_absolute_url(),
        )


def _locked(amendment: Amendment) -> Amendment:
    return (
        Amendment.objects.select_for_update(of=("self",))
        .select_related("contract__cmo", "raised_by", "decided_by")
        .get(pk=amendment.pk)
    )


def _check_decider(amendment: Amendment, user, action: str) -> None:
    _require(user, Perm.APPROVE_AMENDMENTS, f"{action} amendments")
    if not amendment.is_open:
        raise ValidationError(f"This amendment is {amendment.get_status_display().lower()}.")
    if user.pk == amendment.raised_by_id:
        raise ValidationError(
            f"You raised this amendment: another person {action}s it (separation of duties)."
        )


def _is_stale(amendment: Amendment) -> bool:
    current = contract_terms(amendment.contract)
    base = amendment.base
    return any(current["fields"][k] != v for k, v in base["fields"].items()) or any(
        current["tables"][t] != rows for t, rows in base["tables"].items()
    )


def amendment_approve(
    *, amendment: Amendment, user, note: str = "", on: date | None = None
) -> Amendment:
    """Approve an amendment raised by someone else; it applies now if its effective date has come."""
    on = on or today()
    with transaction.atomic():
        amendment = _locked(amendment)
        _check_decider(amendment, user, "approve")
        if amendment.contract.status != Contract.Status.ACTIVE:
            raise ValidationError("The contract is no longer active: reject the amendment.")
        if _is_stale(amendment):
            raise ValidationError(STALE)
        amendment.status = Amendment.Status.APPROVED
        amendment.decided_by = user
        amendment.decided_at = timezone.now()
        amendment.decision_note = note.strip()
        save_with_history(amendment, user=user, reason=f"Approved. {note}".strip())
        if amendment.effective_date <= on:
            _apply(amendment)
    return amendment


def amendment_reject(*, amendment: Amendment, user, note: str) -> Amendment:
    """Refuse an amendment raised by someone else, saying why; the terms stay as they are."""
    with transaction.atomic():
        amendment = _locked(amendment)
        _check_decider(amendment, user, "reject")
        note = require_reason(note, field_name="note", message="Say why it is rejected.")
        amendment.status = Amendment.Status.REJECTED
        amendment.decided_by = user
        amendment.decided_at = timezone.now()
        amendment.decision_note = note
        save_with_history(amendment, user=user, reason=f"Rejected: {note}")
    return amendment


def amendment_withdraw(*, amendment: Amendment, user, note: str) -> Amendment:
    """Withdraw one's own amendment while it awaits approval."""
    with transaction.atomic():
        amendment = _locked(amendment)
        if user.pk != amendment.raised_by_id:
            raise PermissionDenied("Only its author withdraws an amendment; approvers reject it.")
        if not amendment.is_open:
            raise ValidationError(f"This amendment is {amendment.get_status_display().lower()}.")
        note = require_reason(note, field_name="note", message="Say why it is withdrawn.")
        amendment.status = Amendment.Status.WITHDRAWN
        amendment.decision_note = note
        save_with_history(amendment, user=user, reason=f"Withdrawn: {note}")
    return amendment


def _apply(amendment: Amendment) -> None:
    """Write the approved terms through the contract's services, each history entry naming it."""
    contract = Contract.objects.select_for_update().get(pk=amendment.contract_id)
    user = amendment.decided_by
    why = f"Amendment {amendment.number}: {amendment.reason}"
    before = contract_terms(contract)
    fields = amendment.changes["fields"]
    for name, value in fields.items():
        model_field = contract_field(name)
        if not model_field.many_to_many:
            setattr(contract, model_field.attname, python(model_field, value))

    def save_sites():
        if "sites" in fields:
            contract.sites.set(fields["sites"])

    if fields:
        contract_save(
            contract=contract, user=user, reason=why, save_m2m=save_sites, amendment=amendment
        )
    for table, rows in amendment.changes["tables"].items():
        model, related, names, _, _ = TABLES[table]
        existing = getattr(contract, related).in_bulk()
        saved = []
        for row in rows:
            item = existing.pop(row["id"]) if row["id"] is not None else model(contract=contract)
            for name in names:
                model_field = model._meta.get_field(name)
                setattr(item, model_field.attname, python(model_field, row[name]))
            saved.append(item)
        contract_items_save(
            contract=contract,
            saved=saved,
            deleted=list(existing.values()),
            user=user,
            reason=why,
            amendment=amendment,
        )
    amendment.terms_before = before
    amendment.terms_after = contract_terms(contract)
    amendment.status = Amendment.Status.IN_EFFECT
    amendment.applied_at = timezone.now()
    save_with_history(
        amendment, user=user, reason=f"In effect from {amendment.effective_date:%Y-%m-%d}"
    )


def amendments_apply_due(*, on: date | None = None) -> int:
    """Apply the approved amendments whose effective date has come; the daily review calls it."""
    on = on or today()
    applied = 0
    due = Amendment.objects.filter(status=Amendment.Status.APPROVED, effective_date__lte=on)
    for pk in due.order_by("effective_date", "number").values_list("pk", flat=True):
        with transaction.atomic():
            amendment = _locked(Amendment(pk=pk))
            if amendment.status != Amendment.Status.APPROVED:
                continue
            if _is_stale(amendment) or amendment.contract.status != Contract.Status.ACTIVE:
                log.warning("%s cannot apply: its terms or its contract changed", amendment)
                continue
            _apply(amendment)
            applied += 1
    return applied
