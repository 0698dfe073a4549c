"""The approved supplier list: one entry per qualified site, its scope, risk and due date."""

from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audits.models import Audit, Signature
from vendors.models import Capability, RegulatoryEvent, Site


class RiskClass(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class QualificationQuerySet(models.QuerySet):
    def in_program(self) -> Self:
        """The entries audited again on a schedule: every one not disqualified or withdrawn."""
        return self.exclude(
            status__in=(SiteQualification.Status.DISQUALIFIED, SiteQualification.Status.WITHDRAWN)
        )

    def for_list(self) -> Self:
        """With what a row of the list or its export shows of the related rows: the site's name
        and country, its CMO's name, the approving audit and signature, the approved scope.

        Their other columns are not read: converting them (dates, texts of four tables) cost
        more than the list's query.
        """
        own = [f.name for f in self.model._meta.concrete_fields]
        return (
            self.select_related("site__cmo", "audit", "signature")
            .only(
                *own,
                "site__name",
                "site__country",
                "site__cmo__legal_name",
                "audit__id",
                "signature__printed_name",
            )
            .prefetch_related(
                models.Prefetch("capabilities", queryset=Capability.objects.only("name"))
            )
        )

    def with_planned_audit(self) -> Self:
        """Each entry with the site's next open audit (planned, in progress or in review)."""
        upcoming = Audit.objects.filter(
            site_id=models.OuterRef("site_id"), status__in=Audit.OPEN_STATUSES
        ).order_by("planned_start", "pk")
        return self.annotate(
            planned_audit_id=models.Subquery(upcoming.values("pk")[:1]),
            planned_audit_start=models.Subquery(upcoming.values("planned_start")[:1]),
        )

    def by_due_date(self) -> Self:
        """Overdue first, then the soonest due; entries with no due date last."""
        return self.order_by(models.F("valid_until").asc(nulls_last=True), "site__name", "pk")


class SiteQualification(models.Model):
    """What one site is approved for (capabilities and products), on which audit, until when.

    The risk class and the due date are stored (recomputed by `qualification_reassess`) so the
    ASL and the audit program filter and sort on them in the database, whatever their size.
    """

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        CONDITIONAL = "conditionally_approved", "Conditionally approved"
        SUSPENDED = "suspended", "Suspended"
        DISQUALIFIED = "disqualified", "Disqualified"
        WITHDRAWN = "withdrawn", "Withdrawn"

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="qualification")
    status = models.CharField(max_length=30, choices=Status, db_index=True)
    conditions = models.TextField(blank=True, help_text="The conditions of a conditional approval.")
    capabilities = models.ManyToManyField(
        Capability,
        blank=True,
        related_name="qualifications",
        verbose_name="approved for",
        help_text="The services, modalities and dosage forms the site is approved for.",
    )
    products = models.TextField(
        blank=True, help_text="Products or product families approved, one per line."
    )
    audit = models.ForeignKey(
        Audit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="approving audit",
    )
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    # The end of the last approved audit: the requalification interval counts from here.
    last_audit_end = models.DateField(null=True, blank=True)
    valid_until = models.DateField(
        "valid until", null=True, blank=True, db_index=True, help_text="Requalification due."
    )
    computed_risk = models.CharField(max_length=10, choices=RiskClass, default=RiskClass.MEDIUM)
    risk_points = models.PositiveSmallIntegerField(default=0)
    risk_override = models.CharField(max_length=10, choices=RiskClass, blank=True)
    risk_override_reason = models.TextField(blank=True)
    risk_class = models.CharField(
        max_length=10, choices=RiskClass, default=RiskClass.MEDIUM, db_index=True
    )
    # The OAI inspection, warning letter or class I recall since the last audit that raised the
    # risk and pulled the due date in: a for-cause audit is proposed until an audit follows it.
    cause_event = models.ForeignKey(
        RegulatoryEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[capabilities])

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["valid_until", "site__name"]

    def __str__(self) -> str:
        return f"{self.site.name}: {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("qualification:detail", args=[self.pk])

    @property
    def is_current(self) -> bool:
        """Approved or conditionally approved: the site may be used within its scope."""
        return self.status in (self.Status.APPROVED, self.Status.CONDITIONAL)

    def days_to_due(self, today=None) -> int | None:
        if self.valid_until is None:
            return None
        return (self.valid_until - (today or timezone.localdate())).days

    @property
    def due_state(self) -> str:
        """overdue, soon (within 90 days), later, or none."""
        days = self.days_to_due()
        if days is None:
            return "none"
        if days < 0:
            return "overdue"
        return "soon" if days <= settings.REQUALIFICATION_SOON_DAYS else "later"


class NotifiedChangeQuerySet(models.QuerySet):
    def since(self, day) -> Self:
        """The changes notified after `day` (every one, with None)."""
        return self if day is None else self.filter(notified_on__gt=day)


class NotifiedChange(models.Model):
    """A change the CMO notified under its quality agreement (equipment, process, materials,
    people, ownership…), and QA's assessment of it.

    A major change notified since the site's last approved audit weighs in its risk class
    (`qualification.risk.notified_changes`); the next approved audit covers it.
    """

    class Category(models.TextChoices):
        FACILITY = "facility", "Facility or equipment"
        PROCESS = "process", "Manufacturing process"
        MATERIALS = "materials", "Materials or their suppliers"
        TESTING = "testing", "Specifications or analytical methods"
        PEOPLE = "people", "Key personnel"
        OWNERSHIP = "ownership", "Ownership or organisation"
        REGULATORY = "regulatory", "Licence or regulatory status"
        OTHER = "other", "Other"

    class Significance(models.TextChoices):
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    class Assessment(models.TextChoices):
        OPEN = "open", "Awaiting assessment"
        ACCEPTED = "accepted", "Accepted"
        AUDIT = "audit", "Accepted, to verify at an audit"
        REJECTED = "rejected", "Not accepted"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="notified_changes")
    notified_on = models.DateField("notified on", help_text="When the CMO told us of it.")
    title = models.CharField(
        "what changed", max_length=200, help_text="e.g. “Second lyophiliser on filling line 2”."
    )
    category = models.CharField(max_length=20, choices=Category)
    significance = models.CharField(
        max_length=10,
        choices=Significance,
        help_text="Major: it may affect the product's quality or its registration.",
    )
    description = models.TextField(blank=True, help_text="What the CMO's notice says.")
    assessment = models.CharField(
        "QA assessment", max_length=10, choices=Assessment, default=Assessment.OPEN
    )
    assessment_notes = models.TextField(
        "assessment notes", blank=True, help_text="What QA concluded and why."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = NotifiedChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-notified_on", "-pk"]
        indexes = [models.Index(fields=["site", "notified_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.notified_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("vendors:site_detail", args=[self.site_id]) + f"#change-{self.pk}"

    def clean(self) -> None:
        if self.notified_on and self.notified_on > timezone.localdate():
            raise ValidationError({"notified_on": "The date is in the future."})
        if self.assessment != self.Assessment.OPEN and not self.assessment_notes.strip():
            raise ValidationError(
                {"assessment_notes": "Say what the assessment concluded and why."}
            )
