"""Amendments: the only way the terms of a signed contract change, each approved before it applies."""

from typing import Self

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract


class AmendmentQuerySet(models.QuerySet):
    def applied(self) -> Self:
        return self.filter(status=Amendment.Status.IN_EFFECT)


class Amendment(models.Model):
    """A proposed change to a signed contract's terms: what changes, why and from when.

    `changes` holds the proposed values (contract fields by name, term tables as their full list
    of rows) and `base` the values they replace as they stood when it was raised; applying it
    snapshots the whole terms before and after, which is what "terms as of version N" reads.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved, not yet effective"
        IN_EFFECT = "in_effect", "In effect"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    reason = models.TextField("why", help_text="Why the terms change, as the amendment says.")
    effective_date = models.DateField(help_text="The day the new terms apply from.")
    changes = models.JSONField(encoder=DjangoJSONEncoder)
    base = models.JSONField(encoder=DjangoJSONEncoder)
    terms_before = models.JSONField(encoder=DjangoJSONEncoder, null=True, blank=True)
    terms_after = models.JSONField(encoder=DjangoJSONEncoder, null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = AmendmentQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="amendment_number_once"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("raised_by")),
                name="amendment_not_decided_by_author",
                violation_error_message="The author of an amendment cannot decide on it.",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment {self.number} to {self.contract.title}"

    def get_absolute_url(self) -> str:
        return reverse("contracts:amendment_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        """Still awaiting a decision: it can be approved, rejected or withdrawn."""
        return self.status == self.Status.PENDING
