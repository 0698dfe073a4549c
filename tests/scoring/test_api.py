import pytest

from scoring.models import Evaluation, ScoringModel

pytestmark = pytest.mark.django_db


def test_sourcing_creates_an_evaluation_adds_candidates_and_reads_scores(
    api_for, sourcing, capabilities, django_capture_on_commit_callbacks
):
    from tests.factories import SiteFactory
    from tests.scoring.conftest import give

    api = api_for(sourcing)
    model = ScoringModel.objects.get(is_default=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/evaluations/",
            {
                "name": "API evaluation",
                "product": "ABX-9",
                "phase": "phase_3",
                "scoring_model": model.pk,
                "annual_volume": "1000",
                "volume_unit": "vials/year",
                "needs": [{"capability": capabilities["vials"].code, "min_level": 2}],
            },
            format="json",
        )
    assert response.status_code == 201, response.data
    evaluation_id = response.data["id"]
    assert response.data["needs"] == [{"capability": capabilities["vials"].code, "min_level": 2}]
    sites = [SiteFactory(), SiteFactory()]
    give(sites[0], capabilities["vials"], 3, 2000)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/evaluations/{evaluation_id}/candidates/",
            {"cmos": [s.cmo_id for s in sites]},
            format="json",
        )
    assert response.status_code == 200
    scores = api.get(f"/api/v1/evaluations/{evaluation_id}/scores/").data
    assert scores["pending"] is False
    first, second = scores["candidates"]
    assert first["rank"] == 1 and first["breakdown"][0]["score"] == 100.0
    assert second["knocked_out"] and second["knockout_reasons"]
    assert api.post(f"/api/v1/evaluations/{evaluation_id}/recompute/").status_code == 202
    one = api.post(
        "/api/v1/comparison-reports/",
        {"evaluation": evaluation_id, "candidates": [first["id"]]},
        format="json",
    )
    assert one.status_code == 400 and "candidates" in one.data


def test_weights_through_the_api_must_add_up_to_100(api_for, sourcing, qa):
    model = ScoringModel.objects.get(is_default=True)
    criteria = api_for(qa).get(f"/api/v1/scoring-models/{model.pk}/").data["criteria"]
    criteria[0]["weight"] += 1
    assert (
        api_for(qa)
        .post(
            f"/api/v1/scoring-models/{model.pk}/weights/",
            {"criteria": criteria, "note": "x"},
            format="json",
        )
        .status_code
        == 403
    )
    response = api_for(sourcing).post(
        f"/api/v1/scoring-models/{model.pk}/weights/",
        {"criteria": criteria, "note": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "add up to 101" in str(response.data)
    criteria[1]["weight"] -= 1
    response = api_for(sourcing).post(
        f"/api/v1/scoring-models/{model.pk}/weights/",
        {"criteria": criteria, "note": "Tuned"},
        format="json",
    )
    assert response.status_code == 200 and response.data["version"] == 2


def test_an_evaluation_update_needs_a_reason(api_for, sourcing):
    from tests.factories import EvaluationFactory

    evaluation = EvaluationFactory()
    response = api_for(sourcing).patch(
        f"/api/v1/evaluations/{evaluation.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 400 and "change_reason" in response.data
    response = api_for(sourcing).patch(
        f"/api/v1/evaluations/{evaluation.pk}/",
        {"name": "Renamed", "change_reason": "Clearer"},
        format="json",
    )
    assert response.status_code == 200
    assert (
        Evaluation.objects.get(pk=evaluation.pk).history.first().history_change_reason == "Clearer"
    )
