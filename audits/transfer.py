"""Checklist templates in and out: JSON (whole template) and CSV/XLSX (one row per question).

Import never half-writes: the file is parsed and checked completely first, and every problem is
reported with its row (or JSON path); only a clean file is written, in one transaction.
"""

import csv
import io
import json

from django.core.exceptions import ValidationError
from django.db import transaction

from audits.models import (
    AnswerType,
    ChecklistQuestion,
    ChecklistSection,
    ChecklistTemplate,
    TemplateVersion,
)
from cmoselect.spreadsheets import csv_text, unguard, xlsx_append

FORMAT = "cmoselect-checklist"
COLUMNS = ["section", "section_description", *ChecklistQuestion.CONTENT_FIELDS]
MAX_QUESTIONS = 2000
TRUE_WORDS = {"1", "true", "yes", "y", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n"}


def version_data(version: TemplateVersion) -> dict:
    sections = version.sections.prefetch_related("questions")
    return {
        "format": FORMAT,
        "format_version": 1,
        "name": version.template.name,
        "description": version.template.description,
        "version": version.number,
        "status": version.status,
        "sections": [
            {
                "title": section.title,
                "description": section.description,
                "questions": [
                    {
                        "text": q.text,
                        "guidance": q.guidance,
                        "reference": q.reference,
                        "answer_type": q.answer_type,
                        "weight": q.weight,
                        "critical": q.critical,
                        "evidence_expected": q.evidence_expected,
                    }
                    for q in section.questions.all()
                ],
            }
            for section in sections
        ],
    }


def export_json(version: TemplateVersion) -> bytes:
    return json.dumps(version_data(version), indent=2, ensure_ascii=False).encode()


def _rows(version: TemplateVersion):
    for section in version_data(version)["sections"]:
        for q in section["questions"]:
            yield [
                section["title"],
                section["description"],
                q["text"],
                q["guidance"],
                q["reference"],
                q["answer_type"],
                q["weight"],
                "yes" if q["critical"] else "no",
                q["evidence_expected"],
            ]


def export_csv(version: TemplateVersion) -> bytes:
    return csv_text([COLUMNS, *_rows(version)]).encode("utf-8-sig")


def export_xlsx(version: TemplateVersion) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Checklist"
    xlsx_append(sheet, COLUMNS)
    for row in _rows(version):
        xlsx_append(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class ImportErrors(ValidationError):
    pass


EXPORTERS = {"json": export_json, "csv": export_csv, "xlsx": export_xlsx}


def export_filename(version: TemplateVersion, kind: str) -> str:
    """The download name of a version exported as `kind`: "gmp-site-audit-v3.csv"."""
    slug = "".join(c if c.isalnum() else "-" for c in version.template.name.lower()).strip("-")
    return f"{slug}-v{version.number}.{kind}"


def _question(raw: dict, where: str, errors: list[str]) -> dict | None:
    text = str(raw.get("text") or "").strip()
    if not text:
        errors.append(f"{where}: the question text is empty.")
        return None
    answer_type = str(raw.get("answer_type") or AnswerType.YES_NO).strip()
    if answer_type not in AnswerType.values:
        errors.append(
            f"{where}: unknown answer type {answer_type!r} (use {', '.join(AnswerType.values)})."
        )
    weight_raw = raw.get("weight", 1)
    try:
        weight = int(float(weight_raw if weight_raw not in (None, "") else 1))
    except (TypeError, ValueError):
        errors.append(f"{where}: the weight {weight_raw!r} is not a whole number.")
        weight = 1
    if not 0 <= weight <= 10:
        errors.append(f"{where}: the weight must be from 0 to 10.")
    critical_raw = raw.get("critical", False)
    if isinstance(critical_raw, bool):
        critical = critical_raw
    elif str(critical_raw).strip().lower() in TRUE_WORDS:
        critical = True
    elif str(critical_raw if critical_raw is not None else "").strip().lower() in FALSE_WORDS:
        critical = False
    else:
        errors.append(f"{where}: 'critical' must be yes or no, not {critical_raw!r}.")
        critical = False
    reference = str(raw.get("reference") or "").strip()
    if len(reference) > 200:
        errors.append(f"{where}: the reference is longer than 200 characters.")
    return {
        "text": text,
        "guidance": str(raw.get("guidance") or "").strip(),
        "reference": reference[:200],
        "answer_type": answer_type,
        "weight": weight,
        "critical": critical,
        "evidence_expected": str(raw.get("evidence_expected") or "").strip(),
    }


def parse_json(data: bytes) -> dict:
    """Check an exported JSON template; return {name, description, sections} or raise."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportErrors([f"The file is not valid JSON: {error}"]) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportErrors([f"This is not a CMOselect checklist (expected format {FORMAT!r})."])
    errors: list[str] = []
    name = str(doc.get("name") or "").strip()
    if not name:
        errors.append("name: the template has no name.")
    sections = []
    raw_sections = doc.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        errors.append("sections: the template has no sections.")
        raw_sections = []
    for s_index, raw in enumerate(raw_sections, start=1):
        where = f"sections[{s_index}]"
        if not isinstance(raw, dict) or not str(raw.get("title") or "").strip():
            errors.append(f"{where}: the section has no title.")
            continue
        questions = []
        for q_index, raw_q in enumerate(raw.get("questions") or [], start=1):
            if not isinstance(raw_q, dict):
                errors.append(f"{where}.questions[{q_index}]: not an object.")
                continue
            question = _question(raw_q, f"{where}.questions[{q_index}]", errors)
            if question:
                questions.append(question)
        if not questions:
            errors.append(f"{where}: the section has no questions.")
        sections.append(
            {
                "title": str(raw["title"]).strip()[:200],
                "description": str(raw.get("description") or ""),
                "questions": questions,
            }
        )
    if errors:
        raise ImportErrors(errors)
    return {"name": name, "description": str(doc.get("description") or ""), "sections": sections}


def _table(rows: list[list], *, name: str) -> dict:
    # Our own exports quote text that a spreadsheet would read as a formula; take the quote off.
    rows = [[unguard(cell) for cell in row] for row in rows]
    if not rows:
        raise ImportErrors(["The file is empty."])
    header = [str(c or "").strip().lower() for c in rows[0]]
    missing = [c for c in ("section", "text") if c not in header]
    if missing:
        raise ImportErrors(
            [
                f"Row 1: the header lacks the column(s) {', '.join(missing)}. Expected: "
                + ", ".join(COLUMNS)
            ]
        )
    errors: list[str] = []
    sections: dict[str, dict] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(str(c or "").strip() for c in row):
            continue
        raw = dict(zip(header, row, strict=False))
        title = str(raw.get("section") or "").strip()
        if not title:
            errors.append(f"Row {number}: the section is empty.")
            continue
        question = _question(raw, f"Row {number}", errors)
        section = sections.setdefault(
            title,
            {
                "title": title[:200],
                "description": str(raw.get("section_description") or "").strip(),
                "questions": [],
            },
        )
        if question:
            section["questions"].append(question)
    if not name.strip():
        errors.append("Give the template a name (CSV and XLSX files do not carry one).")
    if not sections and not errors:
        errors.append("The file has no questions.")
    if errors:
        raise ImportErrors(errors)
    return {"name": name.strip(), "description": "", "sections": list(sections.values())}


def parse_csv(data: bytes, *, name: str) -> dict:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportErrors(["The CSV file is not UTF-8 text."]) from None
    return _table(list(csv.reader(io.StringIO(text))), name=name)


def parse_xlsx(data: bytes, *, name: str) -> dict:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportErrors(["The file is not a readable XLSX workbook."]) from None
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    return _table(rows, name=name)


def parse_upload(upload, *, name: str = "") -> dict:
    """Parse an uploaded template by its extension."""
    data = upload.read()
    filename = (upload.name or "").lower()
    if filename.endswith(".json"):
        parsed = parse_json(data)
    elif filename.endswith(".csv"):
        parsed = parse_csv(data, name=name)
    elif filename.endswith(".xlsx"):
        parsed = parse_xlsx(data, name=name)
    else:
        raise ImportErrors(["Upload a .json, .csv or .xlsx file."])
    if sum(len(s["questions"]) for s in parsed["sections"]) > MAX_QUESTIONS:
        raise ImportErrors([f"A template may hold at most {MAX_QUESTIONS} questions."])
    return parsed


def template_import(*, parsed: dict, user) -> TemplateVersion:
    """Write a parsed template as a new draft version (of a new or existing template)."""
    with transaction.atomic():
        template, _ = ChecklistTemplate.objects.get_or_create(
            name=parsed["name"][:150], defaults={"description": parsed["description"]}
        )
        template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
        latest = template.versions.order_by("-number").first()
        if latest is not None and not latest.is_frozen:
            raise ImportErrors(
                [
                    f"{template.name} already has a draft (version {latest.number}). Publish or "
                    "discard it before importing."
                ]
            )
        version = TemplateVersion.objects.create(
            template=template,
            number=(latest.number + 1) if latest else 1,
            created_from=latest,
            created_by=user,
            notes="Imported from a file.",
        )
        for position, raw in enumerate(parsed["sections"], start=1):
            section = ChecklistSection.objects.create(
                version=version,
                position=position,
                title=raw["title"],
                description=raw["description"],
            )
            ChecklistQuestion.objects.bulk_create(
                ChecklistQuestion(section=section, position=index, **question)
                for index, question in enumerate(raw["questions"], start=1)
            )
    return version
