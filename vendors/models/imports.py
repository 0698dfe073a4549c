"""A record of every import of an FDA export: who, when, which file, what it did."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse

if TYPE_CHECKING:
    from vendors.fda.context import Tally

# Row errors kept per import; the count beyond it is still recorded.
MAX_STORED_ERRORS = 500


class ImportRun(models.Model):
    class Format(models.TextChoices):
        DECRS = "decrs", "FDA establishment registrations (DECRS)"
        INSPECTIONS = "inspections", "Inspections Classification"
        CITATIONS = "citations", "Inspections Citations"
        COMPLIANCE_ACTIONS = "compliance_actions", "Compliance Actions"
        PUBLISHED_483S = "published_483s", "Published 483s"
        RECALLS = "recalls", "Recalls"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be read"
        PREVIEWING = "previewing", "Reading the file"
        PREVIEWED = "previewed", "Preview ready"
        COMMITTING = "committing", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    class Via(models.TextChoices):
        BROWSER = "browser", "Browser"
        API = "api", "API"
        COMMAND = "command", "Command line"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=20, choices=Format, blank=True)
    status = models.CharField(max_length=12, choices=Status, default=Status.QUEUED)
    via = models.CharField(max_length=10, choices=Via, default=Via.BROWSER)
    create_missing = models.BooleanField(
        "create missing sites",
        default=False,
        help_text="Create a prospect CMO and site for FEI numbers that match no site.",
    )
    dry_run = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    preview = models.JSONField(default=dict, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    # A commit's progress, written in the same transaction as each chunk it commits: the last
    # file row done and the tally up to it, so a commit cut short resumes there, counting exactly.
    checkpoint = models.JSONField(default=dict, blank=True)
    # Last sign of life of the worker reading the file (progress or checkpoint).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.created_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("vendors:import_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.PREVIEWING, self.Status.COMMITTING)

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_running else 100
        return min(100, round(100 * self.processed_rows / self.total_rows))

    @property
    def can_commit(self) -> bool:
        return self.status == self.Status.PREVIEWED and not self.dry_run

    @property
    def can_retry(self) -> bool:
        """A run that failed part-way (not for a bad file): a commit resumes, a preview restarts."""
        return self.status == self.Status.FAILED and bool(self.checkpoint or self.preview)

    @property
    def rows_kept(self) -> int:
        """File rows a failed commit had already imported (and kept) before it stopped."""
        return int((self.checkpoint or {}).get("row", 0))

    @property
    def preview_writes_nothing(self) -> bool:
        """The preview found rows, but committing them would create or change nothing."""
        preview = self.preview or {}
        return bool(self.total_rows) and not any(
            preview.get(name) for name in ("created", "updated", "sites_created")
        )

    def record_tally(self, tally: "Tally", *, preview: bool) -> None:
        """Keep what reading the file found: its row errors and its counts.

        A preview's counts wait in `preview` for the commit, except a dry run's, which never
        commits: its preview is its outcome.
        """
        self.errors, self.error_count = tally.errors, tally.error_count
        if preview:
            self.preview = tally.counts()
        if not preview or self.dry_run:
            for name in ("created", "updated", "unchanged", "skipped"):
                setattr(self, name, getattr(tally, name))

    def summary(self) -> dict:
        """The outcome as the command line's --json prints it."""
        return {
            "format": self.format,
            "status": self.status,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "error_count": self.error_count,
            "errors": self.errors,
            "message": self.message,
        }


class ProblemReason(models.TextChoices):
    """Why a row was skipped: a stable code, so that a report can group a file's problems."""

    FEI_BLANK = "fei_blank", "FEI Number is blank or all zeros"
    FEI_INVALID = "fei_invalid", "FEI Number is not a number of up to 10 digits"
    EMPTY = "empty", "A required value is empty"
    NOT_A_DATE = "not_a_date", "Not a date"
    UNKNOWN_VALUE = "unknown_value", "Not one of the known values"
    NO_COUNTRY = "no_country", "ADDRESS does not end with a country code"
    UNKNOWN_COUNTRY = "unknown_country", "ADDRESS ends with an unknown country code"
    UNKNOWN_OPERATIONS = "unknown_operations", "OPERATIONS has unknown values"
    NOT_SAVED = "not_saved", "Could not be saved"
    # Imports before the registry skipped the rows of an FEI no directory site had.
    FEI_UNMATCHED = "fei_unmatched", "FEI matches no site"
    OTHER = "other", "Other problem"


# Reasons about one column: their label names it ("Record Date is not a date").
_COLUMN_LABELS = {
    ProblemReason.EMPTY: "{field} is empty",
    ProblemReason.NOT_A_DATE: "{field} is not a date",
    ProblemReason.UNKNOWN_VALUE: "{field} is not one of the known values",
}


def problem_label(reason: str, field: str) -> str:
    """What a group of problems is called on the report: the reason, with its column."""
    template = _COLUMN_LABELS.get(reason)
    if template and field:
        return template.format(field=field)
    try:
        return ProblemReason(reason).label
    except ValueError:
        return reason


class ImportProblem(models.Model):
    """One skipped row of an import, every one of them (the run keeps only the first few)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    row = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=ProblemReason, default=ProblemReason.OTHER)
    field = models.CharField(max_length=60, blank=True)
    value = models.CharField(max_length=200, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["run", "row", "pk"]
        indexes = [models.Index(fields=["run", "reason", "field", "row"])]

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"

    @property
    def label(self) -> str:
        return problem_label(self.reason, self.field)
