"""Findings raised in an audit, graded by severity, and the CAPA that follows each to closure."""

from datetime import date
from typing import Self

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audits.models.audits import Answer, Audit


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    OBSERVATION = "observation", "Observation"


# Shown beside the severity field and in the report, so everyone grades alike.
SEVERITY_DEFINITIONS = {
    Severity.CRITICAL: "A deficiency that has produced, or leads to a significant risk of "
    "producing, a product that is harmful to patients, or evidence of fraud or falsified data.",
    Severity.MAJOR: "A non-critical deficiency that has produced or may produce a product that "
    "does not meet its specification or marketing authorisation, or a major departure from GMP, "
    "or several minor deficiencies that together amount to a major one.",
    Severity.MINOR: "A departure from GMP that is neither critical nor major and has little "
    "likelihood of affecting product quality.",
    Severity.OBSERVATION: "Not a departure from GMP: an opportunity for improvement noted for "
    "the CMO. No CAPA is required.",
}
SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.OBSERVATION]


class FindingQuerySet(models.QuerySet):
    def open(self) -> Self:
        """Findings still needing action: their CAPA is not yet verified and closed."""
        return self.exclude(severity=Severity.OBSERVATION).exclude(capa__status=Capa.Status.CLOSED)

    def by_severity(self) -> Self:
        """Critical first, then major, minor and observations; by number within a severity."""
        rank = models.Case(
            *(models.When(severity=s, then=i) for i, s in enumerate(SEVERITY_ORDER)),
            output_field=models.IntegerField(),
        )
        return self.order_by(rank, "number")


class Finding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    answer = models.ForeignKey(
        Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings"
    )
    number = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=12, choices=Severity)
    title = models.CharField(max_length=200)
    requirement = models.CharField(
        "requirement cited", max_length=250, help_text="e.g. 21 CFR 211.192, EU GMP Chapter 1.4"
    )
    description = models.TextField()
    evidence = models.TextField("objective evidence", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="finding_number_per_audit"),
        ]

    def __str__(self) -> str:
        return f"{self.audit.reference}-F{self.number:02d} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("audits:finding_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"F{self.number:02d}"

    @property
    def severity_definition(self) -> str:
        return SEVERITY_DEFINITIONS[Severity(self.severity)]


class CapaQuerySet(models.QuerySet):
    def overdue(self, today: date | None = None) -> Self:
        today = today or timezone.localdate()
        return self.exclude(status=Capa.Status.CLOSED).filter(due_date__lt=today)


class Capa(models.Model):
    """The CMO's corrective and preventive action for one finding, followed to closure."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESPONSE_RECEIVED = "response_received", "Response received"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Verified and closed"

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="capa")
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN, db_index=True)
    due_date = models.DateField()
    root_cause = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    preventive_action = models.TextField(blank=True)
    response_received_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)
    effectiveness_check = models.TextField(
        blank=True, help_text="How it was checked that the actions prevent a recurrence."
    )
    history = HistoricalRecords()

    objects = CapaQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"

    def __str__(self) -> str:
        return f"CAPA for {self.finding}"

    def get_absolute_url(self) -> str:
        return self.finding.get_absolute_url()

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status != self.Status.CLOSED and self.due_date < today
