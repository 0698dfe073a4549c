import hashlib
from datetime import date
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cmoselect.pdf import RenderedReport
from vendors.models import Site

# ── Checklist templates ──────────────────────────────────────────────────────────────────────


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
    def published(self):
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

    class Meta:
        ordering = ["section__position", "position"]
        verbose_name = "question"

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_scored(self) -> bool:
        return self.answer_type in SCORED_TYPES and self.weight > 0


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


# ── Audits ──────────────────────────────────────────────────────────────────────────────────


class AuditQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("site__cmo", "template_version__template", "lead_auditor")

    def open(self):
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

    def signs_own_work(self, user) -> bool:
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
        return not self.value or (self.is_not_applicable and not self.comment.strip())

    def display_value(self) -> str:
        if not self.value:
            return "—"
        if self.value == self.NOT_APPLICABLE:
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


# ── Findings and CAPA ───────────────────────────────────────────────────────────────────────


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    OBSERVATION = "observation", "Observation"


# Shown beside the severity field and in the report, so everyone grades alike.
SEVERITY_DEFINITIONS = {
    Severity.CRITICAL: "A deficiency that has produced, or leads to a significant risk of "
    "producing, a product that is harmful to patients, or evidence of fraud or falsified data.",
    Severity.MAJOR: "A non-critical deficiency that has produced or may produce a product that "
    "does not meet its specification or marketing authorisation, or a major departure from GMP, "
    "or several minor deficiencies that together amount to a major one.",
    Severity.MINOR: "A departure from GMP that is neither critical nor major and has little "
    "likelihood of affecting product quality.",
    Severity.OBSERVATION: "Not a departure from GMP: an opportunity for improvement noted for "
    "the CMO. No CAPA is required.",
}
SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.OBSERVATION]


class FindingQuerySet(models.QuerySet):
    def open(self):
        """Findings still needing action: their CAPA is not yet verified and closed."""
        return self.exclude(severity=Severity.OBSERVATION).exclude(capa__status=Capa.Status.CLOSED)

    def by_severity(self):
        """Critical first, then major, minor and observations; by number within a severity."""
        rank = models.Case(
            *(models.When(severity=s, then=i) for i, s in enumerate(SEVERITY_ORDER)),
            output_field=models.IntegerField(),
        )
        return self.order_by(rank, "number")


class Finding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.PROTECT, related_name="findings")
    answer = models.ForeignKey(
        Answer, on_delete=models.SET_NULL, null=True, blank=True, related_name="findings"
    )
    number = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=12, choices=Severity)
    title = models.CharField(max_length=200)
    requirement = models.CharField(
        "requirement cited", max_length=250, help_text="e.g. 21 CFR 211.192, EU GMP Chapter 1.4"
    )
    description = models.TextField()
    evidence = models.TextField("objective evidence", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="finding_number_per_audit"),
        ]

    def __str__(self) -> str:
        return f"{self.audit.reference}-F{self.number:02d} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("audits:finding_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"F{self.number:02d}"

    @property
    def severity_definition(self) -> str:
        return SEVERITY_DEFINITIONS[Severity(self.severity)]


class CapaQuerySet(models.QuerySet):
    def overdue(self, today: date | None = None):
        today = today or timezone.localdate()
        return self.exclude(status=Capa.Status.CLOSED).filter(due_date__lt=today)


class Capa(models.Model):
    """The CMO's corrective and preventive action for one finding, followed to closure."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESPONSE_RECEIVED = "response_received", "Response received"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Verified and closed"

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="capa")
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN, db_index=True)
    due_date = models.DateField()
    root_cause = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    preventive_action = models.TextField(blank=True)
    response_received_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_notes = models.TextField(blank=True)
    effectiveness_check = models.TextField(
        blank=True, help_text="How it was checked that the actions prevent a recurrence."
    )
    history = HistoricalRecords()

    objects = CapaQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = "CAPA"
        verbose_name_plural = "CAPAs"

    def __str__(self) -> str:
        return f"CAPA for {self.finding}"

    def get_absolute_url(self) -> str:
        return self.finding.get_absolute_url()

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status != self.Status.CLOSED and self.due_date < today


# ── E-signatures and reports ────────────────────────────────────────────────────────────────


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
