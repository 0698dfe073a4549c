"""Scoring model pages: the list, a model's versions, creating and editing one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cmoselect.forms import apply_service_errors
from cmoselect.roles import Perm, role_required
from scoring.access import get_scoring_model_for
from scoring.forms import CriterionFormSet, ScoringModelForm, VersionNoteForm
from scoring.models import Evaluation, ScoringModel
from scoring.services import (
    criteria_validate,
    criterion_dict,
    model_version_create,
    scoring_model_create,
)

__all__ = [
    "scoringmodel_create",
    "scoringmodel_detail",
    "scoringmodel_edit",
    "scoringmodel_list",
]


@role_required(Perm.VIEW)
def scoringmodel_list(request: HttpRequest) -> HttpResponse:
    models = ScoringModel.objects.shared().prefetch_related(
        Prefetch("versions", to_attr="all_versions")
    )
    return render(request, "scoring/scoringmodel_list.html", {"models": models})


@role_required(Perm.VIEW)
def scoringmodel_detail(request: HttpRequest, scoringmodel_id: int) -> HttpResponse:
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
def scoringmodel_create(request: HttpRequest) -> HttpResponse:
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
def scoringmodel_edit(request: HttpRequest, scoringmodel_id: int) -> HttpResponse:
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
