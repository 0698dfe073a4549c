from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cmoselect.downloads import download, rendered_report_download
from cmoselect.esign import request_address
from cmoselect.forms import apply_service_errors, message_errors
from cmoselect.history import history_rows
from cmoselect.htmx import is_htmx
from cmoselect.roles import Perm, has_perm, role_required
from scoring import reports, sources
from scoring.access import (
    get_candidate_for,
    get_comparison_report_for,
    get_evaluation_for,
    get_scoring_model_for,
)
from scoring.forms import (
    CriterionFormSet,
    DecisionForm,
    EnteredScoreForm,
    EvaluationForm,
    NeedFormSet,
    ScoringModelForm,
    VersionNoteForm,
)
from scoring.history import evaluation_history
from scoring.models import (
    Candidate,
    Decision,
    EnteredScore,
    Evaluation,
    ScoringModel,
)
from scoring.services import (
    candidate_remove,
    candidates_add,
    criteria_validate,
    criterion_dict,
    decision_sign,
    entered_score_save,
    evaluation_cancel,
    evaluation_request_recompute,
    evaluation_save,
    evaluation_version_move,
    evaluation_weights_save,
    model_version_create,
    scoring_model_create,
)
from vendors.models import Cmo


@role_required(Perm.VIEW)
def evaluation_list(request):
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


def _evaluation_form(request, evaluation: Evaluation | None):
    instance = evaluation or Evaluation()
    form = EvaluationForm(request.POST or None, instance=instance)
    initial = (
        [{"capability": n.capability, "min_level": n.min_level} for n in instance.needs.all()]
        if instance.pk
        else []
    )
    needs = NeedFormSet(request.POST or None, initial=initial, prefix="needs")
    if request.method == "POST" and form.is_valid() and needs.is_valid():
        try:
            saved = evaluation_save(
                evaluation=form.save(commit=False),
                user=request.user,
                needs=needs.needs(),
                team=form.cleaned_data["team"],
                reason=form.cleaned_data.get("change_reason", ""),
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
def evaluation_create(request):
    return _evaluation_form(request, None)


@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_edit(request, evaluation_id: int):
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
def evaluation_detail(request, evaluation_id: int):
    evaluation = get_evaluation_for(request.user, evaluation_id)
    candidates = list(evaluation.candidates.select_related("cmo").ranked())
    candidates.sort(key=lambda c: (c.rank is None, c.rank or 0, c.cmo.legal_name))
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
def evaluation_add_candidates(request, evaluation_id: int):
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


@require_POST
@role_required(Perm.EDIT_EVALUATIONS)
def evaluation_recompute(request, evaluation_id: int):
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
def evaluation_save_weights(request, evaluation_id: int):
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
def evaluation_move_version(request, evaluation_id: int):
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
def evaluation_cancel_view(request, evaluation_id: int):
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
def evaluation_decide(request, evaluation_id: int):
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
    return render(request, "scoring/decision_form.html", {"evaluation": evaluation, "form": form})


@require_POST
@role_required(Perm.VIEW)
def evaluation_request_report(request, evaluation_id: int):
    evaluation = get_evaluation_for(request.user, evaluation_id)
    ids = [int(v) for v in request.POST.getlist("candidate") if v.isdigit()]
    chosen = list(evaluation.candidates.filter(pk__in=ids))
    try:
        reports.report_request(evaluation=evaluation, candidates=chosen, user=request.user)
    except ValidationError as error:
        message_errors(request, error)
    else:
        messages.success(request, "The comparison report is being rendered.")
    return redirect(f"{evaluation.get_absolute_url()}#reports")


@require_GET
@role_required(Perm.VIEW)
def evaluation_export(request, evaluation_id: int, fmt: str = "csv"):
    evaluation = get_evaluation_for(request.user, evaluation_id)
    name = f"scores-{evaluation.pk}"
    if fmt == "xlsx":
        return download(reports.scores_xlsx(evaluation), filename=f"{name}.xlsx")
    return download(reports.scores_csv(evaluation), filename=f"{name}.csv")


@role_required(Perm.VIEW, write=Perm.EDIT_EVALUATIONS)
def candidate_detail(request, candidate_id: int):
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
def candidate_remove_view(request, candidate_id: int):
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


@role_required(Perm.VIEW)
def report_status(request, comparisonreport_id: int):
    report = get_comparison_report_for(request.user, comparisonreport_id)
    return render(request, "scoring/_report_row.html", {"report": report})


@require_GET
@role_required(Perm.VIEW)
def report_download(request, comparisonreport_id: int):
    return rendered_report_download(get_comparison_report_for(request.user, comparisonreport_id))


@role_required(Perm.VIEW)
def scoringmodel_list(request):
    models = ScoringModel.objects.shared().prefetch_related(
        Prefetch("versions", to_attr="all_versions")
    )
    return render(request, "scoring/scoringmodel_list.html", {"models": models})


@role_required(Perm.VIEW)
def scoringmodel_detail(request, scoringmodel_id: int):
    scoring_model = get_scoring_model_for(request.user, scoringmodel_id)
    versions = list(
        scoring_model.versions.select_related("created_by").prefetch_related("criteria")
    )
    codes = []
    for version in reversed(versions):
        for c in version.criteria.all():
            if (c.code, c.name) not in codes:
                codes.append((c.code, c.name))
    matrix = [
        (
            version,
            [
                next((c.weight for c in version.criteria.all() if c.code == code), None)
                for code, _ in codes
            ],
        )
        for version in versions
    ]
    return render(
        request,
        "scoring/scoringmodel_detail.html",
        {
            "model": scoring_model,
            "current": versions[0] if versions else None,
            "codes": codes,
            "matrix": matrix,
        },
    )


@role_required(Perm.EDIT_EVALUATIONS)
def scoringmodel_create(request):
    form = ScoringModelForm(
        request.POST or None,
        initial={"based_on": ScoringModel.objects.shared().filter(is_default=True).first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            scoring_model = scoring_model_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Scoring model {scoring_model} created.")
            return redirect(scoring_model)
    return render(request, "scoring/scoringmodel_form.html", {"form": form})


@role_required(Perm.EDIT_EVALUATIONS)
def scoringmodel_edit(request, scoringmodel_id: int):
    scoring_model = get_scoring_model_for(request.user, scoringmodel_id, write=True)
    initial = [criterion_dict(c) for c in scoring_model.current_version.criteria.all()]
    formset = CriterionFormSet(request.POST or None, initial=initial, prefix="criteria")
    note = VersionNoteForm(request.POST or None)
    errors: list[str] = []
    review = False
    if request.method == "POST" and formset.is_valid() and note.is_valid():
        criteria = [f.cleaned_data for f in formset.forms if f.cleaned_data.get("code")]
        try:
            if request.POST.get("confirm") != "yes":
                # First the person sees which open evaluations use the model, then saves.
                criteria_validate(criteria)
                review = True
            else:
                model_version_create(
                    scoring_model=scoring_model,
                    criteria=criteria,
                    user=request.user,
                    note=note.cleaned_data["note"],
                )
        except ValidationError as error:
            errors = error.messages
        else:
            if not review:
                messages.success(request, "New version saved.")
                return redirect(scoring_model)
    return render(
        request,
        "scoring/scoringmodel_edit.html",
        {
            "model": scoring_model,
            "formset": formset,
            "note_form": note,
            "errors": errors,
            "review": review,
            "using": Evaluation.objects.open()
            .filter(scoring_model=scoring_model)
            .select_related("model_version__scoring_model"),
        },
    )
