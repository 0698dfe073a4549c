"""The certificate register: a site's GMP certificates, licences, ISO certificates, DMF letters
of authorization and quality agreement reviews, each with its file, dates and history.

A certificate is replaced, not overwritten: the new version is a row of its own and the old one
points to it (`superseded_by`), so the earlier file stays on record and downloadable.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from vendors.models.directory import Site

# Days before `valid_until` that QA is alerted, each once; a certificate expiring within the
# first of them shows as "expires in N days".
ALERT_DAYS = (60, 30, 7)
EXPIRING_WITHIN_DAYS = ALERT_DAYS[0]


class CertificateState(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


class CertificateStatus(NamedTuple):
    """What a certificate's dates say on a given day, as the site page shows it."""

    state: CertificateState
    days_left: int | None  # None for one that does not expire

    @property
    def label(self) -> str:
        if self.state == CertificateState.SUPERSEDED:
            return "superseded"
        if self.state == CertificateState.EXPIRED:
            return "expired"
        if self.state == CertificateState.EXPIRING:
            if self.days_left == 0:
                return "expires today"
            return f"expires in {self.days_left} day{'s' if self.days_left != 1 else ''}"
        return "valid"


class GmpStatus(StrEnum):
    """Whether a site holds a current GMP certificate (a factor of its risk class)."""

    VALID = "valid"
    EXPIRED = "expired"  # it had one, and every current one has expired
    MISSING = "missing"  # none recorded


class CertificateQuerySet(models.QuerySet):
    def current(self) -> Self:
        """The versions in force: not replaced by a newer one."""
        return self.filter(superseded_by__isnull=True)

    def gmp(self) -> Self:
        return self.filter(kind=Certificate.Kind.GMP)

    def valid(self, on: date | None = None) -> Self:
        """Current certificates not expired on `on` (today by default); no expiry date = valid."""
        on = on or timezone.localdate()
        return self.current().filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))

    def expired(self, on: date | None = None) -> Self:
        on = on or timezone.localdate()
        return self.current().filter(valid_until__lt=on)

    def expiring_within(self, days: int, on: date | None = None) -> Self:
        on = on or timezone.localdate()
        return self.current().filter(valid_until__gte=on, valid_until__lte=on + timedelta(days))

    def has_valid_gmp(self, on: date | None = None) -> bool:
        """True when a current GMP certificate is in force on `on` (today by default).

        Used as `site.certificates.has_valid_gmp()`.
        """
        return self.gmp().valid(on).exists()

    def expired_gmp(self, on: date | None = None) -> Self:
        """The current GMP certificates that have expired by `on` (today by default).

        `site.certificates.expired_gmp().exists()` with no valid one means the site's GMP
        certificate has lapsed; see `gmp_status_by_site` for many sites at once.
        """
        return self.gmp().expired(on)

    def gmp_status_by_site(
        self, site_ids: Iterable[int], *, on: date | None = None
    ) -> dict[int, GmpStatus]:
        """Each site's GMP certificate status on `on`, in one query, for many sites at once.

        VALID: a current GMP certificate in force; EXPIRED: current ones, all expired;
        MISSING: none recorded. Every id asked for is in the answer.
        """
        on = on or timezone.localdate()
        site_ids = list(site_ids)
        status = dict.fromkeys(site_ids, GmpStatus.MISSING)
        rows = (
            self.filter(site_id__in=site_ids)
            .gmp()
            .current()
            .values_list("site_id", "valid_until")
            .order_by()
        )
        for site_id, valid_until in rows:
            if valid_until is None or valid_until >= on:
                status[site_id] = GmpStatus.VALID
            elif status[site_id] == GmpStatus.MISSING:
                status[site_id] = GmpStatus.EXPIRED
        return status


def certificate_path(instance, filename: str) -> str:
    return f"sites/{instance.site_id}/certificates/{filename}"


class Certificate(models.Model):
    """One certificate (or dated review) of a site, with its file; replaced by a new version."""

    class Kind(models.TextChoices):
        GMP = "gmp", "GMP certificate"
        MANUFACTURING_LICENCE = "manufacturing_licence", "Manufacturing licence"
        ISO9001 = "iso9001", "ISO 9001"
        ISO13485 = "iso13485", "ISO 13485"
        DMF_LOA = "dmf_loa", "DMF letter of authorization"
        QUALITY_AGREEMENT_REVIEW = "quality_agreement_review", "Quality agreement review"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="certificates")
    kind = models.CharField(max_length=30, choices=Kind)
    reference = models.CharField(
        "number", max_length=100, help_text="The certificate, licence or letter number."
    )
    issuer = models.CharField(
        max_length=200, help_text="Who issued it, e.g. the authority or certification body."
    )
    issued_on = models.DateField("issued on")
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text="Leave empty for one that does not expire; a review: when the next is due.",
    )
    file = models.FileField(upload_to=certificate_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        help_text="The newer version that replaced this one.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-issued_on", "-pk"]
        indexes = [models.Index(fields=["site", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("issued_on")),
                name="certificate_dates_in_order",
                violation_error_message="The certificate cannot expire before it was issued.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:site_detail", args=[self.site_id]) + f"#certificate-{self.pk}"

    def get_download_url(self) -> str:
        return reverse("vendors:certificate_download", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.issued_on and self.issued_on > timezone.localdate():
            errors["issued_on"] = "The issue date is in the future."
        if self.issued_on and self.valid_until and self.valid_until < self.issued_on:
            errors["valid_until"] = "The certificate cannot expire before it was issued."
        if errors:
            raise ValidationError(errors)

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None

    @property
    def extension(self) -> str:
        return Path(self.original_name).suffix.lower()

    def status(self, on: date | None = None) -> CertificateStatus:
        """Valid, expiring within `EXPIRING_WITHIN_DAYS`, expired, or superseded, on `on`."""
        if not self.is_current:
            return CertificateStatus(CertificateState.SUPERSEDED, None)
        if self.valid_until is None:
            return CertificateStatus(CertificateState.VALID, None)
        on = on or timezone.localdate()
        days_left = (self.valid_until - on).days
        if days_left < 0:
            return CertificateStatus(CertificateState.EXPIRED, days_left)
        if days_left <= EXPIRING_WITHIN_DAYS:
            return CertificateStatus(CertificateState.EXPIRING, days_left)
        return CertificateStatus(CertificateState.VALID, days_left)


class CertificateAlert(models.Model):
    """An expiry alert sent for one certificate's expiry date at one threshold: sent once.

    Keyed on the date alerted about, so a certificate whose dates are corrected (or a new
    version with a later date) gets its own alerts.
    """

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="alerts")
    days_before = models.PositiveSmallIntegerField()
    valid_until = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "days_before", "valid_until"], name="certificate_alert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certificate}: {self.days_before} days before {self.valid_until}"
