"""Checklist templates: drafting, editing, reordering and publishing versions."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.models import ChecklistQuestion, ChecklistSection, ChecklistTemplate, TemplateVersion
from cmoselect.history import require_reason


def _check_draft(version: TemplateVersion) -> None:
    if version.is_frozen:
        raise ValidationError(
            f"Version {version.number} of {version.template.name} is "
            f"{version.get_status_display().lower()} and frozen. "
            "Draft a new version to change it."
        )


def template_create(*, name: str, description: str = "", user: User) -> TemplateVersion:
    """Create a checklist template with an empty draft version 1."""
    name = name.strip()
    if ChecklistTemplate.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A checklist template with this name already exists."})
    with transaction.atomic():
        template = ChecklistTemplate.objects.create(name=name, description=description)
        return TemplateVersion.objects.create(template=template, number=1, created_by=user)


def version_create_draft(*, template: ChecklistTemplate, user: User) -> TemplateVersion:
    """Start a new draft version as a copy of the template's latest version."""
    with transaction.atomic():
        ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
        latest = template.versions.order_by("-number").first()
        if latest is not None and not latest.is_frozen:
            raise ValidationError(
                f"Version {latest.number} is still a draft: edit it, or publish it first."
            )
        draft = TemplateVersion.objects.create(
            template=template,
            number=(latest.number + 1) if latest else 1,
            created_from=latest,
            created_by=user,
        )
        if latest is not None:
            _copy_content(source=latest, target=draft)
    return draft


def _copy_content(*, source: TemplateVersion, target: TemplateVersion) -> None:
    sections = list(source.sections.prefetch_related("questions"))
    copies = ChecklistSection.objects.bulk_create(
        ChecklistSection(
            version=target, position=s.position, title=s.title, description=s.description
        )
        for s in sections
    )
    questions = []
    for original, copy in zip(sections, copies, strict=True):
        for q in original.questions.all():
            q.pk = None
            q.section = copy
            questions.append(q)
    ChecklistQuestion.objects.bulk_create(questions)


def version_publish(*, version: TemplateVersion, user: User, notes: str) -> TemplateVersion:
    """Publish a draft with a note of what changed, superseding the version published before."""
    notes = require_reason(notes, field_name="notes", message="Say what changed in this version.")
    with transaction.atomic():
        ChecklistTemplate.objects.select_for_update().get(pk=version.template_id)
        version = TemplateVersion.objects.select_for_update().get(pk=version.pk)
        _check_draft(version)
        if not ChecklistQuestion.objects.filter(section__version=version).exists():
            raise ValidationError("A version needs at least one question before it is published.")
        empty = version.sections.filter(questions__isnull=True).values_list("title", flat=True)
        if empty:
            raise ValidationError(
                "These sections have no questions: " + ", ".join(empty) + ". Add or remove them."
            )
        # Audits planned on the earlier version keep it; new audits are offered only this one.
        version.template.versions.published().update(status=TemplateVersion.Status.SUPERSEDED)
        version.status = TemplateVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = user
        version.notes = notes
        version.save()
    return version


def version_discard(*, version: TemplateVersion) -> ChecklistTemplate:
    """Throw away a draft version that no audit uses."""
    _check_draft(version)
    template = version.template
    with transaction.atomic():
        ChecklistQuestion.objects.filter(section__version=version).delete()
        version.sections.all().delete()
        version.delete()
    return template


def section_save(*, section: ChecklistSection) -> ChecklistSection:
    """Add a section at the end of a draft version, or save changes to one."""
    _check_draft(section.version)
    with transaction.atomic():
        if section.pk is None:
            last = section.version.sections.aggregate(m=Max("position"))["m"] or 0
            section.position = last + 1
        section.full_clean()
        section.save()
    return section


def question_save(
    *, question: ChecklistQuestion, moved_from: int | None = None
) -> ChecklistQuestion:
    """Add a question at the end of its section, or save changes to one (maybe moved section)."""
    _check_draft(question.section.version)
    with transaction.atomic():
        if question.pk is None or (moved_from and moved_from != question.section_id):
            last = question.section.questions.aggregate(m=Max("position"))["m"] or 0
            question.position = last + 1
        question.full_clean()
        question.save()
        if moved_from and moved_from != question.section_id:
            _renumber(ChecklistQuestion.objects.filter(section_id=moved_from))
    return question


def _renumber(queryset) -> None:
    rows = list(queryset.order_by("position", "pk"))
    for index, row in enumerate(rows, start=1):
        row.position = index
    queryset.model.objects.bulk_update(rows, ["position"])


def _move(item, siblings, direction: str) -> None:
    rows = list(siblings.order_by("position", "pk"))
    index = next(i for i, row in enumerate(rows) if row.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(rows):
        return
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows, start=1):
        row.position = position
    type(item).objects.bulk_update(rows, ["position"])


def section_move(*, section: ChecklistSection, direction: str) -> None:
    """Move a section one place up or down in its draft version."""
    _check_draft(section.version)
    with transaction.atomic():
        _move(section, section.version.sections.select_for_update(), direction)


def question_move(*, question: ChecklistQuestion, direction: str) -> None:
    """Move a question one place up or down in its section of a draft version."""
    _check_draft(question.section.version)
    with transaction.atomic():
        _move(question, question.section.questions.select_for_update(), direction)


def section_delete(*, section: ChecklistSection) -> None:
    """Remove a section and its questions from a draft version."""
    _check_draft(section.version)
    with transaction.atomic():
        version = section.version
        section.questions.all().delete()
        section.delete()
        _renumber(version.sections.all())


def question_delete(*, question: ChecklistQuestion) -> None:
    """Remove a question from a draft version."""
    _check_draft(question.section.version)
    with transaction.atomic():
        section = question.section
        question.delete()
        _renumber(section.questions.all())
