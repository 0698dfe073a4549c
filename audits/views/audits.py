"""Audits in the browser: list, plan, detail, status, the checklist, answers, evidence, signing."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits.access import get_answer_for, get_audit_for, get_evidence_for
from audits.briefing import Briefing, audit_briefing
from audits.forms import (
    AuditForm,
    AuditStatusForm,
    EvidenceForm,
    ReviseForm,
    SignatureForm,
)
from audits.models import (
    RATING_LABELS,
    Answer,
    Audit,
    Capa,
    Finding,
    Severity,
    Signature,
)
from audits.outcomes import OUTCOME_RULES, Outcome, audit_recommendation
from audits.services import (
    AnswerConflict,
    answer_save,
    audit_change_status,
    audit_create,
    audit_decide,
    audit_report_fingerprint,
    audit_revise,
    audit_update,
    evidence_add,
    signatures_verified,
)
from audits.services.audits import OWN_AUDIT, allowed_decisions, audit_gaps
from cmoselect.esign import request_address
from cmoselect.forms import apply_service_errors, confirm_status_page, message_errors
from cmoselect.history import history_rows
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required

PAGE_SIZE = 25


@role_required(Perm.VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    audits = (
        Audit.objects.for_list()
        .annotate(
            finding_count=Count("findings", distinct=True),
            open_findings=Count(
                "findings", filter=Q(findings__in=Finding.objects.open()), distinct=True
            ),
        )
        .order_by("-planned_start", "-pk")
    )
    status = request.GET.get("status", "")
    if status in Audit.Status.values:
        audits = audits.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        audits = audits.filter(
            Q(site__name__icontains=query) | Q(site__cmo__legal_name__icontains=query)
        )
    page = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "status": status,
        "q": query,
        "statuses": Audit.Status.choices,
        "query": params.urlencode(),
    }
    template = "audits/audit_list.html"
    if is_htmx(request):
        template += "#results"
    return render(request, template, context)


@role_required(Perm.PERFORM_AUDITS)
def audit_create_view(request: HttpRequest) -> HttpResponse:
    # A link from the audit program (or a site page) may prefill site, type, scope, capabilities.
    initial = {
        "lead_auditor": request.user.pk,
        "site": request.GET.get("site"),
        "audit_type": request.GET.get("type") if request.GET.get("type") in Audit.Type else None,
        "scope": request.GET.get("scope", "")[:2000],
        "capabilities": [c for c in request.GET.getlist("capability") if c.isdigit()],
    }
    form = AuditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            audit = audit_create(
                audit=form.save(commit=False),
                team=form.cleaned_data["team"],
                capabilities=form.cleaned_data["capabilities"],
                user=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{audit.reference} planned.")
            return redirect(audit)
    return render(request, "audits/audit_form.html", {"form": form})


@role_required(Perm.PERFORM_AUDITS)
def audit_edit(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id, write=True)
    form = AuditForm(request.POST or None, instance=audit)
    if request.method == "POST" and form.is_valid():
        try:
            audit_update(
                audit=form.save(commit=False),
                team=form.cleaned_data["team"],
                capabilities=form.cleaned_data["capabilities"],
                user=request.user,
                reason=form.cleaned_data["change_reason"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Audit plan saved.")
            return redirect(audit)
    return render(request, "audits/audit_form.html", {"form": form, "audit": audit})


def latest_report_panel(audit: Audit) -> dict:
    report = audit.reports.select_related("requested_by").first()
    outdated = False
    if report is not None and report.status == report.Status.READY:
        outdated = report.fingerprint != audit_report_fingerprint(audit)
    return {"audit": audit, "report": report, "outdated": outdated}


@role_required(Perm.VIEW)
def audit_detail(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id)
    return render(request, "audits/audit_detail.html", _detail_context(request, audit))


def _detail_context(request: HttpRequest, audit: Audit, *, status_form=None) -> dict:
    recommendation = audit_recommendation(audit)
    findings = list(
        audit.findings.select_related("capa", "answer__question__section").by_severity()
    )
    return {
        "audit": audit,
        "team": audit.team.all(),
        "recommendation": recommendation,
        "score": recommendation.score,
        "outcome_rules": OUTCOME_RULES,
        "outcome_is_blocking": recommendation.outcome == Outcome.NOT_APPROVABLE,
        "findings": findings,
        "today": timezone.localdate(),
        "signatures": signatures_verified(audit),
        "status_form": status_form or AuditStatusForm(audit=audit),
        **_sign_context(request, audit, recommendation),
        "revise_form": ReviseForm(),
        "history": history_rows(audit.history.all()),
        "briefing": audit_briefing(audit),
        **latest_report_panel(audit),
    }


@require_POST
@role_required(Perm.VIEW, write=Perm.PERFORM_AUDITS)
def audit_status(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id, write=True)
    form = AuditStatusForm(request.POST, audit=audit)
    if not form.is_valid() and (page := confirm_status_page(request, form, audit)):
        return page
    if form.is_valid():
        try:
            audit_change_status(audit=audit, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            audit.refresh_from_db()
            messages.success(request, f"{audit.reference} is now {audit.get_status_display()}.")
            if audit.status == Audit.Status.IN_PROGRESS:
                return redirect("audits:audit_checklist", audit_id=audit.pk)
            return redirect(audit)
    # The page again, with the errors beside the fields of the form as it was filled in.
    context = _detail_context(request, audit, status_form=form)
    return render(request, "audits/audit_detail.html", context)


def _sign_context(request: HttpRequest, audit: Audit, recommendation, data=None) -> dict:
    """The sign form with the decisions the recommendation allows, or why the user cannot sign."""
    decisions = allowed_decisions(recommendation.outcome)
    return {
        "sign_form": SignatureForm(data, audit=audit, decisions=decisions),
        "signs_own_work": audit.signs_own_work(request.user),
        "own_audit_message": OWN_AUDIT,
        "approval_limited": Signature.Decision.APPROVE not in decisions,
        "gaps": len(audit_gaps(audit)) if audit.status == Audit.Status.IN_REVIEW else 0,
    }


@role_required(Perm.VIEW, write=Perm.SIGN_AUDITS)
def audit_sign(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id)
    recommendation = audit_recommendation(audit)
    context = _sign_context(request, audit, recommendation, request.POST or None)
    form = context["sign_form"]
    if request.method == "POST" and form.is_valid():
        try:
            signature = audit_decide(
                audit=audit,
                user=request.user,
                address=request_address(request),
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            signature.audit.refresh_from_db()
            messages.success(
                request,
                f"{audit.reference} {signature.audit.get_status_display().lower()} and signed "
                f"({signature}).",
            )
            return redirect(audit)
    return render(
        request,
        "audits/audit_sign.html",
        {"audit": audit, "form": form, "recommendation": recommendation, **context},
    )


@require_POST
@role_required(Perm.VIEW, write=Perm.SIGN_AUDITS)
def audit_revise_view(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id)
    form = ReviseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the audit needs a new revision.")
        return redirect(audit)
    try:
        audit = audit_revise(audit=audit, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, f"Revision {audit.revision} started; the audit is open again.")
    return redirect(audit)


@role_required(Perm.VIEW)
def audit_checklist(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = get_audit_for(request.user, audit_id)
    progress = audit.section_progress()
    sections = progress.sections
    if not sections:
        raise Http404("This audit has no checklist questions.")
    try:
        position = int(request.GET.get("section", sections[0].position))
    except ValueError:
        position = sections[0].position
    current = next((s for s in sections if s.position == position), sections[0])
    index = sections.index(current)
    answers = list(
        audit.answers.filter(question__section_id=current.id)
        .select_related("question__section", "answered_by")
        .prefetch_related("evidence", "findings")
    )
    section = answers[0].question.section if answers else None
    briefing = audit_briefing(audit)
    mark_focus(briefing, answers)
    return render(
        request,
        "audits/checklist.html",
        {
            "audit": audit,
            "sections": sections,
            "section_focus": [(s, briefing.focus_of_section(s.title)) for s in sections],
            "current": current,
            "current_focus": briefing.focus_of_section(current.title),
            "briefing": briefing,
            "section": section,
            "previous_section": sections[index - 1] if index > 0 else None,
            "next_section": sections[index + 1] if index + 1 < len(sections) else None,
            "answers": answers,
            "progress": progress,
            "editable": audit.checklist_editable and has_perm(request.user, Perm.PERFORM_AUDITS),
            "rating_labels": RATING_LABELS,
            "evidence_form": EvidenceForm(),
        },
    )


def mark_focus(briefing: Briefing, answers: list[Answer]) -> None:
    """Mark each answer whose question's reference names a 211 section the site was cited for."""
    for answer in answers:
        answer.focus = briefing.focus_of_question(answer.question.reference)


def _answer_context(request: HttpRequest, answer: Answer, **extra) -> dict:
    audit = answer.audit
    return {
        "audit": audit,
        "answer": answer,
        "editable": audit.checklist_editable and has_perm(request.user, Perm.PERFORM_AUDITS),
        "rating_labels": RATING_LABELS,
        **extra,
    }


@role_required(Perm.VIEW, write=Perm.PERFORM_AUDITS)
def answer_detail(request: HttpRequest, answer_id: int) -> HttpResponse:
    """GET: one answer's block (to reload it). POST: save it, refusing a conflicting save."""
    answer = get_answer_for(request.user, answer_id, write=request.method == "POST")
    if request.method != "POST":
        answer = (
            Answer.objects.select_related("audit", "question__section", "answered_by")
            .prefetch_related("evidence", "findings")
            .get(pk=answer.pk)
        )
        mark_focus(audit_briefing(answer.audit), [answer])
        return render(request, "audits/checklist.html#answer", _answer_context(request, answer))
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("Missing or invalid answer version.")
    value = request.POST.get("value", "")
    comment = request.POST.get("comment", "")
    try:
        saved = answer_save(
            answer=answer,
            user=request.user,
            value=value,
            comment=comment,
            expected_version=expected,
        )
    except AnswerConflict as conflict:
        theirs = conflict.current
        response = render(
            request,
            "audits/checklist.html#conflict",
            _answer_context(
                request,
                answer,
                theirs=theirs,
                mine_value=value,
                mine_comment=comment,
                mine_display=_display(answer, value),
            ),
            status=409,
        )
        response["HX-Retarget"] = f"#conflict-{answer.pk}"
        response["HX-Reswap"] = "innerHTML"
        return response
    except ValidationError as error:
        if not is_htmx(request):
            message_errors(request, error)
            return redirect(_checklist_url(answer))
        return render(
            request,
            "audits/checklist.html#save-state",
            _answer_context(request, answer, save_error=" ".join(error.messages)),
            status=422,
        )
    if not is_htmx(request):
        messages.success(request, "Answer saved.")
        return redirect(_checklist_url(answer))
    progress = answer.audit.section_progress()
    return render(
        request,
        "audits/checklist.html#saved",
        _answer_context(request, saved, sections=progress.sections, progress=progress),
    )


def _display(answer: Answer, value: str) -> str:
    probe = Answer(question=answer.question, value=value.strip())
    return probe.display_value()


def _checklist_url(answer: Answer) -> str:
    url = reverse("audits:audit_checklist", args=[answer.audit_id])
    return f"{url}?section={answer.question.section.position}#q-{answer.pk}"


@require_POST
@role_required(Perm.VIEW, write=Perm.PERFORM_AUDITS)
def evidence_upload(request: HttpRequest, answer_id: int) -> HttpResponse:
    answer = get_answer_for(request.user, answer_id, write=True)
    form = EvidenceForm(request.POST, request.FILES)
    error_text = ""
    if form.is_valid():
        try:
            evidence_add(
                answer=answer,
                upload=form.cleaned_data["file"],
                user=request.user,
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            error_text = " ".join(error.messages)
    else:
        error_text = " ".join(e for errors in form.errors.values() for e in errors)
    if not is_htmx(request):
        if error_text:
            messages.error(request, error_text)
        else:
            messages.success(request, "Evidence attached.")
        return redirect(_checklist_url(answer))
    answer = (
        Answer.objects.select_related("audit", "question__section")
        .prefetch_related("evidence")
        .get(pk=answer.pk)
    )
    return render(
        request,
        "audits/checklist.html#evidence",
        _answer_context(request, answer, evidence_error=error_text, evidence_form=EvidenceForm()),
    )


@role_required(Perm.VIEW)
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = get_evidence_for(request.user, evidence_id)
    inline = (
        evidence.content_type.startswith("image/") or evidence.content_type == "application/pdf"
    )
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=not inline,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@role_required(Perm.VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    capas = Capa.objects.select_related("finding__audit__site__cmo").exclude(
        status=Capa.Status.CLOSED
    )
    overdue = capas.filter(due_date__lt=today).order_by("due_date")
    due_soon = capas.filter(due_date__gte=today, due_date__lte=today + timedelta(days=14))
    return render(
        request,
        "audits/dashboard.html",
        {
            "today": today,
            "overdue": overdue[:100],
            "overdue_count": overdue.count(),
            "due_soon": due_soon.order_by("due_date")[:50],
            "in_review": Audit.objects.for_list().filter(status=Audit.Status.IN_REVIEW),
            "in_progress": Audit.objects.for_list().filter(status=Audit.Status.IN_PROGRESS),
            "planned": Audit.objects.for_list()
            .filter(status=Audit.Status.PLANNED)
            .order_by("planned_start")[:20],
            "open_critical": Finding.objects.open().filter(severity=Severity.CRITICAL).count(),
            "open_major": Finding.objects.open().filter(severity=Severity.MAJOR).count(),
        },
    )
