from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Min, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from vendors.models import Capability, Cmo, Site

currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")

# What a quality agreement is expected to cover, in the order a QA reviewer reads it.
QUALITY_ACTIVITIES = (
    "Quality unit oversight and audits",
    "Facilities and equipment",
    "Materials management and supplier qualification",
    "Change control",
    "Deviations and investigations",
    "Out-of-specification results",
    "Batch record review and release",
    "Stability",
    "Complaints and recalls",
    "Subcontracting",
    "Records retention and data integrity",
    "Regulatory inspections and communications",
    "Product-specific specifications",
)

# Standard service levels offered when a contract's KPIs are first set: (kind, target, unit).
STANDARD_KPIS = (
    ("otif", 95, "%"),
    ("rft", 98, "%"),
    ("deviation_rate", 5, "per 100 batches"),
    ("brr_time", 10, "working days"),
)


def today() -> date:
    return timezone.localdate()


def not_in_future(value: date) -> None:
    # A date in the future would show the milestone as reached before it is.
    if value > today():
        raise ValidationError("This date is in the future.")


class ContractQuerySet(models.QuerySet):
    def search(self, text: str):
        text = text.strip()
        if not text:
            return self
        condition = (
            Q(title__icontains=text)
            | Q(reference__icontains=text)
            | Q(cmo__legal_name__icontains=text)
            | Q(scope_items__product__icontains=text)
            | Q(scope_items__capability__name__icontains=text)
        )
        return self.filter(pk__in=Contract.objects.filter(condition).values("pk"))

    def expiring_within(self, days: int, *, on: date | None = None):
        """Active contracts whose expiry date falls in the next `days` days."""
        on = on or today()
        return self.filter(
            status=Contract.Status.ACTIVE,
            expiry_date__gte=on,
            expiry_date__lte=on + timedelta(days=days),
        )

    def with_milestone_summary(self, *, on: date | None = None):
        on = on or today()
        open_ = Q(milestones__actual_date__isnull=True)
        return self.annotate(
            late_milestones=Count("milestones", filter=open_ & Q(milestones__planned_date__lt=on)),
            next_milestone=Min("milestones__planned_date", filter=open_),
        )


class Contract(models.Model):
    class Type(models.TextChoices):
        CDA = "cda", "Confidentiality agreement"
        MSA = "msa", "Master services agreement"
        QUALITY = "quality", "Quality agreement"
        SUPPLY = "supply", "Supply agreement"
        SOW = "sow", "Statement of work"
        TECH_TRANSFER = "tech_transfer", "Technology transfer agreement"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NEGOTIATION = "negotiation", "In negotiation"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"

    class NoticeUnit(models.TextChoices):
        DAYS = "days", "days"
        MONTHS = "months", "months"

    class IpOwner(models.TextChoices):
        SPONSOR = "sponsor", "Sponsor"
        CMO = "cmo", "CMO"
        JOINT = "joint", "Joint"
        SPLIT = "split", "Split by field (see notes)"

    cmo = models.ForeignKey(
        Cmo, on_delete=models.PROTECT, related_name="contracts", verbose_name="CMO"
    )
    sites = models.ManyToManyField(
        Site,
        blank=True,
        related_name="contracts",
        help_text="The CMO's sites this contract covers.",
    )
    contract_type = models.CharField("type", max_length=20, choices=Type, db_index=True)
    title = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=60, blank=True, help_text="Your contract number, e.g. MSA-2026-014."
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="parent contract",
        help_text="The master services agreement this contract sits under.",
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT, db_index=True)
    signed_on = models.DateField(
        "signed on", null=True, blank=True, help_text="Date of the last signature."
    )
    effective_date = models.DateField(null=True, blank=True)
    expiry_date = models.DateField(
        null=True, blank=True, db_index=True, help_text="Leave empty for an open-ended contract."
    )
    terminated_on = models.DateField(null=True, blank=True)
    auto_renewal = models.BooleanField("renews automatically", default=False)
    renewal_term_months = models.PositiveSmallIntegerField(
        "renewal term (months)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="How long each automatic renewal lasts.",
    )
    notice_period = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Notice needed before expiry to terminate or not renew.",
    )
    notice_period_unit = models.CharField(
        max_length=10, choices=NoticeUnit, default=NoticeUnit.MONTHS
    )
    total_value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, "The value cannot be negative.")],
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_validator])
    payment_terms = models.CharField(max_length=120, blank=True, help_text="e.g. Net 60 days")
    governing_law = models.CharField(max_length=120, blank=True, help_text="e.g. England and Wales")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contracts",
        verbose_name="internal owner",
    )
    scope_summary = models.TextField("scope of work", blank=True)
    background_ip = models.TextField("background IP", blank=True)
    foreground_ip_owner = models.CharField(
        "foreground IP owner", max_length=20, choices=IpOwner, blank=True
    )
    foreground_ip_notes = models.TextField("foreground IP terms", blank=True)
    licences = models.TextField("licences granted", blank=True)
    confidentiality_years = models.PositiveSmallIntegerField(
        "confidentiality term (years)", null=True, blank=True
    )
    know_how = models.TextField("know-how and improvements", blank=True)
    liability_cap = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, "A liability cap cannot be negative.")],
        help_text="In the contract currency.",
    )
    liability_notes = models.TextField("liability terms", blank=True)
    insurance = models.TextField(
        "insurance", blank=True, help_text="Cover required of the CMO, e.g. product liability."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[sites])

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["cmo__legal_name", "contract_type", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(expiry_date__gte=F("effective_date")),
                name="contract_expiry_after_effective",
                violation_error_message="The expiry date cannot be before the effective date.",
            ),
            models.UniqueConstraint(
                fields=["reference"],
                condition=~Q(reference=""),
                name="contract_reference_unique",
                violation_error_message="Another contract already has this reference.",
            ),
            models.CheckConstraint(
                condition=Q(liability_cap__isnull=True) | Q(liability_cap__gte=0),
                name="contract_liability_cap_not_negative",
                violation_error_message="A liability cap cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(total_value__isnull=True) | Q(total_value__gte=0),
                name="contract_total_value_not_negative",
                violation_error_message="The value cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_contract_type_display()})"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.effective_date and self.expiry_date and self.expiry_date < self.effective_date:
            errors["expiry_date"] = "The expiry date cannot be before the effective date."
        if self.parent_id:
            parent = self.parent
            if self.pk and parent.pk == self.pk:
                errors["parent"] = "A contract cannot be its own parent."
            elif parent.contract_type != self.Type.MSA:
                errors["parent"] = "The parent contract must be a master services agreement."
            elif parent.cmo_id != self.cmo_id:
                errors["parent"] = "The parent agreement belongs to another CMO."
            elif self.contract_type in (self.Type.MSA, self.Type.CDA):
                errors["parent"] = (
                    f"A {self.get_contract_type_display().lower()} does not sit under another contract."
                )
        elif self.contract_type == self.Type.SOW:
            errors["parent"] = "A statement of work must sit under a master services agreement."
        if self.auto_renewal and not self.renewal_term_months:
            errors["renewal_term_months"] = "Say how long each automatic renewal lasts."
        if errors:
            raise ValidationError(errors)

    @property
    def owner_name(self) -> str:
        if self.owner is None:
            return ""
        return self.owner.get_full_name() or self.owner.username

    @property
    def is_quality_agreement(self) -> bool:
        return self.contract_type == self.Type.QUALITY

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None

    def notice_delta(self) -> relativedelta | None:
        if not self.notice_period:
            return None
        if self.notice_period_unit == self.NoticeUnit.DAYS:
            return relativedelta(days=self.notice_period)
        return relativedelta(months=self.notice_period)

    @property
    def notice_deadline(self) -> date | None:
        """The last day on which notice of termination or non-renewal can be given.

        Months are counted in calendar months, clipped at month ends: three months before
        31 May is 28 February (29 in a leap year).
        """
        if self.expiry_date is None:
            return None
        delta = self.notice_delta()
        return self.expiry_date - delta if delta else self.expiry_date

    @property
    def notice_opens_on(self) -> date | None:
        """The day the owner is warned: a lead time before the notice deadline."""
        deadline = self.notice_deadline
        if deadline is None:
            return None
        return deadline - timedelta(days=settings.CONTRACT_NOTICE_LEAD_DAYS)

    def notice_window_open(self, on: date | None = None) -> bool:
        on = on or today()
        opens = self.notice_opens_on
        return (
            self.status == self.Status.ACTIVE
            and opens is not None
            and opens <= on <= self.expiry_date
        )

    def notice_missed(self, on: date | None = None) -> bool:
        """The notice deadline has passed while the contract still runs (it renews or ends)."""
        on = on or today()
        return self.notice_window_open(on) and self.notice_deadline < on

    def days_to_expiry(self, on: date | None = None) -> int | None:
        if self.expiry_date is None:
            return None
        return (self.expiry_date - (on or today())).days

    def allowed_statuses(self) -> list[str]:
        return [s for s in self.Status.values if s in TRANSITIONS[self.status]]

    def renewed_expiry(self, on: date) -> date:
        """The expiry date after as many automatic renewals as it takes to pass `on`."""
        expiry = self.expiry_date
        while expiry < on:
            expiry += relativedelta(months=self.renewal_term_months)
        return expiry


C = Contract.Status
# The contract lifecycle: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    C.DRAFT: frozenset({C.NEGOTIATION}),
    C.NEGOTIATION: frozenset({C.DRAFT, C.ACTIVE, C.TERMINATED}),
    C.ACTIVE: frozenset({C.EXPIRED, C.TERMINATED}),
    C.EXPIRED: frozenset(),
    C.TERMINATED: frozenset(),
}
TERMINAL_STATUSES = frozenset(s for s, moves in TRANSITIONS.items() if not moves)


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
    def late(self, *, on: date | None = None):
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

    def clean(self):
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

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period ends before it starts."})

    @property
    def met(self) -> bool | None:
        return self.kpi.is_met_by(self.actual)


def document_upload_to(instance, filename: str) -> str:
    return f"contracts/{instance.contract_id}/{Path(filename).name}"


class ContractDocument(models.Model):
    """A signed copy, amendment or annex; files are kept, never replaced."""

    class Kind(models.TextChoices):
        SIGNED = "signed", "Signed contract"
        AMENDMENT = "amendment", "Amendment"
        ANNEX = "annex", "Annex"
        OTHER = "other", "Other"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.SIGNED)
    title = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title or self.filename

    def get_absolute_url(self) -> str:
        return reverse("contracts:document_download", args=[self.pk])

    @property
    def filename(self) -> str:
        return Path(self.file.name).name

    @property
    def size_display(self) -> str:
        return filesizeformat(self.size)
