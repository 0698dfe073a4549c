"""Findings and CAPAs in the browser."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audits.access import get_audit_for, get_capa_for, get_finding_for
from audits.forms import CapaRejectForm, CapaResponseForm, CapaVerifyForm, FindingForm
from audits.models import SEVERITY_DEFINITIONS, SEVERITY_ORDER, Capa
from audits.services import (
    capa_accept,
    capa_record_response,
    capa_reject,
    capa_verify,
    finding_create,
    finding_update,
)
from audits.services.findings import OWN_ACCEPTANCE
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.history import history_rows
from cmoselect.roles import Perm, role_required


def _definitions():
    return [(s.label, SEVERITY_DEFINITIONS[s]) for s in SEVERITY_ORDER]


@role_required(Perm.PERFORM_AUDITS)
def finding_create_view(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id, write=True)
    answer = None
    answer_id = request.POST.get("answer") or request.GET.get("answer")
    if answer_id and str(answer_id).isdigit():
        answer = get_object_or_404(audit.answers.select_related("question__section"), pk=answer_id)
    initial = {}
    if answer is not None:
        initial = {"requirement": answer.question.reference}
    form = FindingForm(request.POST or None, initial=initial)
    if not audit.findings_editable:
        messages.error(request, "Findings can be raised only while the audit is open.")
        return redirect(audit)
    if request.method == "POST" and form.is_valid():
        finding = form.save(commit=False)
        finding.audit = audit
        try:
            finding_create(
                finding=finding,
                user=request.user,
                answer=answer,
                capa_due=form.cleaned_data.get("capa_due"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Finding {finding.reference} raised.")
            if answer is not None and "back" in request.POST:
                return redirect(request.POST["back"])
            return redirect(finding)
    return render(
        request,
        "audits/finding_form.html",
        {
            "form": form,
            "audit": audit,
            "answer": answer,
            "back": request.GET.get("back") or request.POST.get("back", ""),
            "definitions": _definitions(),
        },
    )


@role_required(Perm.VIEW)
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = get_finding_for(request.user, finding_id)
    return render(request, "audits/finding_detail.html", _finding_context(request, finding))


def _finding_context(request: HttpRequest, finding, *, verify_form=None) -> dict:
    capa = Capa.objects.filter(finding=finding).select_related("accepted_by", "verified_by").first()
    return {
        "own_acceptance": capa is not None and capa.accepted_by_id == request.user.pk,
        "own_acceptance_message": OWN_ACCEPTANCE,
        "finding": finding,
        "audit": finding.audit,
        "capa": capa,
        "history": history_rows(finding.history.all()),
        "capa_history": history_rows(capa.history.all()) if capa else [],
        "response_form": CapaResponseForm(
            initial={
                "root_cause": capa.root_cause,
                "corrective_action": capa.corrective_action,
                "preventive_action": capa.preventive_action,
                "due_date": capa.due_date,
            }
            if capa
            else None
        ),
        "reject_form": CapaRejectForm(),
        "verify_form": verify_form or CapaVerifyForm(),
    }


@role_required(Perm.PERFORM_AUDITS)
def finding_edit(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = get_finding_for(request.user, finding_id, write=True)
    form = FindingForm(request.POST or None, instance=finding)
    if request.method == "POST" and form.is_valid():
        try:
            finding_update(
                finding=form.save(commit=False),
                user=request.user,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Finding saved.")
            return redirect(finding)
    return render(
        request,
        "audits/finding_form.html",
        {"form": form, "audit": finding.audit, "finding": finding, "definitions": _definitions()},
    )


@require_POST
@role_required(Perm.VIEW, write=Perm.PERFORM_AUDITS)
def capa_action(request: HttpRequest, capa_id: int) -> HttpResponse:
    capa = get_capa_for(request.user, capa_id, write=True)
    action = request.POST.get("action")
    if action == "verify":
        return _capa_verify(request, capa)
    forms = {"respond": CapaResponseForm, "reject": CapaRejectForm}
    form = forms[action](request.POST, request.FILES) if action in forms else None
    try:
        if action == "accept":
            capa_accept(capa=capa, user=request.user)
        elif form is None:
            raise ValidationError("Unknown CAPA action.")
        elif not form.is_valid():
            raise ValidationError(
                [f"{form[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()]
            )
        elif action == "respond":
            capa_record_response(capa=capa, user=request.user, **form.cleaned_data)
        else:
            capa_reject(capa=capa, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        message_errors(request, error)
    else:
        capa.refresh_from_db()
        messages.success(request, f"CAPA is now {capa.get_status_display().lower()}.")
    return redirect(capa.finding)


def _capa_verify(request: HttpRequest, capa: Capa) -> HttpResponse:
    """Verify and close; a refusal shows the page again with the errors beside the fields."""
    form = CapaVerifyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            capa_verify(capa=capa, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "CAPA is now verified and closed.")
            return redirect(capa.finding)
    context = _finding_context(request, capa.finding, verify_form=form)
    return render(request, "audits/finding_detail.html", context)
