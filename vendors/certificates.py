"""The certificate register's workflows: record, correct, replace and remove a site's
certificates (QA and Admin, with who and why), and the expiry alerts sent to QA."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from cmoselect.events import scoring_inputs_changed
from cmoselect.history import delete_with_history, require_reason, save_with_history
from cmoselect.roles import ADMIN, QA, Perm, check_perm
from cmoselect.uploads import check_upload
from vendors.models import ALERT_DAYS, Certificate, CertificateAlert
from vendors.services import notification_send

# A certificate is a scanned page or a document, never a spreadsheet or a text file.
CERTIFICATE_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".doc")
CERTIFICATE_ACCEPT = ",".join(CERTIFICATE_EXTENSIONS)
EDITED_FIELDS = ("kind", "reference", "issuer", "issued_on", "valid_until", "notes")


def _attach(certificate: Certificate, upload) -> None:
    """Check an uploaded file and put it on the (unsaved) certificate."""
    certificate.content_type = check_upload(upload, accepted=CERTIFICATE_EXTENSIONS)
    data = upload.read()
    certificate.original_name = (upload.name or "certificate")[:255]
    certificate.size = len(data)
    name = get_valid_filename(certificate.original_name)[:200] or "certificate"
    certificate.file.save(name, ContentFile(data), save=False)


def _clean(certificate: Certificate) -> None:
    for name in ("reference", "issuer", "notes"):
        setattr(certificate, name, getattr(certificate, name).strip())
    certificate.full_clean(exclude=["file", "superseded_by", "created_by"])


def _saved(certificate: Certificate, *, user, reason: str, upload=None) -> Certificate:
    _clean(certificate)
    with transaction.atomic():
        if upload is not None:
            _attach(certificate, upload)
        save_with_history(certificate, user=user, reason=reason)
        scoring_inputs_changed(cmo_ids=[certificate.site.cmo_id], reason="certificates")
    return certificate


def certificate_save(
    *, certificate: Certificate, user, reason: str = "", upload=None
) -> Certificate:
    """Record a site's certificate, or correct the current one (with a reason), with history.

    A correction with a file swaps the file in place (the history keeps which file it was);
    a renewed certificate is a replacement instead (`certificate_replace`).
    """
    check_perm(user, Perm.EDIT_REGULATORY)
    if certificate.pk is None:
        certificate.created_by = user
        if upload is None:
            raise ValidationError({"file": "Attach the certificate's file."})
    elif not certificate.is_current:
        raise ValidationError(
            {"non_field_errors": ["A superseded version cannot be changed; edit the current one."]}
        )
    return _saved(certificate, user=user, reason=reason, upload=upload)


def certificate_replace(
    *, old: Certificate, new: Certificate, user, reason: str, upload
) -> Certificate:
    """Replace a certificate by a new version (renewal); the old one stays, marked superseded."""
    check_perm(user, Perm.EDIT_REGULATORY)
    reason = require_reason(reason)
    if not old.is_current:
        raise ValidationError(
            {"non_field_errors": ["This version was replaced already; replace the current one."]}
        )
    if upload is None:
        raise ValidationError({"file": "Attach the new certificate's file."})
    new.site = old.site
    new.created_by = user
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=old.pk)
        if not locked.is_current:
            raise ValidationError(
                {
                    "non_field_errors": [
                        "This version was replaced already; replace the current one."
                    ]
                }
            )
        _saved(new, user=user, reason=reason, upload=upload)
        old.superseded_by = new
        try:
            save_with_history(old, user=user, reason=f"Replaced by {new}: {reason}")
        except IntegrityError as error:
            raise ValidationError(
                {"non_field_errors": ["This version was replaced already."]}
            ) from error
    return new


def certificate_remove(*, certificate: Certificate, user, reason: str) -> None:
    """Remove a certificate entered by mistake; its history keeps it, with who and why.

    A version that replaced another cannot go: the register would lose its chain.
    """
    check_perm(user, Perm.EDIT_REGULATORY)
    if not certificate.is_current:
        raise ValidationError(
            {"non_field_errors": ["A superseded version stays on record; it cannot be removed."]}
        )
    with transaction.atomic():
        previous = Certificate.objects.filter(superseded_by=certificate).first()
        if previous is not None:
            # The version it replaced is current again.
            previous.superseded_by = None
            save_with_history(
                previous, user=user, reason=f"Current again: {certificate} was removed"
            )
        delete_with_history(certificate, user=user, reason=reason)
        scoring_inputs_changed(cmo_ids=[certificate.site.cmo_id], reason="certificates")


def _alert_due(days_left: int) -> int | None:
    """The threshold whose window `days_left` falls in: the smallest of ALERT_DAYS ≥ it."""
    if days_left < 0:
        return None
    due = [days for days in ALERT_DAYS if days_left <= days]
    return min(due) if due else None


def certificate_alerts_send(*, on: date | None = None) -> list[CertificateAlert]:
    """Alert QA (in the app and by e-mail) 60, 30 and 7 days before a certificate expires.

    Each alert is sent once per certificate, threshold and expiry date (stored as a
    `CertificateAlert`); a day missed (beat down) sends the alert of the window it is in, not
    the ones it skipped.
    """
    on = on or timezone.localdate()
    users = get_user_model().objects.filter(is_active=True)
    # QA follows certificates up; with no QA person, the admins hear of it instead.
    recipients = list(users.filter(groups__name=QA).distinct()) or list(
        users.filter(groups__name=ADMIN).distinct()
    )
    candidates = Certificate.objects.expiring_within(max(ALERT_DAYS), on).select_related(
        "site__cmo"
    )
    sent_keys = set(
        CertificateAlert.objects.filter(certificate__in=candidates).values_list(
            "certificate_id", "days_before", "valid_until"
        )
    )
    alerts = []
    for certificate in candidates:
        days_left = (certificate.valid_until - on).days
        threshold = _alert_due(days_left)
        key = (certificate.pk, threshold, certificate.valid_until)
        if threshold is None or key in sent_keys:
            continue
        site = certificate.site
        until = f"{certificate.valid_until:%Y-%m-%d}"
        if certificate.kind == Certificate.Kind.QUALITY_AGREEMENT_REVIEW:
            # A review date falls due; it does not expire.
            subject = f"Quality agreement review of {site.name} is due {until}"
            body = (
                f"The quality agreement with {site.cmo} for {site.name} is due for review on "
                f"{until}: {days_left} days from now.\n"
                "Review it with the site and record the next review date in the register."
            )
        else:
            subject = f"{certificate.get_kind_display()} of {site.name} expires {until}"
            body = (
                f"{certificate} ({certificate.issuer}) of {site.name} ({site.cmo}) is valid until "
                f"{until}: {days_left} days from now.\n"
                "Ask the site for the renewed certificate and replace it in the register."
            )
        with transaction.atomic():
            alert, created = CertificateAlert.objects.get_or_create(
                certificate=certificate, days_before=threshold, valid_until=certificate.valid_until
            )
            if not created:
                continue
            notices = [
                notification_send(
                    recipient=person,
                    key=f"certificate-expiry:{certificate.pk}:{threshold}:"
                    f"{certificate.valid_until:%Y-%m-%d}",
                    subject=subject,
                    body=body,
                    url=certificate.get_absolute_url(),
                )
                for person in recipients
            ]
            alert.recipients = sum(1 for _, new in notices if new)
            alert.save(update_fields=["recipients"])
        alerts.append(alert)
    return alerts


__all__ = [
    "CERTIFICATE_ACCEPT",
    "CERTIFICATE_EXTENSIONS",
    "certificate_alerts_send",
    "certificate_remove",
    "certificate_replace",
    "certificate_save",
]
