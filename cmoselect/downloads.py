"""File downloads: a stored file or generated content, sent as an attachment with its type."""

from django.core.files import File
from django.http import FileResponse, Http404, HttpResponse

from cmoselect.pdf import RenderedReport

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def content_type_of(filename: str) -> str | None:
    """The type of a file named `filename`, from its extension; None for one not listed."""
    return CONTENT_TYPES.get(filename.rsplit(".", 1)[-1].lower())


def download(content: str | bytes, *, filename: str) -> HttpResponse:
    """Generated content (an export) as an attachment named `filename`, typed by its extension."""
    content_type = content_type_of(filename)
    if content_type is None:
        raise ValueError(f"No content type for {filename!r}; add its extension to CONTENT_TYPES.")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def file_download(
    file: File, *, filename: str, content_type: str | None = None, inline: bool = False
) -> FileResponse:
    """A stored file as an attachment (or shown in the browser if `inline`); 404 if it is gone.

    Without `content_type` the type follows the extension (Django guesses one not listed).
    """
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    return FileResponse(
        handle,
        as_attachment=not inline,
        filename=filename,
        content_type=content_type or content_type_of(filename),
    )


def rendered_report_download(report: RenderedReport) -> FileResponse:
    """A rendered report's PDF; 404 while it is queued, rendering or failed."""
    if not report.is_ready:
        raise Http404("This report is not ready.")
    return file_download(report.file, filename=report.filename)
