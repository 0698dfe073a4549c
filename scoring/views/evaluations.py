"""Evaluation pages: the list, the form, the detail page and its actions, the decision."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cmoselect.esign import request_address
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required
from qualification.checks import asl_standing_for_cmos
from scoring import sources
from scoring.access import get_evaluation_for
from scoring.forms import (
    DecisionForm,
    EvaluationForm,
    NeedFormSet,
    VersionNoteForm,
    needs_from_query,
)
from scoring.history import evaluation_history
from scoring.models import Candidate, Decision, Evaluation
from scoring.services import (
    approval_refusal,
    candidates_gate,
    decision_sign,
    evaluation_cancel,
    evaluation_request_recompute,
    evaluation_save,
    evaluation_start,
    evaluation_version_move,
    evaluation_weights_save,
)
from vendors.models import Capability, Cmo

MODALITIES = Capability.Category.MODALITIES

__all__ = [
    "evaluation_cancel_view",
    "evaluation_create",
    "evaluation_decide",
    "evaluation_detail",
    "evaluation_edit",
    "evaluation_list",
    "evaluation_move_version",
    "evaluation_recompute",
    "evaluation_save_weights",
]


@role_required(Perm.VIEW)
def evaluation_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    evaluations = Evaluation.objects.select_related("scoring_model").annotate(
        candidate_count=Count("candidates")
    )
    if status in Evaluation.Status.values:
        evaluations = evaluations.filter(status=status)
    return render(
        request,
        "scoring/evaluation_list.html",
        {"evaluations": evaluations, "status": status, "statuses": Evaluation.Status.choices},
    )


def _from_needs_search(request) -> tuple[list[dict], object]:
    """A new evaluation's need rows and candidates as the needs search passed them on
    (`need=<capability id>:<level>`, `cmo=<id>`), or as the form posted them back."""
    found = needs_from_query(request.GET.getlist("need"))
    known = Capability.objects.in_bulk([c for c, _ in found])
    rows = [{"capability": known[c], "min_level": lvl} for c, lvl in found if c in known]
    source = request.POST.getlist("candidates") if request.method == "POST" else None
    ids = [int(v) for v in (source or request.GET.getlist("cmo")) if v.isdigit()]
    candidates = Cmo.objects.filter(pk__in=ids).order_by("legal_name") if ids else None
    return rows, candidates


def _evaluation_form(request, evaluation: Evaluation | None):
    instance = evaluation or Evaluation()
    if instance.pk:
        candidates = None
        initial = [
            {"capability": n.capability, "min_level": n.min_level} for n in instance.needs.all()
        ]
    else:
        initial, candidates = _from_needs_search(request)
    form = EvaluationForm(request.POST or None, instance=instance, candidates=candidates)
    if initial and not instance.pk:
        # One modality among the needs is the product's: the form starts with it.
        modalities = [r["capability"] for r in initial if r["capability"].category == MODALITIES]
        if len(modalities) == 1:
            form.initial["modality"] = modalities[0].pk
    needs = NeedFormSet(request.POST or None, initial=initial, prefix="needs")
    if request.method == "POST" and form.is_valid() and needs.is_valid():
        try:
            if instance.pk:
                saved = evaluation_save(
                    evaluation=form.save(commit=False),
                    user=request.user,
                    needs=needs.needs(),
                    team=form.cleaned_data["team"],
                    reason=form.cleaned_data.get("change_reason", ""),
                )
            else:
                saved = evaluation_start(
                    evaluation=form.save(commit=False),
                    user=request.user,
                    needs=needs.needs(),
                    team=form.cleaned_data["team"],
                    candidates=form.cleaned_data.get("candidates") or [],
                )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Evaluation saved." if evaluation else "Evaluation created.")
            return redirect(saved)
    return render(
        request,
        "scoring/evaluation_form.html",
        {"form": form, "needs": needs, "evaluation": evaluation},
    )


@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_create(request: HttpRequest) -> HttpResponse:
    return _evaluation_form(request, None)


@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_edit(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    if not evaluation.is_open:
        messages.error(request, "Only an open evaluation can be edited.")
        return redirect(evaluation)
    return _evaluation_form(request, evaluation)


def _what_if_data(evaluation: Evaluation, candidates: list[Candidate], criteria) -> dict:
    return {
        "criteria": [{"code": c.code, "name": c.name, "weight": c.weight} for c in criteria],
        "candidates": [
            {
                "id": c.pk,
                "name": c.cmo.legal_name,
                "knocked_out": c.knocked_out,
                "scores": {f["code"]: f["score"] for f in c.breakdown},
            }
            for c in candidates
        ],
    }


@role_required(Perm.VIEW)
def evaluation_detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id)
    candidates = list(evaluation.candidates.select_related("cmo").ranked())
    candidates.sort(key=lambda c: (c.rank is None, c.rank or 0, c.cmo.legal_name))
    standing = asl_standing_for_cmos(c.cmo_id for c in candidates)
    for candidate in candidates:
        candidate.asl_standing = standing.get(candidate.cmo_id, "")
    latest = evaluation.scoring_model.current_version
    version = evaluation.model_version or latest
    criteria = list(version.criteria.all())
    reports_list = list(evaluation.reports.select_related("requested_by")[:10])
    context = {
        "evaluation": evaluation,
        "candidates": candidates,
        "criteria": criteria,
        "version": version,
        "latest_version": latest if latest.pk != version.pk else None,
        "stale_version": evaluation.scored_version_id not in (None, version.pk),
        "reports": reports_list,
        "reports_pending": any(r.is_pending for r in reports_list),
        "what_if": _what_if_data(evaluation, candidates, criteria),
        "can_edit": has_perm(request.user, Perm.EDIT_EVALUATIONS) and evaluation.is_open,
    }
    if is_htmx(request):
        fragment = request.GET.get("fragment")
        if fragment in ("scores", "reports"):
            return render(request, f"scoring/evaluation_detail.html#{fragment}", context)
    decision = (
        Decision.objects.filter(evaluation=evaluation)
        .select_related("candidate__cmo", "signed_by")
        .first()
    )
    context.update(
        {
            "needs": evaluation.needs.select_related("capability"),
            "team": evaluation.team.all(),
            "decision": decision,
            "history": evaluation_history(evaluation),
            "picker": _picker(request, evaluation, candidates),
            "needs_matches": _needs_matches(evaluation, candidates)
            if context["can_edit"]
            else None,
            "note_form": VersionNoteForm(),
        }
    )
    return render(request, "scoring/evaluation_detail.html", context)


def _picker(request, evaluation: Evaluation, candidates: list[Candidate]) -> dict:
    query = request.GET.get("cmo_q", "").strip()
    taken = {c.cmo_id for c in candidates}
    found = []
    if query:
        found = [
            c for c in Cmo.objects.search(query).order_by("legal_name")[:25] if c.pk not in taken
        ]
    return {"query": query, "found": found}


def _needs_matches(evaluation: Evaluation, candidates: list[Candidate]):
    needs = list(evaluation.needs.values_list("capability_id", "min_level"))
    if not needs:
        return None
    taken = {c.cmo_id for c in candidates}
    # Candidates already on the evaluation are dropped, so ask for enough to still show 25.
    result = sources.needs_search(needs, limit=25 + len(taken))
    return [m for m in list(result.full) + list(result.partial) if m.cmo.pk not in taken][:25]


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_recompute(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    try:
        evaluation_request_recompute(evaluation=evaluation, reason="requested by a user")
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, "Recomputation requested.")
    return redirect(evaluation)


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_save_weights(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    try:
        weights = {
            key.removeprefix("weight_"): int(value)
            for key, value in request.POST.items()
            if key.startswith("weight_")
        }
        version = evaluation_weights_save(
            evaluation=evaluation,
            weights=weights,
            user=request.user,
            reason=request.POST.get("note", ""),
        )
    except ValueError:
        messages.error(request, "Weights are whole numbers from 0 to 100.")
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(
            request,
            f"Weights saved as {version}, for this evaluation only. Scores are being recomputed.",
        )
    return redirect(f"{evaluation.get_absolute_url()}#what-if")


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_move_version(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    try:
        evaluation_version_move(
            evaluation=evaluation, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(
            request, f"Moved to {evaluation.model_version}. Scores are being recomputed."
        )
    return redirect(evaluation)


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_cancel_view(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    try:
        evaluation_cancel(
            evaluation=evaluation, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, "Evaluation cancelled.")
    return redirect(evaluation)


@role_required(Perm.SIGN_DECISIONS)
def evaluation_decide(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id)
    candidates = evaluation.candidates.select_related("cmo").filter(knocked_out=False).ranked()
    form = DecisionForm(
        request.POST or None, candidates=candidates, initial={"candidate": candidates.first()}
    )
    if not evaluation.is_open:
        messages.error(request, f"This evaluation is {evaluation.get_status_display().lower()}.")
        return redirect(evaluation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            decision_sign(
                evaluation=evaluation,
                candidate=data["candidate"],
                user=request.user,
                password=data["password"],
                meaning=data["meaning"],
                rationale=data["rationale"],
                new_status=data["new_status"],
                address=request_address(request),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Decision signed: {data['candidate'].cmo} selected.")
            return redirect(evaluation)
    gates = candidates_gate(evaluation=evaluation, candidates=candidates)
    gate_rows = [
        (c, gates[c.pk], approval_refusal(candidate=c, gates=gates[c.pk])) for c in candidates
    ]
    return render(
        request,
        "scoring/decision_form.html",
        {
            "evaluation": evaluation,
            "form": form,
            "gate_rows": gate_rows,
            "requalification_months": settings.REQUALIFICATION_MONTHS,
        },
    )
