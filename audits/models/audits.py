"""An audit of a site, its answers to the checklist, and the evidence uploaded to it."""

from pathlib import Path
from typing import NamedTuple, Self

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from audits.models.checklists import RATING_LABELS, AnswerType, ChecklistQuestion, TemplateVersion
from vendors.models import Site


class SectionProgress(NamedTuple):
    """How far one checklist section of an audit is answered."""

    id: int
    position: int
    title: str
    total: int
    answered: int

    @property
    def done(self) -> bool:
        return self.total == self.answered


class ChecklistProgress(NamedTuple):
    """How far an audit's checklist is answered, overall and per section (in order)."""

    sections: list[SectionProgress]
    total: int
    answered: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0


class AuditQuerySet(models.QuerySet):
    def for_list(self) -> Self:
        return self.select_related("site__cmo", "template_version__template", "lead_auditor")

    def open(self) -> Self:
        return self.filter(status__in=Audit.OPEN_STATUSES)


class Audit(models.Model):
    class Type(models.TextChoices):
        QUALIFICATION = "qualification", "Qualification"
        REQUALIFICATION = "requalification", "Requalification"
        FOR_CAUSE = "for_cause", "For cause"
        REMOTE = "remote", "Remote"
        DESKTOP = "desktop", "Desktop questionnaire"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        CONDITIONALLY_APPROVED = "conditionally_approved", "Conditionally approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS, Status.IN_REVIEW)
    DECIDED_STATUSES = (Status.APPROVED, Status.CONDITIONALLY_APPROVED, Status.REJECTED)
    # Moves made with the status form; approval and rejection need a signature instead.
    TRANSITIONS = {
        Status.PLANNED: (Status.IN_PROGRESS, Status.CANCELLED),
        Status.IN_PROGRESS: (Status.IN_REVIEW, Status.CANCELLED),
        Status.IN_REVIEW: (Status.IN_PROGRESS, Status.CANCELLED),
        Status.APPROVED: (),
        Status.CONDITIONALLY_APPROVED: (),
        Status.REJECTED: (),
        Status.CANCELLED: (),
    }
    TERMINAL_STATUSES = frozenset(s for s, moves in TRANSITIONS.items() if not moves)

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="audits")
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="audits", verbose_name="checklist"
    )
    audit_type = models.CharField("type", max_length=20, choices=Type, default=Type.QUALIFICATION)
    status = models.CharField(max_length=30, choices=Status, default=Status.PLANNED, db_index=True)
    planned_start = models.DateField()
    planned_end = models.DateField()
    lead_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audits_led"
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="audits_joined",
        verbose_name="audit team",
    )
    scope = models.TextField(help_text="Areas, processes and systems covered.")
    capabilities = models.ManyToManyField(
        "vendors.Capability",
        blank=True,
        related_name="audits",
        verbose_name="capabilities audited",
        help_text="Approving the audit records these as verified by audit at the site.",
    )
    products = models.TextField(blank=True, help_text="Products or product families, one per line.")
    revision = models.PositiveSmallIntegerField(default=1)
    # Why the audit went to review with questions left unanswered; printed in the report.
    completeness_justification = models.TextField(blank=True)
    # Frozen at the decision, so the approved record keeps the figures it was signed with.
    score = models.FloatField(null=True, blank=True)
    recommended_outcome = models.CharField(max_length=20, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(m2m_fields=[team, capabilities])

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="audit_dates_in_order",
                violation_error_message="The audit cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.site.name}"

    def get_absolute_url(self) -> str:
        return reverse("audits:audit_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"AUD-{self.pk:05d}" if self.pk else "AUD-new"

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED_STATUSES

    def signs_own_work(self, user: User) -> bool:
        """True for whoever performed the audit, who may not sign its decision.

        That is the lead auditor and the team, and also anyone who answered a question or raised
        a finding: taking oneself off the team before signing does not make the work another's.
        """
        if user.pk == self.lead_auditor_id or self.team.filter(pk=user.pk).exists():
            return True
        return (
            self.answers.filter(answered_by=user).exists()
            or self.findings.filter(created_by=user).exists()
        )

    @property
    def checklist_editable(self) -> bool:
        """Answers change only while the audit is being performed."""
        return self.status == self.Status.IN_PROGRESS

    @property
    def findings_editable(self) -> bool:
        return self.status in (self.Status.IN_PROGRESS, self.Status.IN_REVIEW)

    def allowed_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS[self.status]

    def section_progress(self) -> ChecklistProgress:
        """Answered questions per section, counted in one query."""
        rows = (
            self.answers.order_by()
            .values_list(
                "question__section_id",
                "question__section__position",
                "question__section__title",
            )
            # An answer counts once it has a value (`Answer.is_answered`), "not applicable" too.
            .annotate(total=Count("pk"), answered=Count("pk", filter=~Q(value="")))
            .order_by("question__section__position")
        )
        sections = [SectionProgress(*row) for row in rows]
        return ChecklistProgress(
            sections=sections,
            total=sum(s.total for s in sections),
            answered=sum(s.answered for s in sections),
        )


class Answer(models.Model):
    """The answer to one question of one audit. `version` counts saves, for conflict detection."""

    NOT_APPLICABLE = "na"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ChecklistQuestion, on_delete=models.PROTECT, related_name="+")
    value = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["question__section__position", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "question"], name="answer_once_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.audit.reference}: {self.question}"

    @property
    def is_answered(self) -> bool:
        return self.value != ""

    @property
    def is_not_applicable(self) -> bool:
        return self.value == self.NOT_APPLICABLE

    @property
    def needs_justification(self) -> bool:
        """Unanswered, or marked not applicable without saying why (in the comment)."""
        return not self.is_answered or (self.is_not_applicable and not self.comment.strip())

    def display_value(self) -> str:
        if not self.is_answered:
            return "—"
        if self.is_not_applicable:
            return "Not applicable"
        kind = self.question.answer_type
        if kind == AnswerType.YES_NO:
            return {"yes": "Yes", "no": "No"}.get(self.value, self.value)
        if kind == AnswerType.RATING:
            return RATING_LABELS.get(self.value, self.value)
        return self.value


def evidence_path(instance, filename: str) -> str:
    return f"audits/{instance.audit_id}/evidence/{filename}"


class Evidence(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="evidence")
    answer = models.ForeignKey(
        Answer, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    capa = models.ForeignKey(
        "Capa", on_delete=models.CASCADE, null=True, blank=True, related_name="evidence"
    )
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=250, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("audits:evidence_download", args=[self.pk])

    @property
    def extension(self) -> str:
        return Path(self.original_name).suffix.lower()
