from django.db import models
from simple_history.models import HistoricalRecords

from cmoselect.history import save_with_history
from vendors.models.directory import Site


class Capability(models.Model):
    """One entry of the capability taxonomy: a column of the capability matrix."""

    class Category(models.TextChoices):
        SERVICES = "services", "Services"
        MODALITIES = "modalities", "Modalities"
        DOSAGE_FORMS = "dosage_forms", "Dosage forms"
        TECHNOLOGIES = "technologies", "Technologies"
        SCALE = "scale", "Scale"

    category = models.CharField(max_length=20, choices=Category)
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "position", "name"]
        verbose_name_plural = "capabilities"

    def __str__(self) -> str:
        return self.name


class CapabilityLevel(models.IntegerChoices):
    """How far a capability is established; higher is stronger, so `level__gte` filters."""

    CLAIMED = 1, "Claimed"
    DEMONSTRATED = 2, "Demonstrated"
    VERIFIED = 3, "Verified by audit"


class SiteCapability(models.Model):
    """A cell of the capability matrix: what one site can do, how sure we are, and how much."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Manual entry"
        FDA_REGISTRATION = "fda_registration", "FDA establishment registration"
        AUDIT = "audit", "Audit"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="capabilities")
    capability = models.ForeignKey(
        Capability, on_delete=models.PROTECT, related_name="site_capabilities"
    )
    level = models.PositiveSmallIntegerField(
        choices=CapabilityLevel, default=CapabilityLevel.CLAIMED
    )
    max_batch_size = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    batch_size_unit = models.CharField(max_length=20, blank=True, help_text="e.g. L, kg, units")
    annual_capacity = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    annual_capacity_unit = models.CharField(
        max_length=20, blank=True, help_text="e.g. vials/year, kg/year"
    )
    available_from = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source, default=Source.MANUAL)
    last_verified = models.DateField(null=True, blank=True)
    # The approved audit that verified this capability; only that approval sets the level V.
    verified_by_audit = models.ForeignKey(
        "audits.Audit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_capabilities",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site", "capability"]
        verbose_name_plural = "site capabilities"
        constraints = [
            models.UniqueConstraint(fields=["site", "capability"], name="site_capability_once"),
        ]

    def __str__(self) -> str:
        return f"{self.site.name}: {self.capability.name} ({self.get_level_display()})"

    # What a merge of two sites copies from the merged-away site's cell when it is stronger.
    EVIDENCE_FIELDS = (
        "level",
        "source",
        "notes",
        "last_verified",
        "verified_by_audit",
        "max_batch_size",
        "batch_size_unit",
        "annual_capacity",
        "annual_capacity_unit",
        "available_from",
    )

    @classmethod
    def merge_conflict(
        cls, *, kept_row: "SiteCapability", moved_row: "SiteCapability", user, reason: str
    ) -> str:
        """Both merged sites have this cell: the kept site's keeps the stronger evidence."""
        name = kept_row.capability.name
        if moved_row.level <= kept_row.level:
            return (
                f"{name}: kept {kept_row.site.name}'s {kept_row.get_level_display()}; "
                f"{moved_row.site.name}'s {moved_row.get_level_display()} stays with it."
            )
        weaker = kept_row.get_level_display()
        for field_name in cls.EVIDENCE_FIELDS:
            setattr(kept_row, field_name, getattr(moved_row, field_name))
        save_with_history(
            kept_row, user=user, reason=f"Stronger evidence from {moved_row.site.name}: {reason}"
        )
        return (
            f"{name}: took {moved_row.site.name}'s stronger {moved_row.get_level_display()} "
            f"over {weaker}."
        )
