from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from cmoselect.countries import country_choices

if TYPE_CHECKING:
    from vendors.models.registry import Establishment

duns_validator = RegexValidator(r"^\d{9}$", "A DUNS number has exactly 9 digits.")
fei_validator = RegexValidator(r"^\d{1,10}$", "An FEI number has up to 10 digits.")


def normalize_fei(raw) -> str:
    """FEI numbers as the FDA exports them ('0000000405', 3002807864.0) → '405'; '' if none."""
    if raw is None:
        return ""
    text = str(raw).strip()
    if text.endswith(".0"):
        text = text[:-2]
    text = text.lstrip("0")
    return text


def countries_matching(text: str) -> list[str]:
    """Codes of the countries whose name contains the text, or whose code it is."""
    needle = text.strip().casefold()
    if len(needle) < 2:
        return []
    return [
        code
        for code, name in country_choices()
        if needle in name.casefold() or needle == code.casefold()
    ]


class QualificationStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    UNDER_EVALUATION = "under_evaluation", "Under evaluation"
    APPROVED = "approved", "Approved"
    CONDITIONALLY_APPROVED = "conditionally_approved", "Conditionally approved"
    SUSPENDED = "suspended", "Suspended"
    DISQUALIFIED = "disqualified", "Disqualified"
    INACTIVE = "inactive", "Inactive"


S = QualificationStatus
# The qualification lifecycle: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROSPECT: frozenset({S.UNDER_EVALUATION, S.INACTIVE}),
    S.UNDER_EVALUATION: frozenset(
        {S.APPROVED, S.CONDITIONALLY_APPROVED, S.DISQUALIFIED, S.PROSPECT, S.INACTIVE}
    ),
    S.APPROVED: frozenset({S.CONDITIONALLY_APPROVED, S.SUSPENDED, S.DISQUALIFIED, S.INACTIVE}),
    S.CONDITIONALLY_APPROVED: frozenset({S.APPROVED, S.SUSPENDED, S.DISQUALIFIED, S.INACTIVE}),
    S.SUSPENDED: frozenset(
        {S.UNDER_EVALUATION, S.APPROVED, S.CONDITIONALLY_APPROVED, S.DISQUALIFIED, S.INACTIVE}
    ),
    S.DISQUALIFIED: frozenset({S.UNDER_EVALUATION, S.INACTIVE}),
    S.INACTIVE: frozenset({S.PROSPECT, S.UNDER_EVALUATION}),
}
# Moves that end the work with a CMO or site: the status form asks to confirm them.
CONFIRMED_STATUSES = frozenset({S.DISQUALIFIED, S.INACTIVE})
# Moving into one of these is a quality decision (the "qualify" permission).
QUALIFYING_STATUSES = frozenset({S.APPROVED, S.CONDITIONALLY_APPROVED, S.SUSPENDED, S.DISQUALIFIED})


class CmoQuerySet(models.QuerySet):
    def current(self) -> "CmoQuerySet":
        """CMOs not merged into another: what lists and pickers offer."""
        return self.filter(merged_into__isnull=True)

    def with_site_counts(self) -> Self:
        # A correlated subquery, not a JOIN + GROUP BY: filters on sites stay cheap semi-joins.
        sites = (
            Site.objects.filter(cmo=OuterRef("pk"))
            .order_by()
            .values("cmo")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(site_count=Coalesce(Subquery(sites), 0))

    def with_site_type(self, codes) -> Self:
        return self.filter(pk__in=Site.objects.filter(site_types__code__in=codes).values("cmo_id"))

    def search(self, text: str) -> Self:
        text = text.strip()
        if not text:
            return self
        fei = normalize_fei(text) if text.isdigit() else None
        condition = (
            Q(legal_name__icontains=text)
            | Q(aliases__icontains=text)
            | Q(sites__name__icontains=text)
        )
        if fei:
            condition |= Q(sites__fei_number=fei)
        return self.filter(pk__in=Cmo.objects.filter(condition).values("pk"))

    def approved(self) -> Self:
        return self.filter(qualification_status__in=[S.APPROVED, S.CONDITIONALLY_APPROVED])

    def find(self, text: str) -> Self:
        """CMOs for a picker: by name or alias, a site's name, FEI or city, or the country."""
        text = text.strip()
        if not text:
            return self.none()
        sites = Q(name__icontains=text) | Q(city__icontains=text)
        if text.isdigit():
            sites |= Q(fei_number__startswith=normalize_fei(text) or text)
        condition = (
            Q(legal_name__icontains=text)
            | Q(aliases__icontains=text)
            | Q(pk__in=Site.objects.filter(sites).values("cmo_id"))
        )
        codes = countries_matching(text)
        if codes:
            condition |= Q(headquarters_country__in=codes)
        return self.filter(condition)


class Cmo(models.Model):
    class Ownership(models.TextChoices):
        PUBLIC = "public", "Publicly listed"
        PRIVATE = "private", "Privately held"
        PRIVATE_EQUITY = "private_equity", "Private-equity backed"
        SUBSIDIARY = "subsidiary", "Subsidiary of a group"
        STATE = "state", "State-owned"
        OTHER = "other", "Other"

    class EmployeeRange(models.TextChoices):
        R1 = "1-49", "1–49"
        R2 = "50-249", "50–249"
        R3 = "250-999", "250–999"
        R4 = "1000-4999", "1,000–4,999"
        R5 = "5000+", "5,000 or more"

    legal_name = models.CharField(max_length=200, unique=True)
    aliases = models.TextField(
        "other names", blank=True, help_text="Trade names and former names, one per line."
    )
    headquarters_country = CountryField(db_index=True)
    website = models.URLField(blank=True)
    ownership_type = models.CharField(max_length=20, choices=Ownership, blank=True)
    parent_company = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    employee_range = models.CharField(max_length=10, choices=EmployeeRange, blank=True)
    duns_number = models.CharField(
        "DUNS number", max_length=9, blank=True, validators=[duns_validator]
    )
    qualification_status = models.CharField(
        max_length=30,
        choices=QualificationStatus,
        default=QualificationStatus.PROSPECT,
        db_index=True,
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        editable=False,
        help_text="The CMO this duplicate was merged into; it is kept so old links resolve.",
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = CmoQuerySet.as_manager()

    class Meta:
        verbose_name = "CMO"
        verbose_name_plural = "CMOs"
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name

    def get_absolute_url(self) -> str:
        return reverse("vendors:cmo_detail", args=[self.pk])

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    @property
    def picker_label(self) -> str:
        return self.legal_name

    @property
    def picker_detail(self) -> str:
        """What tells this CMO apart in a picker (needs `with_site_counts()`)."""
        parts = [self.headquarters_country.name]
        count = getattr(self, "site_count", None)
        if count is not None:
            parts.append(f"{count} site{'' if count == 1 else 's'}")
        return " · ".join(p for p in parts if p)

    def allowed_statuses(self) -> list[str]:
        return sorted(TRANSITIONS[self.qualification_status])


class SiteType(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SiteQuerySet(models.QuerySet):
    def current(self) -> "SiteQuerySet":
        """Sites not merged into another: what lists and pickers offer."""
        return self.filter(merged_into__isnull=True)

    def fei_in_use(self, fei: str, *, exclude_pk: int | None = None) -> bool:
        fei = normalize_fei(fei)
        return bool(fei) and self.filter(fei_number=fei).exclude(pk=exclude_pk).exists()

    def find(self, text: str) -> "SiteQuerySet":
        """Sites for a picker: by name, CMO, city, FEI (its first digits) or country."""
        text = text.strip()
        if not text:
            return self.none()
        condition = (
            Q(name__icontains=text) | Q(city__icontains=text) | Q(cmo__legal_name__icontains=text)
        )
        if text.isdigit():
            condition |= Q(fei_number__startswith=normalize_fei(text) or text)
        codes = countries_matching(text)
        if codes:
            condition |= Q(country__in=codes)
        return self.filter(condition)

    def touched_by_import(self, run) -> "SiteQuerySet":
        """Sites whose regulatory events or Form 483 citations the import wrote."""
        return self.filter(
            models.Q(regulatory_events__import_run=run)
            | models.Q(regulatory_events__citations__import_run=run)
        ).distinct()


class Site(models.Model):
    cmo = models.ForeignKey(Cmo, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(db_index=True)
    fei_number = models.CharField(
        "FEI number",
        max_length=10,
        blank=True,
        validators=[fei_validator],
        help_text="FDA Establishment Identifier. Leading zeros are dropped.",
    )
    duns_number = models.CharField(
        "DUNS number", max_length=9, blank=True, validators=[duns_validator]
    )
    site_types = models.ManyToManyField(SiteType, blank=True, related_name="sites")
    headcount = models.PositiveIntegerField(null=True, blank=True)
    qualification_status = models.CharField(
        max_length=30,
        choices=QualificationStatus,
        default=QualificationStatus.PROSPECT,
        db_index=True,
    )
    notes = models.TextField(blank=True)
    fda_operations = models.CharField(
        "FDA registered operations",
        max_length=400,
        blank=True,
        help_text="As listed in the FDA establishment registration, e.g. 'ANALYSIS; PACK'.",
    )
    fda_registration_expires = models.DateField("FDA registration expires", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        editable=False,
        help_text="The site this duplicate was merged into; it is kept so old links resolve.",
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[site_types])

    objects = SiteQuerySet.as_manager()

    class Meta:
        ordering = ["cmo__legal_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["fei_number"],
                condition=~Q(fei_number=""),
                name="site_fei_unique",
                violation_error_message="Another site already has this FEI number.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cmo.legal_name})"

    def save(self, *args, **kwargs) -> None:
        # Stored normalised, so '0003002807' and '3002807' are the same site.
        self.fei_number = normalize_fei(self.fei_number)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("vendors:site_detail", args=[self.pk])

    def allowed_statuses(self) -> list[str]:
        return sorted(TRANSITIONS[self.qualification_status])

    @property
    def picker_label(self) -> str:
        return self.name

    @property
    def picker_detail(self) -> str:
        """What tells same-named sites apart in a picker: CMO, FEI, city and country."""
        parts = [
            self.cmo.legal_name,
            f"FEI {self.fei_number}" if self.fei_number else "",
            ", ".join(p for p in (self.city, self.country.name) if p),
        ]
        return " · ".join(p for p in parts if p)

    @property
    def address(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, self.state, self.postal_code]
        return ", ".join(p for p in parts if p)

    @cached_property
    def establishment(self) -> "Establishment | None":
        """The registry entry of this site's FEI, or None."""
        from vendors.models.registry import Establishment

        if not self.fei_number:
            return None
        return Establishment.objects.filter(fei=self.fei_number).first()


class Contact(models.Model):
    cmo = models.ForeignKey(Cmo, on_delete=models.CASCADE, related_name="contacts")
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=150, blank=True, help_text="e.g. Head of Quality")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField("primary contact", default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    """One move along the qualification lifecycle: who, when, from what, to what, and why."""

    cmo = models.ForeignKey(Cmo, on_delete=models.CASCADE, related_name="status_changes")
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="status_changes"
    )
    from_status = models.CharField(max_length=30, choices=QualificationStatus)
    to_status = models.CharField(max_length=30, choices=QualificationStatus)
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    # The e-signature a move was made under, if any: an audit decision or an evaluation's
    # sign-off. Referenced by name, as the vendors app may not import the apps built on it.
    audit_signature = models.ForeignKey(
        "audits.Signature",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        editable=False,
    )
    decision = models.ForeignKey(
        "scoring.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_changes",
        editable=False,
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        subject = self.site or self.cmo
        return f"{subject}: {self.from_status} → {self.to_status}"

    @property
    def subject(self) -> "Cmo | Site":
        return self.site or self.cmo


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)

    def mark_read(self) -> int:
        """Mark the unread ones read now; the ones read before keep when they were read."""
        return self.unread().update(read_at=timezone.now())


class Notification(models.Model):
    """An in-app notice for one user. It lives in the base app so every app can post one."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    key = models.CharField(
        max_length=200,
        blank=True,
        help_text="Identifies the event, so the same notice is never sent twice.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="notification_once"
            ),
        ]

    def __str__(self) -> str:
        return self.subject
