"""Files kept with a contract: signed copies, amendments and annexes."""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from contracts.models.amendments import Amendment
from contracts.models.contracts import Contract


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
    amendment = models.ForeignKey(
        Amendment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        help_text="The amendment this document is the signed copy of.",
    )
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
