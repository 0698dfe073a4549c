"""The registry: every FDA-registered establishment by FEI, apart from the sponsor's directory.

A DECRS import fills it; the Data Dashboard imports attach their events to its entries. A
directory site is linked to its entry by FEI (`Site.fei_number`), so a site shows the whole
history of its establishment however the events arrived. This module imports nothing from the
directory: the registry is the bottom layer.
"""

from urllib.parse import urlencode

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from vendors.names import normalize_name


class EstablishmentQuerySet(models.QuerySet):
    def search(self, text: str) -> "EstablishmentQuerySet":
        """By firm or registrant name, FEI (its first digits) or DUNS."""
        text = text.strip()
        if not text:
            return self
        condition = Q(firm_name__icontains=text) | Q(registrant_name__icontains=text)
        if text.isdigit():
            condition |= Q(fei__startswith=text.lstrip("0") or text) | Q(duns=text)
            condition |= Q(registrant_duns=text)
        return self.filter(condition)

    def with_operation(self, operation: str) -> "EstablishmentQuerySet":
        """Establishments that registered this operation (e.g. 'STERILIZE')."""
        # Stored "; "-joined between separators, so 'PACK' does not match 'REPACK'.
        return self.filter(operations_key__contains=f";{operation.upper()};")

    def of_firm(self, *, duns: str = "", name: str = "") -> "EstablishmentQuerySet":
        """The establishments of one registrant (a firm): by registrant DUNS, or by the
        registrant's name as normalised ("ACME PHARMA, INC." is "Acme Pharma Inc")."""
        condition = Q(registrant_duns=duns) if duns else Q(pk__in=[])
        key = normalize_name(name)
        if key:
            # Narrowed in SQL by the first word, then compared as normalised.
            named = self.filter(registrant_name__istartswith=key.split()[0]).values_list(
                "pk", "registrant_name"
            )
            condition |= Q(pk__in=[pk for pk, n in named if normalize_name(n) == key])
        return self.filter(condition)

    def with_directory(self) -> "EstablishmentQuerySet":
        """Annotate `in_directory`: whether a directory site has this FEI."""
        from vendors.models.directory import Site

        return self.annotate(in_directory=Exists(Site.objects.filter(fei_number=OuterRef("fei"))))


class Establishment(models.Model):
    """One FDA establishment (FEI) as the registrations and the Data Dashboard describe it."""

    fei = models.CharField("FEI number", max_length=10, unique=True)
    duns = models.CharField("DUNS number", max_length=9, blank=True, db_index=True)
    firm_name = models.CharField(max_length=200, db_index=True)
    registrant_name = models.CharField(max_length=200, blank=True)
    registrant_duns = models.CharField("registrant DUNS", max_length=9, blank=True, db_index=True)
    address_line1 = models.CharField("address line 1", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(blank=True, db_index=True)
    operations = models.CharField(
        "registered operations", max_length=400, blank=True, help_text="e.g. 'ANALYSIS; PACK'."
    )
    # ";ANALYSIS;PACK;": what the operation filter matches, so 'PACK' never finds 'REPACK'.
    operations_key = models.CharField(max_length=420, blank=True, editable=False)
    registration_expires = models.DateField(null=True, blank=True, db_index=True)
    registered = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Listed in the latest DECRS import; an entry missing from it stays, unlisted.",
    )
    last_seen_run = models.ForeignKey(
        "vendors.ImportRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The last DECRS import that listed it.",
    )
    # Derived from the events (vendors.compliance), refreshed after imports, event changes and
    # nightly, so the search filters on them with an index instead of computing 10,000 signals.
    signal = models.PositiveSmallIntegerField("compliance signal", null=True, blank=True)
    recent_oai_or_warning = models.BooleanField(
        "OAI inspection or warning letter within 5 years", default=False, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(
        excluded_fields=["last_seen_run", "signal", "recent_oai_or_warning", "operations_key"]
    )

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["firm_name", "fei"]
        indexes = [models.Index(fields=["signal"], name="establishment_signal")]

    def __str__(self) -> str:
        return f"{self.firm_name} (FEI {self.fei})"

    def get_absolute_url(self) -> str:
        return reverse("vendors:establishment_detail", args=[self.pk])

    @property
    def address(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, self.state, self.postal_code]
        return ", ".join(p for p in parts if p)

    @property
    def registration_expired(self) -> bool:
        """Listed by the latest DECRS import, but with an expiry date already past."""
        expires = self.registration_expires
        return self.registered and expires is not None and expires < timezone.localdate()

    @property
    def firm_query(self) -> str:
        """The firm page's query string for this establishment's registrant ('' if none)."""
        params = {"duns": self.registrant_duns, "name": self.registrant_name}
        return urlencode({k: v for k, v in params.items() if v})

    def firm(self) -> "EstablishmentQuerySet":
        """The establishments of this one's registrant, this one included."""
        if not (self.registrant_duns or self.registrant_name):
            return Establishment.objects.filter(pk=self.pk)
        return Establishment.objects.of_firm(duns=self.registrant_duns, name=self.registrant_name)

    @property
    def operation_list(self) -> list[str]:
        return [op for op in self.operations.split("; ") if op]

    def set_operations(self, operations: list[str]) -> None:
        ops = sorted(set(operations))
        self.operations = "; ".join(ops)
        self.operations_key = f";{';'.join(ops)};" if ops else ""
