"""Checklist templates in the browser: list, versions, the draft editor, import and export."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audits import transfer
from audits.access import (
    get_question_for,
    get_section_for,
    get_template_for,
    get_version_for,
)
from audits.forms import (
    PublishForm,
    QuestionForm,
    SectionForm,
    TemplateForm,
    TemplateImportForm,
)
from audits.models import ChecklistQuestion, ChecklistSection, ChecklistTemplate, TemplateVersion
from audits.services import (
    question_delete,
    question_move,
    question_save,
    section_delete,
    section_move,
    section_save,
    template_create,
    version_create_draft,
    version_discard,
    version_publish,
)
from cmoselect.downloads import download
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.roles import Perm, role_required


@role_required(Perm.VIEW)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = ChecklistTemplate.objects.annotate(
        version_count=Count("versions", distinct=True),
        published_count=Count(
            "versions", filter=Q(versions__status=TemplateVersion.Status.PUBLISHED), distinct=True
        ),
    )
    return render(request, "audits/template_list.html", {"templates": templates})


@role_required(Perm.EDIT_CHECKLISTS)
def template_create_view(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = template_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Template created. Add sections and questions to draft 1.")
            return redirect(version)
    return render(request, "audits/template_form.html", {"form": form})


@role_required(Perm.VIEW)
def template_detail(request: HttpRequest, checklisttemplate_id: int) -> HttpResponse:
    template = get_template_for(request.user, checklisttemplate_id)
    versions = template.versions.select_related("published_by", "created_by").annotate(
        question_count=Count("sections__questions", distinct=True),
        audit_count=Count("audits", distinct=True),
    )
    return render(
        request, "audits/template_detail.html", {"template": template, "versions": versions}
    )


@role_required(Perm.EDIT_CHECKLISTS)
def template_import(request: HttpRequest) -> HttpResponse:
    form = TemplateImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            parsed = transfer.parse_upload(
                form.cleaned_data["file"], name=form.cleaned_data["name"]
            )
            version = transfer.template_import(parsed=parsed, user=request.user)
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request, f"Imported as draft version {version.number} of {version.template.name}."
            )
            return redirect(version)
    return render(request, "audits/template_import.html", {"form": form, "problems": problems})


@role_required(Perm.VIEW)
def version_detail(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id)
    return _version_page(request, version, PublishForm())


def _version_page(
    request: HttpRequest, version: TemplateVersion, publish_form: PublishForm
) -> HttpResponse:
    sections = version.sections.prefetch_related("questions")
    return render(
        request,
        "audits/version_detail.html",
        {
            "version": version,
            "template": version.template,
            "sections": sections,
            "question_count": ChecklistQuestion.objects.filter(section__version=version).count(),
            "publish_form": publish_form,
        },
    )


@role_required(Perm.VIEW)
def version_export(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id)
    kind = request.GET.get("format", "json")
    if kind not in transfer.EXPORTERS:
        kind = "json"
    return download(
        transfer.EXPORTERS[kind](version), filename=transfer.export_filename(version, kind)
    )


@require_POST
@role_required(Perm.EDIT_CHECKLISTS)
def version_publish_view(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id, write=True)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version_publish(version=version, user=request.user, notes=form.cleaned_data["notes"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Version {version.number} is published and frozen.")
            return redirect(version)
    return _version_page(request, version, form)


@require_POST
@role_required(Perm.EDIT_CHECKLISTS)
def version_new_draft(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id, write=True)
    try:
        draft = version_create_draft(template=version.template, user=request.user)
    except ValidationError as error:
        message_errors(request, error)
        return redirect(version)
    messages.success(request, f"Draft version {draft.number} created from the latest version.")
    return redirect(draft)


@require_POST
@role_required(Perm.EDIT_CHECKLISTS)
def version_discard_view(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id, write=True)
    try:
        template = version_discard(version=version)
    except ValidationError as error:
        message_errors(request, error)
        return redirect(version)
    messages.success(request, f"Draft version {version.number} discarded.")
    return redirect(template)


@role_required(Perm.EDIT_CHECKLISTS)
def section_create(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id, write=True)
    form = SectionForm(request.POST or None, instance=ChecklistSection(version=version))
    return _section_form(request, form, version)


@role_required(Perm.EDIT_CHECKLISTS)
def section_edit(request: HttpRequest, checklistsection_id: int) -> HttpResponse:
    section = get_section_for(request.user, checklistsection_id, write=True)
    form = SectionForm(request.POST or None, instance=section)
    return _section_form(request, form, section.version)


def _section_form(request: HttpRequest, form, version) -> HttpResponse:
    if request.method == "POST" and not version.is_frozen and form.is_valid():
        try:
            section = section_save(section=form.save(commit=False))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Section {section.position} saved.")
            return redirect(f"{version.get_absolute_url()}#section-{section.pk}")
    return render(request, "audits/section_form.html", {"form": form, "version": version})


@role_required(Perm.EDIT_CHECKLISTS)
def question_create(request: HttpRequest, templateversion_id: int) -> HttpResponse:
    version = get_version_for(request.user, templateversion_id, write=True)
    initial = {"section": request.GET.get("section")}
    form = QuestionForm(request.POST or None, initial=initial, version=version)
    return _question_form(request, form, version, moved_from=None)


@role_required(Perm.EDIT_CHECKLISTS)
def question_edit(request: HttpRequest, checklistquestion_id: int) -> HttpResponse:
    question = get_question_for(request.user, checklistquestion_id, write=True)
    version = question.section.version
    form = QuestionForm(request.POST or None, instance=question, version=version)
    return _question_form(request, form, version, moved_from=question.section_id)


def _question_form(request: HttpRequest, form, version, *, moved_from) -> HttpResponse:
    if request.method == "POST" and not version.is_frozen and form.is_valid():
        try:
            question = question_save(question=form.save(commit=False), moved_from=moved_from)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Question saved.")
            if "add_another" in request.POST:
                url = reverse("audits:question_create", args=[version.pk])
                return redirect(f"{url}?section={question.section_id}")
            return redirect(f"{version.get_absolute_url()}#question-{question.pk}")
    return render(request, "audits/question_form.html", {"form": form, "version": version})


@require_POST
@role_required(Perm.EDIT_CHECKLISTS)
def section_action(request: HttpRequest, checklistsection_id: int) -> HttpResponse:
    section = get_section_for(request.user, checklistsection_id, write=True)
    action = request.POST.get("action")
    try:
        if action == "delete":
            section_delete(section=section)
            messages.success(request, f"Section {section.title} removed.")
        elif action in ("up", "down"):
            section_move(section=section, direction=action)
    except ValidationError as error:
        message_errors(request, error)
    return redirect(f"{section.version.get_absolute_url()}#section-{section.pk}")


@require_POST
@role_required(Perm.EDIT_CHECKLISTS)
def question_action(request: HttpRequest, checklistquestion_id: int) -> HttpResponse:
    question = get_question_for(request.user, checklistquestion_id, write=True)
    version = question.section.version
    action = request.POST.get("action")
    try:
        if action == "delete":
            question_delete(question=question)
            messages.success(request, "Question removed.")
        elif action in ("up", "down"):
            question_move(question=question, direction=action)
    except ValidationError as error:
        message_errors(request, error)
    return redirect(f"{version.get_absolute_url()}#question-{question.pk}")
