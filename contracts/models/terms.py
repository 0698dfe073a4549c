"""The tables of a contract's terms: scope, quality responsibilities, milestones and KPIs."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract, not_in_future, today
from vendors.models import Capability, Site


class ScopeItem(models.Model):
    """One line of a contract's scope of work: which product, which service, where, how much."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="scope_items")
    product = models.CharField(max_length=200, help_text="Product or molecule, e.g. mAb-123 DS.")
    capability = models.ForeignKey(
        Capability,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scope_items",
        verbose_name="service",
        help_text="From the capability taxonomy.",
    )
    service_detail = models.CharField(
        "service detail", max_length=200, blank=True, help_text="Anything the taxonomy lacks."
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="scope_items"
    )
    annual_volume = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, "A volume cannot be negative.")],
    )
    volume_unit = models.CharField(max_length=30, blank=True, help_text="e.g. vials/year, kg")
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_volume__isnull=True) | Q(annual_volume__gte=0),
                name="scope_volume_not_negative",
                violation_error_message="A volume cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.capability or self.service_detail}"


class ResponsibilityItem(models.Model):
    """One row of a quality agreement's responsibility matrix."""

    class Party(models.TextChoices):
        CMO = "cmo", "CMO"
        SPONSOR = "sponsor", "Sponsor"
        SHARED = "shared", "Shared"

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="responsibilities"
    )
    activity = models.CharField(max_length=200)
    responsible = models.CharField(max_length=10, choices=Party, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    # Pre-filled activities take 0, 1, 2…; activities added later follow them.
    position = models.PositiveSmallIntegerField(default=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "activity"],
                name="responsibility_activity_once",
                violation_error_message="This activity is already in the matrix.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.get_responsible_display() or 'unassigned'}"


class MilestoneQuerySet(models.QuerySet):
    def late(self, *, on: date | None = None) -> "MilestoneQuerySet":
        """Open milestones whose planned date has passed."""
        return self.filter(actual_date__isnull=True, planned_date__lt=on or today())


class Milestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200, help_text="e.g. Engineering batch")
    planned_date = models.DateField()
    actual_date = models.DateField(
        null=True,
        blank=True,
        validators=[not_in_future],
        help_text="When it was reached; leave empty until then.",
    )
    notes = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "planned_date", "pk"]
        indexes = [
            # Late milestones, longest overdue first, read without sorting every open one.
            models.Index(
                fields=["planned_date"],
                condition=Q(actual_date__isnull=True),
                name="milestone_open_by_planned",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.contract_id]) + "#milestones"

    def is_late(self, on: date | None = None) -> bool:
        on = on or today()
        if self.actual_date is None:
            return self.planned_date < on
        return self.actual_date > self.planned_date

    @property
    def late(self) -> bool:
        return self.is_late()

    def days_late(self, on: date | None = None) -> int:
        end = self.actual_date or on or today()
        return max(0, (end - self.planned_date).days)


class Kpi(models.Model):
    """A service level the CMO commits to."""

    class Kind(models.TextChoices):
        OTIF = "otif", "On time in full"
        RFT = "rft", "Right first time"
        DEVIATION_RATE = "deviation_rate", "Deviation rate"
        BRR_TIME = "brr_time", "Batch record review time"
        OTHER = "other", "Other"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="kpis")
    kind = models.CharField(max_length=20, choices=Kind)
    name = models.CharField(max_length=120, blank=True, help_text="Only for “Other”.")
    target = models.DecimalField(max_digits=10, decimal_places=2)
    unit = models.CharField(max_length=30, help_text="e.g. %, days, per 100 batches")
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "pk"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"

    def __str__(self) -> str:
        return f"{self.label}: {self.target} {self.unit}"

    def clean(self) -> dict:
        if self.kind == self.Kind.OTHER and not self.name.strip():
            raise ValidationError({"name": "Name a KPI of kind “Other”."})

    @property
    def label(self) -> str:
        return self.name if self.kind == self.Kind.OTHER else self.get_kind_display()

    @property
    def lower_is_better(self) -> bool | None:
        """Whether the target is a ceiling (deviations, review days) or a floor; None for "Other"."""
        if self.kind == self.Kind.OTHER:
            return None
        return self.kind in (self.Kind.DEVIATION_RATE, self.Kind.BRR_TIME)

    def is_met_by(self, actual: Decimal) -> bool | None:
        """Whether an actual value meets the target; None when the KPI's direction is unknown."""
        lower = self.lower_is_better
        if lower is None:
            return None
        return actual <= self.target if lower else actual >= self.target


class KpiMeasurement(models.Model):
    """The performance actually measured against a KPI over one period."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField("period start")
    period_end = models.DateField("period end")
    actual = models.DecimalField("actual value", max_digits=10, decimal_places=2)
    note = models.TextField(blank=True, help_text="How it was measured, or why it was missed.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi", "-period_start", "-pk"]
        verbose_name = "KPI result"
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="kpi_period_in_order"
            ),
            models.UniqueConstraint(
                fields=["kpi", "period_start"],
                name="kpi_period_once",
                violation_error_message="A result for this KPI and period is already recorded.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.label} {self.period_start}–{self.period_end}: {self.actual}"

    def clean(self) -> dict:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period ends before it starts."})

    @property
    def met(self) -> bool | None:
        return self.kpi.is_met_by(self.actual)
