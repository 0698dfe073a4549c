"""Checks on uploaded contract documents: size, extension and the file's own signature."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# Extension → the bytes such a file starts with.
SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
ACCEPT = ",".join(SIGNATURES)


def check_document(upload) -> None:
    """Refuse an upload that is empty, too large, or not the PDF or Word file it claims to be."""
    size = upload.size or 0
    if size == 0:
        raise ValidationError("The file is empty.")
    if size > settings.MAX_UPLOAD_SIZE:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the largest accepted is "
            f"{filesizeformat(settings.MAX_UPLOAD_SIZE)}."
        )
    extension = Path(upload.name or "").suffix.lower()
    if extension not in SIGNATURES:
        raise ValidationError("Upload a PDF or Word document (.pdf, .docx, .doc).")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(SIGNATURES[extension]):
        raise ValidationError(f"This file's content is not a {extension} document.")
