"""A site's regulatory record: inspections, 483s, enforcement, recalls, import alerts, GMP papers."""

import hashlib
import re
from collections.abc import Iterable
from typing import Self

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from vendors.models.directory import Site
from vendors.models.registry import Establishment


class Agency(models.TextChoices):
    FDA = "fda", "FDA"
    EMA = "ema", "EMA / EU national authority"
    MHRA = "mhra", "MHRA"
    PMDA = "pmda", "PMDA"
    HEALTH_CANADA = "health_canada", "Health Canada"
    TGA = "tga", "TGA"
    ANVISA = "anvisa", "ANVISA"
    NMPA = "nmpa", "NMPA"
    CDSCO = "cdsco", "CDSCO"
    OTHER = "other", "Other"


class EventKind(models.TextChoices):
    INSPECTION = "inspection", "Inspection"
    FORM_483 = "form_483", "Published Form 483"
    WARNING_LETTER = "warning_letter", "Warning letter"
    INJUNCTION = "injunction", "Injunction"
    SEIZURE = "seizure", "Seizure"
    RECALL = "recall", "Recall"
    IMPORT_ALERT = "import_alert", "Import alert"
    GMP_CERTIFICATE = "gmp_certificate", "GMP certificate"
    NON_COMPLIANCE = "non_compliance", "GMP non-compliance statement"


COMPLIANCE_ACTIONS = frozenset({EventKind.WARNING_LETTER, EventKind.INJUNCTION, EventKind.SEIZURE})


class Classification(models.TextChoices):
    NAI = "nai", "NAI (no action indicated)"
    VAI = "vai", "VAI (voluntary action indicated)"
    OAI = "oai", "OAI (official action indicated)"
    COMPLIANT = "compliant", "Compliant"
    NON_COMPLIANT = "non_compliant", "Non-compliant"
    CLASS_1 = "class_1", "Class I"
    CLASS_2 = "class_2", "Class II"
    CLASS_3 = "class_3", "Class III"


C = Classification
# Which classifications fit which kind of event (FDA inspections use NAI/VAI/OAI).
CLASSIFICATIONS_BY_KIND = {
    EventKind.INSPECTION: frozenset({C.NAI, C.VAI, C.OAI, C.COMPLIANT, C.NON_COMPLIANT}),
    EventKind.RECALL: frozenset({C.CLASS_1, C.CLASS_2, C.CLASS_3}),
}


class Source(models.TextChoices):
    MANUAL = "manual", "Manual entry"
    IMPORT = "import", "Import"


class RegulatoryEventQuerySet(models.QuerySet):
    def for_sites(self, site_ids: Iterable[int]) -> Self:
        """The events of these sites: their own, and their establishments' (linked by FEI)."""
        feis = Site.objects.filter(pk__in=site_ids).exclude(fei_number="").values("fei_number")
        return self.filter(Q(site_id__in=site_ids) | Q(establishment__fei__in=feis))

    def timeline(self) -> Self:
        return self.select_related("import_run").order_by("-event_date", "-pk")


class RegulatoryEvent(models.Model):
    """One dated entry in a site's or an establishment's history, with where it came from.

    An imported FDA event belongs to its registry establishment (by FEI) and, once the
    establishment is in the directory, to its site too; an event entered by hand belongs to its
    site (and to the site's establishment, when it has one).
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="regulatory_events"
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="regulatory_events",
    )
    kind = models.CharField(max_length=20, choices=EventKind, db_index=True)
    agency = models.CharField(max_length=20, choices=Agency, default=Agency.FDA)
    event_date = models.DateField(
        help_text="Inspection end date, action date, publication date or classification date."
    )
    reference = models.CharField(
        max_length=60,
        blank=True,
        help_text="Inspection ID, case ID, recall event ID, certificate number, or the document "
        "of a published 483 (its link, e.g. media/187496).",
    )
    project_area = models.CharField(max_length=120, blank=True)
    product_id = models.CharField("product ID", max_length=30, blank=True)
    classification = models.CharField(max_length=20, choices=Classification, blank=True)
    product_type = models.CharField(max_length=60, blank=True)
    citations_posted = models.BooleanField(null=True, blank=True)
    description = models.TextField(
        blank=True, help_text="Recalled product, import alert subject or certificate scope."
    )
    reason = models.TextField(blank=True)
    status = models.CharField(
        max_length=40, blank=True, help_text="e.g. recall Ongoing / Terminated, alert Removed."
    )
    url = models.URLField("link", max_length=500, blank=True)
    closed_on = models.DateField(
        null=True,
        blank=True,
        help_text="Close-out of a warning letter, removal from an import alert, expiry.",
    )
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source, default=Source.MANUAL)
    import_run = models.ForeignKey(
        "vendors.ImportRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_row = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = RegulatoryEventQuerySet.as_manager()

    class Meta:
        ordering = ["-event_date", "-pk"]
        indexes = [
            models.Index(fields=["site", "event_date"]),
            models.Index(fields=["establishment", "event_date"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "establishment",
                    "kind",
                    "agency",
                    "reference",
                    "project_area",
                    "product_id",
                ],
                condition=~Q(reference=""),
                name="establishment_event_natural_key",
                violation_error_message="This establishment already has this event.",
            ),
            models.CheckConstraint(
                condition=Q(site__isnull=False) | Q(establishment__isnull=False),
                name="regulatory_event_has_subject",
            ),
            models.UniqueConstraint(
                fields=["site", "kind", "agency", "reference", "project_area", "product_id"],
                condition=~Q(reference=""),
                name="regulatory_event_natural_key",
                violation_error_message="This site already has this event (same reference).",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.classification:
            label += f" ({self.get_classification_display()})"
        return f"{label} {self.event_date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:event_detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        allowed = CLASSIFICATIONS_BY_KIND.get(self.kind, frozenset())
        if self.classification and self.classification not in allowed:
            errors["classification"] = (
                f"Not a classification of a {self.get_kind_display().lower()}."
            )
        # An event that has not happened yet is a typing mistake; it would count at full
        # weight in the compliance signal for years.
        if self.event_date and self.event_date > timezone.localdate():
            errors["event_date"] = "The event date is in the future."
        elif self.closed_on and self.event_date and self.closed_on < self.event_date:
            errors["closed_on"] = "The closing date is before the event date."
        if errors:
            raise ValidationError(errors)

    @property
    def source_label(self) -> str:
        if self.source == Source.IMPORT and self.import_run_id:
            return f"{self.import_run.original_name}, row {self.source_row}"
        return self.get_source_display()


_FDA_MEDIA = re.compile(r"^(?:https?://)?(?:www\.)?fda\.gov/media/(\d+)(?:[/?#]|$)", re.IGNORECASE)


def document_key(url: str) -> str:
    """What identifies a published document (a 483) by its link, '' for no link.

    The FDA's Record ID of a published 483 changes from one export to the next; the link to the
    document does not, so the document's link (with the FEI) is what makes it the same 483.
    An FDA media link is keyed on its media number ("media/187496"); any other link on itself
    without its scheme, or a hash of it when it is too long for a reference.
    """
    link = url.strip()
    if not link:
        return ""
    match = _FDA_MEDIA.match(link)
    if match:
        return f"media/{match[1]}"
    bare = re.sub(r"^https?://", "", link, flags=re.IGNORECASE).split("#")[0].rstrip("/")
    host, slash, path = bare.partition("/")
    bare = host.lower() + slash + path
    return bare if len(bare) <= 60 else "sha1:" + hashlib.sha1(bare.encode()).hexdigest()


def citation_key(act_cfr_number: str, short_description: str, long_description: str) -> str:
    """A citation's natural key on its inspection: a hash of its number and descriptions.

    The FDA importer and manual entry both use it, so importing a citation someone already
    entered by hand (with the same number and texts) finds it instead of adding it twice.
    """
    body = "\x1f".join([act_cfr_number, short_description, long_description])
    return hashlib.sha1(body.encode()).hexdigest()


class Citation(models.Model):
    """One observation cited on the Form 483 of an inspection."""

    inspection = models.ForeignKey(
        RegulatoryEvent,
        on_delete=models.CASCADE,
        related_name="citations",
        limit_choices_to={"kind": EventKind.INSPECTION},
    )
    act_cfr_number = models.CharField("Act/CFR number", max_length=60, blank=True)
    short_description = models.CharField(max_length=300)
    long_description = models.TextField(blank=True)
    program_area = models.CharField(max_length=120, blank=True)
    key = models.CharField(max_length=40, editable=False)
    source = models.CharField(max_length=10, choices=Source, default=Source.MANUAL)
    import_run = models.ForeignKey(
        "vendors.ImportRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_row = models.PositiveIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["inspection", "act_cfr_number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "key"], name="citation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.act_cfr_number} {self.short_description}".strip()

    def get_absolute_url(self) -> str:
        return self.inspection.get_absolute_url() + "#citations"

    @property
    def content_key(self) -> str:
        """The natural key of the citation as it reads now."""
        return citation_key(self.act_cfr_number, self.short_description, self.long_description)

    @property
    def source_label(self) -> str:
        if self.source == Source.IMPORT and self.import_run_id:
            return f"{self.import_run.original_name}, row {self.source_row}"
        return self.get_source_display()
