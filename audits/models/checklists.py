"""Checklist templates: a template, its numbered versions, their sections and questions."""

from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse


class ChecklistTemplate(models.Model):
    """A named checklist (e.g. "GMP site audit"); its content lives in numbered versions."""

    name = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audits:template_detail", args=[self.pk])


class TemplateVersionQuerySet(models.QuerySet):
    def published(self) -> Self:
        return self.filter(status=TemplateVersion.Status.PUBLISHED)


class TemplateVersion(models.Model):
    """One version of a checklist. Published versions are frozen: audits keep the one they used."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        # Replaced by a later published version: audits planned with it keep it, new ones can't.
        SUPERSEDED = "superseded", "Superseded"

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    notes = models.TextField("what changed", blank=True)
    created_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = TemplateVersionQuerySet.as_manager()

    class Meta:
        ordering = ["template__name", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_number"),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="draft"),
                name="template_one_draft",
                violation_error_message="This template already has a draft version.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("audits:version_detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class ChecklistSection(models.Model):
    version = models.ForeignKey(TemplateVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = "section"

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", "Yes / no / not applicable"
    RATING = "rating", "Rating 0–4"
    NUMBER = "number", "Number"
    TEXT = "text", "Text"
    DATE = "date", "Date"


# Answer types that earn points; the others record facts and are not scored.
SCORED_TYPES = frozenset({AnswerType.YES_NO, AnswerType.RATING})
RATING_LABELS = {
    "0": "0 – absent",
    "1": "1 – major gaps",
    "2": "2 – partly in place",
    "3": "3 – in place, minor gaps",
    "4": "4 – fully in place",
}


class ChecklistQuestion(models.Model):
    section = models.ForeignKey(
        ChecklistSection, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    guidance = models.TextField("guidance for the auditor", blank=True)
    reference = models.CharField(
        max_length=200, blank=True, help_text="e.g. ICH Q7 4.40, 21 CFR 211.22, EU GMP Chapter 1"
    )
    answer_type = models.CharField(max_length=10, choices=AnswerType, default=AnswerType.YES_NO)
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(10)],
        help_text="0–10. Weight 0 records the answer without scoring it.",
    )
    critical = models.BooleanField(
        default=False, help_text="A failed critical question is flagged whatever the score."
    )
    evidence_expected = models.TextField(blank=True)

    # What a question says and how it scores: edited in the form and the API, and carried by a
    # checklist file, the same list everywhere.
    CONTENT_FIELDS = (
        "text",
        "guidance",
        "reference",
        "answer_type",
        "weight",
        "critical",
        "evidence_expected",
    )

    class Meta:
        ordering = ["section__position", "position"]
        verbose_name = "question"

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_scored(self) -> bool:
        return self.answer_type in SCORED_TYPES and self.weight > 0
