"""Uploaded files (audit evidence, site certificates): accepted kinds, checked by extension,
size and the file's first bytes."""

from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office documents
_ZIP = b"PK\x03\x04"  # Office Open XML documents are zip files
# extension → (content type, accepted leading bytes; None means "plain text")
ACCEPTED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".heic": ("image/heic", None),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (_ZIP,),
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (_ZIP,),
    ),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
}
ACCEPT_ATTRIBUTE = ",".join(sorted(ACCEPTED))


def check_upload(upload, *, accepted: Iterable[str] | None = None) -> str:
    """Refuse a file of the wrong kind or size; return its content type.

    `accepted` narrows the extensions of `ACCEPTED` a kind of upload takes (a certificate is a
    scan or a document, never a spreadsheet).
    """
    allowed = sorted(ACCEPTED if accepted is None else set(accepted) & set(ACCEPTED))
    name = upload.name or ""
    extension = Path(name).suffix.lower()
    if extension not in allowed:
        raise ValidationError(
            {
                "file": f"{name}: files of this type are not accepted. Accepted: "
                + ", ".join(allowed)
                + "."
            }
        )
    if upload.size > settings.MAX_UPLOAD_SIZE:
        raise ValidationError(
            {
                "file": f"{name} is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(settings.MAX_UPLOAD_SIZE)}."
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": f"{name} is empty."})
    content_type, signatures = ACCEPTED[extension]
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if extension == ".heic":
        ok = head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1")
    elif signatures is None:
        ok = b"\x00" not in head
    else:
        ok = head.startswith(signatures)
        if ok and extension == ".webp":
            ok = head[8:12] == b"WEBP"
    if not ok:
        raise ValidationError(
            {"file": f"{name} does not look like a {extension[1:].upper()} file."}
        )
    return content_type
