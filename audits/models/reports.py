"""E-signatures on audit decisions and the rendered audit reports."""

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse

from audits.models.audits import Audit
from audits.models.findings import Finding
from cmoselect.pdf import RenderedReport


class Signature(models.Model):
    """An electronic signature on an audit decision, bound to the content it was applied to."""

    class Meaning(models.TextChoices):
        REVIEWED = "reviewed", "Reviewed by"
        APPROVED = "approved", "Approved by"

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        CONDITIONAL = "conditional", "Approve with conditions"
        REJECT = "reject", "Reject"

    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="signatures")
    revision = models.PositiveSmallIntegerField()
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=10, choices=Meaning)
    decision = models.CharField(max_length=12, choices=Decision)
    comment = models.TextField(blank=True)
    conditions = models.TextField(blank=True)
    # The open findings a conditional approval depends on.
    findings = models.ManyToManyField(Finding, blank=True, related_name="conditional_signatures")
    signed_at = models.DateTimeField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return (
            f"{self.get_meaning_display()} {self.printed_name}, {self.signed_at:%Y-%m-%d %H:%M} UTC"
        )


def report_path(instance, filename: str) -> str:
    # Named by migration 0001; reports are now filed by RenderedReport.storage_folder().
    return f"audits/{instance.audit_id}/reports/{filename}"


class AuditReport(RenderedReport):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="reports")
    revision = models.PositiveSmallIntegerField()

    def __str__(self) -> str:
        return f"Report {self.audit.reference} rev {self.revision} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("audits:report_download", args=[self.pk])

    @property
    def filename(self) -> str:
        return f"{self.audit.reference}-rev{self.revision}.pdf"

    def storage_folder(self) -> str:
        return f"audits/{self.audit_id}/reports"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
