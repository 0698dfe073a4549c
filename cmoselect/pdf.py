"""PDF rendering shared by the apps: a Django template rendered to HTML, then by WeasyPrint.

Also the stored, rendered report: `RenderedReport` is the abstract model of a PDF requested by
a user and rendered by a worker, and `render_report` the one way such a report is rendered.
"""

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

log = logging.getLogger(__name__)
# Kept on the report for the user to read; a longer message (an HTML dump) is cut here.
ERROR_LIMIT = 2000


def render_html(template_name: str, context: dict) -> str:
    return render_to_string(template_name, context)


@contextmanager
def few_collections(threshold: int = 50_000) -> Iterator[None]:
    """Keep the garbage collector out of the way of an allocation-heavy render.

    WeasyPrint creates millions of short-lived objects; with the default thresholds every 700
    allocations start a collection that also walks the objects the process already holds (a
    Django worker holds hundreds of thousands). Freezing those and collecting the young
    generation less often takes 10-30 % off a long report; memory is collected afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def html_to_pdf(html: str, *, base_url: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which costs start-up time

    with few_collections():
        return HTML(string=html, base_url=base_url).write_pdf()


def static_base_url() -> str:
    """Where a PDF's relative URLs (images, fonts, CSS) are read from: the project's static files."""
    return str(settings.BASE_DIR / "static")


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render a template to PDF bytes; `base_url` (the static files by default) resolves URLs."""
    return html_to_pdf(render_html(template_name, context), base_url=base_url or static_base_url())


def report_upload_to(report: "RenderedReport", filename: str) -> str:
    return f"{report.storage_folder()}/{filename}"


class RenderedReport(models.Model):
    """A PDF a user asked for, rendered later by a worker; a failure is kept for them to read."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    file = models.FileField(upload_to=report_upload_to, max_length=300, blank=True)
    error = models.TextField(blank=True)
    # The hash of what the report shows, when rendered; a different one now means outdated.
    fingerprint = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at", "-pk"]

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RENDERING)

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY and bool(self.file)

    @property
    def filename(self) -> str:
        raise NotImplementedError

    def storage_folder(self) -> str:
        raise NotImplementedError


def render_report(
    *,
    report: RenderedReport,
    template_name: str,
    prepare: Callable[[], tuple[dict, str]],
    update_fields: tuple[str, ...] = (),
) -> RenderedReport:
    """Render a queued report to PDF and store it, or record why it failed.

    `prepare` returns the template context and the fingerprint of the content shown; it may set
    more fields on the report, named in `update_fields`. A failure is logged and kept on the
    report (cut to ERROR_LIMIT characters) for the user to see, and not raised: rendering the
    same content again would fail the same way, so the task is not retried.
    """
    # Claim the report: a message delivered twice, or for a report already settled (rendered,
    # failed, or given up on by the sweep), does nothing.
    started = timezone.now()
    claimed = (
        type(report)
        .objects.filter(pk=report.pk, status=report.Status.QUEUED)
        .update(status=report.Status.RENDERING, started_at=started, error="")
    )
    if not claimed:
        report.refresh_from_db()
        log.info("%s %s is %s, not queued: not rendered again", type(report).__name__,
                 report.pk, report.status)  # fmt: skip
        return report
    report.status, report.started_at, report.error = report.Status.RENDERING, started, ""
    try:
        context, fingerprint = prepare()
        pdf = render_pdf(template_name, context)
        report.file.save(report.filename, ContentFile(pdf), save=False)
    except Exception as error:  # noqa: BLE001 - any failure is shown to the user on the report
        log.exception("%s %s failed to render", type(report).__name__, report.pk)
        report.status = report.Status.FAILED
        report.error = f"{type(error).__name__}: {error}"[:ERROR_LIMIT]
    else:
        report.status = report.Status.READY
        report.fingerprint = fingerprint
    report.finished_at = timezone.now()
    report.save(
        update_fields=["status", "file", "error", "fingerprint", "finished_at", *update_fields]
    )
    return report


STUCK_RENDERING = (
    "The worker stopped while rendering this report (it was restarted or killed). "
    "Nothing was stored; render it again."
)
NEVER_STARTED = (
    "No worker started this report within {minutes} minutes: the task queue or the worker may "
    "be down. Render it again once they are back."
)


def reports_sweep() -> int:
    """Settle reports left queued or rendering past STUCK_WORK_MINUTES as failed, saying why.

    A worker killed mid-render (or a message lost with it) would otherwise leave a report
    "rendering" for ever and its page without a way on; failed, it offers "Render again".
    """
    minutes = settings.STUCK_WORK_MINUTES
    now = timezone.now()
    stale = now - timedelta(minutes=minutes)
    settled = 0
    for model in apps.get_models():
        if not issubclass(model, RenderedReport):
            continue
        Status = model.Status
        settled += model.objects.filter(status=Status.RENDERING, started_at__lt=stale).update(
            status=Status.FAILED, error=STUCK_RENDERING, finished_at=now
        )
        settled += model.objects.filter(status=Status.QUEUED, requested_at__lt=stale).update(
            status=Status.FAILED, error=NEVER_STARTED.format(minutes=minutes), finished_at=now
        )
    if settled:
        log.warning("Settled %s stuck report(s) as failed", settled)
    return settled
