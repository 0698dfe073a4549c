"""Candidate pages: adding CMOs to an evaluation, entering their scores, removing them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.history import history_rows
from cmoselect.roles import Perm, has_perm, role_required
from scoring.access import get_candidate_for, get_evaluation_for
from scoring.forms import AddToEvaluationForm, EnteredScoreForm, needs_from_query
from scoring.models import Candidate, EnteredScore
from scoring.services import candidate_remove, candidates_add, entered_score_save
from vendors.models import Cmo

__all__ = [
    "candidates_add_from_search",
    "candidate_detail",
    "candidate_remove_view",
    "evaluation_add_candidates",
]


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_add_candidates(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    evaluation = get_evaluation_for(request.user, evaluation_id, write=True)
    ids = [int(v) for v in request.POST.getlist("cmo") if v.isdigit()]
    cmos = list(Cmo.objects.filter(pk__in=ids))
    if not cmos:
        messages.error(request, "Tick at least one CMO to add.")
        return redirect(evaluation)
    origin = request.POST.get("origin", Candidate.Origin.MANUAL)
    if origin not in Candidate.Origin.values:
        origin = Candidate.Origin.MANUAL
    try:
        added = candidates_add(evaluation=evaluation, cmos=cmos, user=request.user, origin=origin)
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(
            request,
            f"{len(added)} candidate{'s' if len(added) != 1 else ''} added; scores are being computed.",
        )
    return redirect(evaluation)


@role_required(Perm.EDIT_EVALUATIONS)
def candidates_add_from_search(request: HttpRequest) -> HttpResponse:
    """The CMOs ticked in a needs search (`cmo=<id>`), added to an open evaluation chosen here."""
    source = request.POST if request.method == "POST" else request.GET
    ids = [
        int(v) for v in source.getlist("cmos" if request.method == "POST" else "cmo") if v.isdigit()
    ]
    cmos = Cmo.objects.filter(pk__in=ids).order_by("legal_name")
    form = AddToEvaluationForm(request.POST or None, cmos=cmos)
    if request.method == "POST" and form.is_valid():
        evaluation = get_evaluation_for(
            request.user, form.cleaned_data["evaluation"].pk, write=True
        )
        try:
            added = candidates_add(
                evaluation=evaluation,
                cmos=form.cleaned_data["cmos"],
                user=request.user,
                origin=Candidate.Origin.NEEDS_SEARCH,
            )
        except ValidationError as error:
            # A decided or cancelled evaluation: said beside the evaluation chosen.
            form.add_error("evaluation", error.messages)
        else:
            messages.success(
                request,
                f"{len(added)} candidate{'s' if len(added) != 1 else ''} added to "
                f"{evaluation}; scores are being computed.",
            )
            return redirect(evaluation)
    # Back to the same search: the needs came along as `need=<capability id>:<level>`.
    asked = needs_from_query(request.GET.getlist("need"))
    back = reverse("vendors:needs")
    if asked:
        back += "?" + urlencode(
            [p for c, lvl in asked for p in (("capability", c), ("level", lvl))]
        )
    return render(
        request, "scoring/candidates_add.html", {"form": form, "chosen": bool(ids), "back": back}
    )


@role_required(Perm.VIEW, write=Perm.EDIT_EVALUATIONS)
def candidate_detail(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = get_candidate_for(request.user, candidate_id)
    evaluation = candidate.evaluation
    criteria = [c for c in evaluation.version_in_use().criteria.all() if c.is_entered]
    entries = {e.criterion_code: e for e in candidate.entries.select_related("entered_by")}
    # Each criterion's form has its own prefix; the one whose hidden field came back was posted.
    posted = next((c for c in criteria if f"{c.code}-criterion" in request.POST), None)
    forms = []
    for criterion in criteria:
        entry = entries.get(criterion.code)
        initial = (
            {"value": entry.value.normalize(), "justification": entry.justification}
            if entry
            else {}
        )
        data = request.POST if criterion == posted else None
        forms.append(
            (criterion, entry, EnteredScoreForm(data, initial=initial, criterion=criterion))
        )
    if request.method == "POST":
        form = next((f for c, _, f in forms if c == posted), None)
        if form is None:
            messages.error(request, "Choose a criterion to enter a score for.")
            return redirect(candidate)
        if form.is_valid():
            try:
                entered_score_save(
                    candidate=candidate,
                    criterion=posted,
                    value=form.cleaned_data["value"],
                    justification=form.cleaned_data["justification"],
                    user=request.user,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"{posted.name} saved; scores are being recomputed.")
                return redirect(f"{candidate.get_absolute_url()}#entry-{posted.code}")
    history = history_rows(
        EnteredScore.history.filter(candidate_id=candidate.pk).select_related("history_user")
    )
    return render(
        request,
        "scoring/candidate_detail.html",
        {
            "candidate": candidate,
            "evaluation": evaluation,
            "forms": forms,
            "history": history,
            "can_edit": has_perm(request.user, Perm.EDIT_EVALUATIONS) and evaluation.is_open,
        },
    )


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def candidate_remove_view(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = get_candidate_for(request.user, candidate_id, write=True)
    evaluation = candidate.evaluation
    try:
        candidate_remove(
            candidate=candidate, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        message_errors(request, error)
        return redirect(candidate)
    messages.success(request, f"{candidate.cmo} removed from the candidates.")
    return redirect(evaluation)
