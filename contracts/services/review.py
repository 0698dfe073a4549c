"""The daily review: contracts rolled over at expiry, due amendments applied, alerts sent."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import save_with_history
from cmoselect.roles import MANAGER
from contracts.models import Contract, Milestone, today
from contracts.services.amendments import amendments_apply_due
from vendors.models import Notification
from vendors.services import notifications_send


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


KEYS_PER_QUERY = 900  # under SQLite's smallest limit on query parameters


def _already_sent(keys: list[str]) -> set[tuple[int, str]]:
    """The (recipient, key) pairs among these keys that were notified before."""
    already = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        already.update(
            Notification.objects.filter(key__in=keys[start : start + KEYS_PER_QUERY])
            .order_by()
            .values_list("recipient_id", "key")
        )
    return already


def _contract_notice(row: dict, on: date) -> tuple[str, str, str]:
    deadline = row["notice_due"]
    if row["auto_renewal"]:
        action = f"renews automatically for {row['renewal_term_months']} months"
    else:
        action = "ends"
    subject = f"Notice due by {deadline:%Y-%m-%d}: {row['title']} ({row['cmo__legal_name']})"
    if deadline >= on:
        when = f"must be given by {deadline:%Y-%m-%d} ({(deadline - on).days} days from now)"
    else:
        when = f"was due by {deadline:%Y-%m-%d}: the deadline has passed"
    body = (
        f"{row['title']} ({Contract.Type(row['contract_type']).label}) with "
        f"{row['cmo__legal_name']} {action} on {row['expiry_date']:%Y-%m-%d}.\n"
        f"Notice of termination or non-renewal {when}."
    )
    url = reverse("contracts:contract_detail", args=[row["pk"]])
    return subject, body, url


def _milestone_notice(row: dict, on: date) -> tuple[str, str, str]:
    subject = f"Milestone late: {row['name']} ({row['contract__cmo__legal_name']})"
    body = (
        f"{row['name']} under {row['contract__title']} was planned for "
        f"{row['planned_date']:%Y-%m-%d} and has no actual date yet "
        f"({max(0, (on - row['planned_date']).days)} days late)."
    )
    url = reverse("contracts:contract_detail", args=[row["contract_id"]]) + "#milestones"
    return subject, body, url


def contract_alerts_send(*, on: date | None = None) -> list[Notification]:
    """Alert owners and managers, once each, of open notice windows and late milestones.

    The contracts and milestones due an alert are chosen in the database and read as plain
    rows; texts are written only for the people not yet told, and the new notices are saved
    and e-mailed in batches, so a book of ten thousand contracts takes seconds.
    """
    on = on or today()
    managers = list(
        get_user_model().objects.filter(groups__name=MANAGER, is_active=True).distinct()
    )
    contracts = (
        Contract.objects.notice_window_open(on=on)
        .order_by("notice_due", "pk")
        .values(
            "pk",
            "title",
            "contract_type",
            "expiry_date",
            "auto_renewal",
            "renewal_term_months",
            "notice_due",
            "cmo__legal_name",
            "owner_id",
        )
    )
    milestones = (
        Milestone.objects.late(on=on)
        .filter(contract__status__in=[Contract.Status.ACTIVE, Contract.Status.NEGOTIATION])
        .order_by("planned_date", "pk")
        .values(
            "pk",
            "name",
            "planned_date",
            "contract_id",
            "contract__title",
            "contract__cmo__legal_name",
            "contract__owner_id",
        )
    )
    # (key, owner id, row, how to write it) for every event due an alert today.
    events = [
        (
            f"contract-notice:{row['pk']}:{row['expiry_date']:%Y-%m-%d}",
            row["owner_id"],
            row,
            _contract_notice,
        )
        for row in contracts
    ]
    events += [
        (
            f"milestone-late:{row['pk']}:{row['planned_date']:%Y-%m-%d}",
            row["contract__owner_id"],
            row,
            _milestone_notice,
        )
        for row in milestones
    ]
    owner_ids = {owner_id for _, owner_id, _, _ in events if owner_id is not None}
    owners = {}
    if owner_ids:
        owners = {
            user.pk: user
            for user in get_user_model().objects.filter(pk__in=owner_ids, is_active=True)
        }
    already = _already_sent([key for key, _, _, _ in events])
    notices = []
    for key, owner_id, row, write in events:
        people = {m.pk: m for m in managers}
        if owner_id in owners:
            people.setdefault(owner_id, owners[owner_id])
        recipients = [p for pk, p in people.items() if (pk, key) not in already]
        if not recipients:
            continue
        subject, body, url = write(row, on)
        notices += [
            Notification(recipient=p, key=key, subject=subject, body=body, url=url)
            for p in recipients
        ]
    return notifications_send(notices)


def contracts_review(*, on: date | None = None) -> dict[str, int]:
    """The daily review: roll contracts over, apply amendments that took effect, send alerts."""
    counts = contracts_roll_over(on=on)
    counts["amendments"] = amendments_apply_due(on=on)
    counts["alerts"] = len(contract_alerts_send(on=on))
    return counts
