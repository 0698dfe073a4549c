"""Whose weights score what: an evaluation's own weights, shared models, and decided evaluations."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from scoring.models import CmoScore, Evaluation, ScoringModel
from scoring.services import (
    candidate_remove,
    candidates_add,
    cmo_scores_compute,
    criterion_dict,
    entered_score_save,
    evaluation_compute,
    evaluation_request_recompute,
    evaluation_save,
    evaluation_version_move,
    evaluation_weights_save,
    model_version_create,
)
from tests.factories import CmoFactory, EvaluationFactory
from tests.html_forms import form_with_button

pytestmark = pytest.mark.django_db

MORE_FIT = {"capability_fit": 30, "compliance": 10}


@pytest.fixture
def shared():
    return ScoringModel.objects.get(is_default=True)


@pytest.fixture
def other(shared, sourcing):
    """Another team's open evaluation on the same shared model."""
    return evaluation_save(
        evaluation=EvaluationFactory.build(created_by=sourcing), user=sourcing, needs=[]
    )


def shared_weights(shared, **changes) -> list[dict]:
    criteria = [criterion_dict(c) for c in shared.current_version.criteria.all()]
    for c in criteria:
        c["weight"] = changes.get(c["code"], c["weight"])
    return criteria


# Service rules


def test_weights_saved_for_an_evaluation_make_its_own_model_and_leave_others_alone(
    evaluation, other, shared, sourcing, django_capture_on_commit_callbacks
):
    cmo_scores_compute()
    before = dict(CmoScore.objects.values_list("cmo_id", "total"))
    with django_capture_on_commit_callbacks(execute=True):
        version = evaluation_weights_save(
            evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit matters more"
        )
    own = version.scoring_model
    assert own.name == "Weights for ABX-101 fill-finish" and own.owner == evaluation
    assert not own.is_default and own not in ScoringModel.objects.shared()
    assert shared.current_version.number == 1
    evaluation.refresh_from_db()
    other.refresh_from_db()
    assert evaluation.model_version == version == evaluation.scored_version
    assert other.version_in_use() == shared.current_version
    assert dict(CmoScore.objects.values_list("cmo_id", "total")) == before
    assert "Fit matters more" in evaluation.history.first().history_change_reason


def test_weights_saved_twice_make_the_second_version_of_the_same_own_model(evaluation, sourcing):
    first = evaluation_weights_save(
        evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit"
    )
    second = evaluation_weights_save(
        evaluation=evaluation,
        weights={"capability_fit": 20, "compliance": 20},
        user=sourcing,
        reason="Back",
    )
    assert second.scoring_model == first.scoring_model and second.number == 2


def test_own_weights_need_a_reason_100_in_all_and_an_editing_role(evaluation, sourcing, qa):
    with pytest.raises(ValidationError) as error:
        evaluation_weights_save(evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason=" ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        evaluation_weights_save(
            evaluation=evaluation, weights={"capability_fit": 30}, user=sourcing, reason="x"
        )
    assert error.value.message_dict["weights"] == [
        "The weights add up to 110; they must add up to exactly 100."
    ]
    with pytest.raises(PermissionDenied):
        evaluation_weights_save(evaluation=evaluation, weights=MORE_FIT, user=qa, reason="x")
    assert not ScoringModel.objects.filter(owner=evaluation).exists()


def test_an_own_model_cannot_be_changed_as_a_shared_model(evaluation, sourcing):
    version = evaluation_weights_save(
        evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit"
    )
    with pytest.raises(ValidationError, match="belong to one evaluation"):
        model_version_create(
            scoring_model=version.scoring_model,
            criteria=[criterion_dict(c) for c in version.criteria.all()],
            user=sourcing,
            note="x",
        )


def test_a_shared_model_change_leaves_open_evaluations_on_their_version_until_moved(
    evaluation, shared, sourcing, django_capture_on_commit_callbacks
):
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        v2 = model_version_create(
            scoring_model=shared,
            criteria=shared_weights(shared, **MORE_FIT),
            user=sourcing,
            note="Fit first",
        )
    evaluation.refresh_from_db()
    assert not evaluation.is_pending
    assert evaluation.version_in_use().number == 1 == evaluation.scored_version.number
    # The directory's qualification score follows the default model at once.
    assert set(CmoScore.objects.values_list("version", flat=True)) == {v2.pk}

    with pytest.raises(ValidationError) as error:
        evaluation_version_move(evaluation=evaluation, user=sourcing, reason="")
    assert "reason" in error.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_version_move(evaluation=evaluation, user=sourcing, reason="Adopt fit first")
    evaluation.refresh_from_db()
    assert evaluation.model_version == v2 == evaluation.scored_version
    assert evaluation.history.first().history_change_reason == (
        "Moved to Standard CMO qualification v2: Adopt fit first"
    )
    with pytest.raises(ValidationError, match="uses Standard CMO qualification v2 already"):
        evaluation_version_move(evaluation=evaluation, user=sourcing, reason="again")


def test_a_shared_model_change_needs_an_editing_role(shared, qa):
    with pytest.raises(PermissionDenied):
        model_version_create(
            scoring_model=shared, criteria=shared_weights(shared), user=qa, note="x"
        )


def test_a_decided_evaluation_refuses_every_change_in_the_services(decided, sourcing):
    candidate = decided.candidates.get(cmo__legal_name="Cork Sterile Ltd")
    criterion = decided.version_in_use().criteria.get(code="cost")
    attempts = [
        lambda: evaluation_weights_save(
            evaluation=decided, weights=MORE_FIT, user=sourcing, reason="x"
        ),
        lambda: evaluation_version_move(evaluation=decided, user=sourcing, reason="x"),
        lambda: evaluation_request_recompute(evaluation=decided, reason="x"),
        lambda: evaluation_save(evaluation=decided, user=sourcing, needs=[], reason="x"),
        lambda: candidates_add(evaluation=decided, cmos=[CmoFactory()], user=sourcing),
        lambda: candidate_remove(candidate=candidate, user=sourcing, reason="x"),
        lambda: entered_score_save(
            candidate=candidate, criterion=criterion, value=5, justification="x", user=sourcing
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="This evaluation is decided; it cannot change."):
            attempt()
    decided.refresh_from_db()
    assert not decided.is_pending and decided.candidates.count() == 3
    assert not ScoringModel.objects.filter(owner=decided).exists()


# Pages


def test_the_evaluation_page_saves_weights_for_itself_and_the_shared_page_keeps_v1(
    client_for, sourcing, evaluation, shared, django_capture_on_commit_callbacks
):
    evaluation_compute(evaluation=evaluation)
    client = client_for(sourcing)
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert "Save as new model version" not in page
    form = form_with_button(page, "Save weights for this evaluation")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            form.action,
            form.data(weight_capability_fit="30", weight_compliance="10", note="Fit first"),
        )
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert "Weights for ABX-101 fill-finish v1" in page
    assert "saved for this evaluation only" in page
    models = client.get(reverse("scoring:scoringmodel_list")).content.decode()
    assert "Weights for" not in models
    detail = client.get(shared.get_absolute_url()).content.decode()
    assert "Criteria of v1" in detail and "v2" not in detail


def test_a_decided_evaluation_page_offers_no_weights_save_and_refuses_a_post(
    client_for, sourcing, decided
):
    client = client_for(sourcing)
    page = client.get(decided.get_absolute_url()).content.decode()
    assert "Save weights for this evaluation" not in page and "Recompute" not in page
    response = client.post(
        reverse("scoring:evaluation_weights", args=[decided.pk]),
        {"weight_capability_fit": "30", "weight_compliance": "10", "note": "x"},
        follow=True,
    )
    assert "This evaluation is decided; it cannot change." in response.content.decode()
    response = client.post(reverse("scoring:evaluation_recompute", args=[decided.pk]), follow=True)
    assert "This evaluation is decided; it cannot change." in response.content.decode()
    assert not ScoringModel.objects.filter(owner=decided).exists()


def test_changing_a_shared_model_first_lists_the_open_evaluations_that_use_it(
    client_for, sourcing, evaluation, other, shared, django_capture_on_commit_callbacks
):
    client = client_for(sourcing)
    url = reverse("scoring:scoringmodel_edit", args=[shared.pk])
    form = form_with_button(client.get(url).content.decode(), "Review the change")
    codes = {v: k for k, v in form.fields.items() if k.endswith("-code")}
    data = form.data(
        **{
            codes["capability_fit"].replace("code", "weight"): "30",
            codes["compliance"].replace("code", "weight"): "10",
            "note": "Fit first",
        }
    )
    review = client.post(url, data)
    html = review.content.decode()
    assert review.status_code == 200 and shared.current_version.number == 1
    assert "ABX-101 fill-finish" in html and other.name in html
    assert "keep the version they use now" in html
    confirm = form_with_button(html, "Confirm and save version 2")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, confirm.data(button="Confirm and save version 2"))
    assert response.status_code == 302
    assert shared.current_version.number == 2
    assert shared.current_version.note == "Fit first"
    assert Evaluation.objects.get(pk=evaluation.pk).version_in_use().number == 1

    page = client.get(evaluation.get_absolute_url()).content.decode()
    move = form_with_button(page, "Move to the latest version")
    assert move.action == reverse("scoring:evaluation_version", args=[evaluation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(move.action, move.data(reason="Adopt v2"))
    page = client.get(evaluation.get_absolute_url()).content.decode()
    assert "Standard CMO qualification v2" in page and "Move to the latest version" not in page
    history = page[page.index('id="history"') :]
    assert "Moved to Standard CMO qualification v2: Adopt v2" in history
    assert "<li>Weights: <del>—</del> → <ins>Standard CMO qualification v2</ins></li>" in history


def test_qa_may_not_change_a_shared_model_and_an_own_model_has_no_edit_page(
    client_for, qa, sourcing, evaluation, shared
):
    assert (
        client_for(qa).get(reverse("scoring:scoringmodel_edit", args=[shared.pk])).status_code
        == 403
    )
    own = evaluation_weights_save(
        evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit"
    ).scoring_model
    client = client_for(sourcing)
    assert client.get(reverse("scoring:scoringmodel_edit", args=[own.pk])).status_code == 404
    detail = client.get(own.get_absolute_url()).content.decode()
    assert "belong to the evaluation" in detail and "Change weights" not in detail


# API


def test_the_api_saves_weights_for_one_evaluation_and_lists_only_shared_models(
    api_for, sourcing, evaluation, shared, django_capture_on_commit_callbacks
):
    api = api_for(sourcing)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/evaluations/{evaluation.pk}/weights/",
            {"weights": MORE_FIT, "note": "Fit first"},
            format="json",
        )
    assert response.status_code == 202, response.data
    assert response.data["model_version"] == "Weights for ABX-101 fill-finish v1"
    names = [m["name"] for m in api.get("/api/v1/scoring-models/").data["results"]]
    assert names == ["Standard CMO qualification"]
    assert api.get(f"/api/v1/scoring-models/{shared.pk}/").data["version"] == 1
    bad = api.post(
        f"/api/v1/evaluations/{evaluation.pk}/weights/",
        {"weights": {"capability_fit": 40}, "note": "x"},
        format="json",
    )
    assert bad.status_code == 400 and "weights" in bad.data


def test_the_api_moves_an_evaluation_to_the_latest_version_with_a_reason(
    api_for, sourcing, evaluation, shared
):
    model_version_create(
        scoring_model=shared, criteria=shared_weights(shared, **MORE_FIT), user=sourcing, note="x"
    )
    api = api_for(sourcing)
    url = f"/api/v1/evaluations/{evaluation.pk}/move-version/"
    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    response = api.post(url, {"reason": "Adopt v2"}, format="json")
    assert response.status_code == 202
    assert response.data["model_version"] == "Standard CMO qualification v2"


def test_the_api_refuses_every_change_to_a_decided_evaluation_with_400(api_for, sourcing, decided):
    api = api_for(sourcing)
    candidate = decided.candidates.get(cmo__legal_name="Cork Sterile Ltd")
    calls = [
        (f"/api/v1/evaluations/{decided.pk}/weights/", {"weights": MORE_FIT, "note": "x"}),
        (f"/api/v1/evaluations/{decided.pk}/move-version/", {"reason": "x"}),
        (f"/api/v1/evaluations/{decided.pk}/recompute/", {}),
        (f"/api/v1/evaluations/{decided.pk}/candidates/", {"cmos": [CmoFactory().pk]}),
        (
            f"/api/v1/candidates/{candidate.pk}/entries/",
            {"criterion": "cost", "value": "3", "justification": "Quote"},
        ),
    ]
    for url, body in calls:
        response = api.post(url, body, format="json")
        assert response.status_code == 400, (url, response.data)
        assert "This evaluation is decided; it cannot change." in str(response.data)
    response = api.patch(
        f"/api/v1/evaluations/{decided.pk}/", {"name": "x", "change_reason": "y"}, format="json"
    )
    assert response.status_code == 400
    decided.refresh_from_db()
    assert decided.name == "ABX-101 fill-finish" and not decided.is_pending


def test_the_api_records_an_entered_score_with_field_errors_for_bad_values(
    api_for, sourcing, qa, evaluation
):
    candidate = evaluation.candidates.first()
    url = f"/api/v1/candidates/{candidate.pk}/entries/"
    body = {"criterion": "communication", "value": "6", "justification": "Calls"}
    assert api_for(qa).post(url, body, format="json").status_code == 403
    bad = api_for(sourcing).post(url, body, format="json")
    assert bad.status_code == 400 and "value" in bad.data
    unknown = api_for(sourcing).post(url, {**body, "criterion": "nope"}, format="json")
    assert unknown.status_code == 400 and "criterion" in unknown.data
    ok = api_for(sourcing).post(url, {**body, "value": "4"}, format="json")
    assert ok.status_code == 202
    assert candidate.entries.get(criterion_code="communication").value == 4


def test_editing_an_evaluation_keeps_its_own_weights_and_a_new_shared_model_starts_at_its_newest(
    evaluation, shared, sourcing
):
    own = evaluation_weights_save(
        evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit"
    )
    evaluation.timeline = "PPQ in Q2"
    evaluation_save(evaluation=evaluation, user=sourcing, needs=[], reason="New timeline")
    evaluation.refresh_from_db()
    assert evaluation.model_version == own
    lean = ScoringModel.objects.create(name="Lean")
    v1 = model_version_create(
        scoring_model=lean, criteria=shared_weights(shared), user=sourcing, note="Start"
    )
    evaluation.scoring_model = lean
    evaluation_save(evaluation=evaluation, user=sourcing, needs=[], reason="Lean model")
    evaluation.refresh_from_db()
    assert evaluation.model_version == v1


def test_an_evaluation_cannot_choose_another_evaluations_own_weights(
    api_for, sourcing, evaluation, other
):
    own = evaluation_weights_save(
        evaluation=evaluation, weights=MORE_FIT, user=sourcing, reason="Fit"
    ).scoring_model
    response = api_for(sourcing).patch(
        f"/api/v1/evaluations/{other.pk}/",
        {"scoring_model": own.pk, "change_reason": "Borrow"},
        format="json",
    )
    assert response.status_code == 400 and "scoring_model" in response.data
    other.scoring_model = own
    with pytest.raises(ValidationError) as error:
        evaluation_save(evaluation=other, user=sourcing, needs=[], reason="Borrow")
    assert "scoring_model" in error.value.message_dict
