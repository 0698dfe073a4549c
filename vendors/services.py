from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction

from cmoselect.roles import MANAGER, Perm, has_perm
from vendors.models import (
    QUALIFYING_STATUSES,
    TRANSITIONS,
    Cmo,
    Notification,
    QualificationStatus,
    Site,
    StatusChange,
)


def record_save(
    *, instance: models.Model, user, reason: str = "", save_m2m: Callable | None = None
) -> models.Model:
    """Save a directory record with its history entry (who and why) in one transaction."""
    if instance.pk and not reason.strip():
        raise ValidationError({"change_reason": "Say why this record is being changed."})
    instance._history_user = user
    instance._change_reason = reason.strip() or "Created"
    with transaction.atomic():
        instance.full_clean(validate_unique=True)
        instance.save()
        if save_m2m is not None:
            save_m2m()
    return instance


def _check_transition(*, subject: Cmo | Site, status: str, user, reason: str) -> str:
    if status not in QualificationStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    current = subject.qualification_status
    if status == current:
        raise ValidationError({"status": "The status is already that."})
    if status not in TRANSITIONS[current]:
        raise ValidationError(
            {
                "status": f"{QualificationStatus(current).label} cannot move to "
                f"{QualificationStatus(status).label}."
            }
        )
    needed = Perm.QUALIFY if status in QUALIFYING_STATUSES else Perm.CHANGE_STATUS
    if not has_perm(user, needed):
        raise ValidationError(
            {"status": "Only QA, a manager or an admin can make this qualification decision."}
        )
    if not reason.strip():
        raise ValidationError({"reason": "A reason is required for a status change."})
    return current


def cmo_change_status(*, cmo: Cmo, status: str, user, reason: str) -> StatusChange:
    """Move a CMO along the qualification lifecycle and record who, when and why."""
    with transaction.atomic():
        cmo = Cmo.objects.select_for_update().get(pk=cmo.pk)
        current = _check_transition(subject=cmo, status=status, user=user, reason=reason)
        cmo.qualification_status = status
        cmo._history_user = user
        cmo._change_reason = reason.strip()
        cmo.save()
        change = StatusChange.objects.create(
            cmo=cmo, from_status=current, to_status=status, reason=reason.strip(), changed_by=user
        )
        _enqueue_notification(change)
    return change


def site_change_status(*, site: Site, status: str, user, reason: str) -> StatusChange:
    """Move a site along its own qualification lifecycle and record who, when and why."""
    with transaction.atomic():
        site = Site.objects.select_for_update().select_related("cmo").get(pk=site.pk)
        current = _check_transition(subject=site, status=status, user=user, reason=reason)
        site.qualification_status = status
        site._history_user = user
        site._change_reason = reason.strip()
        site.save()
        change = StatusChange.objects.create(
            cmo=site.cmo,
            site=site,
            from_status=current,
            to_status=status,
            reason=reason.strip(),
            changed_by=user,
        )
        _enqueue_notification(change)
    return change


def _enqueue_notification(change: StatusChange) -> None:
    from vendors.tasks import notify_status_change

    notify_status_change.delay_on_commit(change.pk)


def status_change_notify(*, change: StatusChange) -> list[Notification]:
    """Tell every manager about a qualification status change, in the app and by e-mail."""
    managers = get_user_model().objects.filter(groups__name=MANAGER, is_active=True).distinct()
    subject = (
        f"{change.subject}: {QualificationStatus(change.from_status).label} → "
        f"{QualificationStatus(change.to_status).label}"
    )
    body = f"Changed by {change.changed_by} on {change.changed_at:%Y-%m-%d %H:%M} UTC.\n\n{change.reason}"
    url = (change.site or change.cmo).get_absolute_url()
    key = f"status-change:{change.pk}"
    notices = []
    for manager in managers:
        notice, created = Notification.objects.get_or_create(
            recipient=manager, key=key, defaults={"subject": subject, "body": body, "url": url}
        )
        if created and manager.email:
            send_mail(subject, body, None, [manager.email], fail_silently=False)
        notices.append(notice)
    return notices
