"""The contract itself: its dates, commercial, IP and liability terms, and its lifecycle."""

from datetime import date, timedelta
from typing import Self

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, Min, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from contracts.models.notice import NoticeDeadline, notice_deadline_for
from vendors.models import Cmo, Site

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
    def search(self, text: str) -> Self:
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

    def expiring_within(self, days: int, *, on: date | None = None) -> Self:
        """Active contracts whose expiry date falls in the next `days` days."""
        on = on or today()
        return self.filter(
            status=Contract.Status.ACTIVE,
            expiry_date__gte=on,
            expiry_date__lte=on + timedelta(days=days),
        )

    def with_notice_deadline(self) -> Self:
        """Annotate `notice_due`, the notice deadline, computed by the database.

        It follows the same calendar rule as `Contract.notice_deadline`, so pages can filter,
        order and limit by it in SQL instead of loading every contract to compute it.
        """
        return self.annotate(notice_due=NoticeDeadline())

    def notice_window_open(self, *, on: date | None = None) -> Self:
        """Active contracts whose notice window is open on `on`, with `notice_due` annotated.

        The window opens the lead time before the notice deadline and closes at expiry, as
        `Contract.notice_window_open` says; a deadline before `on` is a missed one.
        """
        on = on or today()
        return self.with_notice_deadline().filter(
            status=Contract.Status.ACTIVE,
            expiry_date__gte=on,
            notice_due__lte=on + timedelta(days=settings.CONTRACT_NOTICE_LEAD_DAYS),
        )

    def with_milestone_summary(self, *, on: date | None = None) -> Self:
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
        indexes = [
            # The renewals dashboard and the daily alerts pick active contracts by notice
            # deadline and order them by it: a range of this index, no scan or sort.
            models.Index(F("status"), NoticeDeadline(), name="contract_status_notice_due"),
        ]
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

    # The terms a signature fixes: after it, they change only by an amendment. The CMO never
    # changes, and the internal owner is the sponsor's own business.
    TERM_FIELDS = (
        "contract_type",
        "title",
        "reference",
        "parent",
        "sites",
        "signed_on",
        "effective_date",
        "expiry_date",
        "auto_renewal",
        "renewal_term_months",
        "notice_period",
        "notice_period_unit",
        "total_value",
        "currency",
        "payment_terms",
        "governing_law",
        "scope_summary",
        "background_ip",
        "foreground_ip_owner",
        "foreground_ip_notes",
        "licences",
        "confidentiality_years",
        "know_how",
        "liability_cap",
        "liability_notes",
        "insurance",
    )

    def __str__(self) -> str:
        return f"{self.title} ({self.get_contract_type_display()})"

    def get_absolute_url(self) -> str:
        return reverse("contracts:contract_detail", args=[self.pk])

    def clean(self) -> None:
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
        if (
            self.reference
            and Contract.objects.filter(reference=self.reference).exclude(pk=self.pk).exists()
        ):
            # The constraint says the same, but without naming the field: say it beside it.
            errors["reference"] = "Another contract already has this reference."
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
    def terms_locked(self) -> bool:
        """Signed and in force or ended: its terms change only by an amendment, if at all."""
        return self.status in (self.Status.ACTIVE, self.Status.EXPIRED, self.Status.TERMINATED)

    @property
    def is_signed(self) -> bool:
        return self.signed_on is not None

    @property
    def notice_deadline(self) -> date | None:
        """The last day on which notice of termination or non-renewal can be given.

        Months are counted in calendar months, clipped at month ends: three months before
        31 May is 28 February (29 in a leap year).
        """
        return notice_deadline_for(self.expiry_date, self.notice_period, self.notice_period_unit)

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
