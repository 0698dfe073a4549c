"""Electronic signatures: who may sign, re-authentication, meaning, manifest and content hash.

Audit decisions and evaluation decisions are both signed through here, so the checks a signer
passes, the wording of a refusal and the hash binding a signature to its content are the same
everywhere. Rules about failed attempts (counting, locking) belong in `signature_check`.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from cmoselect.models import SignatureFailure
from cmoselect.outbox import enqueue
from cmoselect.roles import ADMIN, QA, Perm, has_perm

WRONG_PASSWORD = "The password is not correct; nothing was signed."
NO_MEANING = "Choose the meaning of your signature."


def content_hash(content: object) -> str:
    """The SHA-256 of `content` as canonical JSON: the one recipe for signed and reported content.

    Keys are sorted and separators compact, so equal content always gives the same hash; values
    JSON cannot hold (dates, decimals) are written with str().
    """
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class Manifest(NamedTuple):
    """What a signature records beside the signed content: who, when, meaning, what exactly."""

    printed_name: str
    signed_at: datetime
    meaning: str
    content_hash: str


def request_address(request: HttpRequest) -> str | None:
    """The address a signature attempt came from, as the web server passed it on."""
    return request.META.get("REMOTE_ADDR") or None


def _lockout_window() -> timedelta:
    return timedelta(minutes=settings.SIGNATURE_LOCKOUT_MINUTES)


def signing_locked_until(user: User, *, now: datetime | None = None) -> datetime | None:
    """When the user's signing unlocks, or None if it is not locked.

    Signing locks when SIGNATURE_FAILURE_LIMIT failures fall within SIGNATURE_LOCKOUT_MINUTES,
    and stays locked for SIGNATURE_LOCKOUT_MINUTES after the last of them.
    """
    now = now or timezone.now()
    window, limit = _lockout_window(), settings.SIGNATURE_FAILURE_LIMIT
    recent = list(
        SignatureFailure.objects.filter(
            user=user, while_locked=False, attempted_at__gt=now - 2 * window
        )
        .order_by("-attempted_at")
        .values_list("attempted_at", flat=True)[:limit]
    )
    if len(recent) < limit or recent[0] - recent[-1] > window:
        return None
    until = recent[0] + window
    return until if until > now else None


def locked_message(until: datetime) -> str:
    return (
        f"Signing is locked after {settings.SIGNATURE_FAILURE_LIMIT} wrong passwords; "
        f"try again after {timezone.localtime(until):%H:%M} UTC. Nothing was signed."
    )


def signature_check(
    *,
    user: User,
    perm: Perm,
    password: str,
    meaning: str,
    meanings: Iterable[str],
    action: str,
    record: str = "",
    address: str | None = None,
) -> dict[str, str]:
    """Check that `user` may sign and proved who they are; return the field errors found.

    A role without `perm` gets PermissionDenied at once. A wrong password or a missing meaning
    is returned as field errors, so the caller reports them with its own in one ValidationError.
    A wrong password is recorded (with `record` and the request's `address`) at once, in its own
    write: callers raise afterwards, and the record must outlive that. While the user's signing
    is locked, every attempt is refused (even with the right password) and recorded as such.
    """
    if not has_perm(user, perm):
        raise PermissionDenied(f"Your role cannot sign {action}.")
    errors = {}
    if meaning not in meanings:
        errors["meaning"] = NO_MEANING
    until = signing_locked_until(user)
    if until is not None:
        errors["password"] = locked_message(until)
        SignatureFailure.objects.create(
            user=user, action=action[:100], record=record[:200], address=address, while_locked=True
        )
    elif not password or not user.check_password(password):
        errors["password"] = WRONG_PASSWORD
        failure = signature_failure_record(user=user, action=action, record=record, address=address)
        if failure.locked_signing:
            errors["password"] = f"{WRONG_PASSWORD} {locked_message(signing_locked_until(user))}"
    return errors


def signature_failure_record(
    *, user: User, action: str, record: str = "", address: str | None = None
) -> SignatureFailure:
    """Record a wrong signature password; if it locks the user's signing, alert QA and admins."""
    failure = SignatureFailure.objects.create(
        user=user, action=action[:100], record=record[:200], address=address or None
    )
    if signing_locked_until(user, now=failure.attempted_at) is not None:
        failure.locked_signing = True
        failure.save(update_fields=["locked_signing"])
        from cmoselect.tasks import notify_signature_lockout

        enqueue(notify_signature_lockout, failure.pk)
    return failure


def signature_lockout_notify(*, failure: SignatureFailure) -> int:
    """Tell QA and admins, in the app and by e-mail, that a user's signing was locked."""
    from vendors.models import Notification

    user = failure.user
    name = user.get_full_name() or user.get_username()
    subject = f"E-signature locked for {name}"
    body = (
        f"{settings.SIGNATURE_FAILURE_LIMIT} wrong signature passwords within "
        f"{settings.SIGNATURE_LOCKOUT_MINUTES} minutes; the last at "
        f"{failure.attempted_at:%Y-%m-%d %H:%M} UTC on {failure.record or failure.action}"
        f" from {failure.address or 'an unknown address'}. Signing is locked for "
        f"{settings.SIGNATURE_LOCKOUT_MINUTES} minutes."
    )
    recipients = (
        get_user_model()
        .objects.filter(Q(groups__name__in=[QA, ADMIN]) | Q(is_superuser=True), is_active=True)
        .exclude(pk=user.pk)
        .distinct()
    )
    sent = 0
    for recipient in recipients:
        _, created = Notification.objects.get_or_create(
            recipient=recipient,
            key=f"signature-lockout:{failure.pk}",
            defaults={
                "subject": subject,
                "body": body,
                "url": "/admin/cmoselect/signaturefailure/",
            },
        )
        if created:
            sent += 1
            if recipient.email:
                send_mail(subject, body, None, [recipient.email], fail_silently=False)
    return sent


def signature_manifest(*, user: User, meaning: str, content: object) -> Manifest:
    """The manifest of a signature applied now by `user` to `content`."""
    return Manifest(
        printed_name=user.get_full_name() or user.get_username(),
        signed_at=timezone.now(),
        meaning=meaning,
        content_hash=content_hash(content),
    )
