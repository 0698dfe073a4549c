"""Entering prices and ratings on a candidate's page, through the forms the page renders."""

import re

import pytest

from scoring.models import EnteredScore
from scoring.services import evaluation_compute
from tests.html_forms import form_with

pytestmark = pytest.mark.django_db


def beside(html: str, field_name: str) -> str:
    """The text of the block that holds a field, its label and its errors."""
    match = re.search(rf'<div class="field" id="field-{field_name}">(.*?)</div>', html, re.S)
    assert match, f"no field block for {field_name}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


@pytest.fixture
def candidate(evaluation):
    return evaluation.candidates.get(cmo__legal_name="Cork Sterile Ltd")


@pytest.fixture
def candidate_page(client_for, sourcing, candidate):
    client = client_for(sourcing)

    def get() -> str:
        return client.get(candidate.get_absolute_url()).content.decode()

    get.client = client
    return get


def test_a_price_typed_into_the_rendered_form_is_stored_and_shown_after_reload(
    candidate_page, candidate, sourcing, django_capture_on_commit_callbacks
):
    html = candidate_page()
    assert "Not entered." in html
    form = form_with(html, "cost-value")
    with django_capture_on_commit_callbacks(execute=True):
        response = candidate_page.client.post(
            candidate.get_absolute_url(),
            form.data(**{"cost-value": "12.50", "cost-justification": "Quote Q-77 of 3 March"}),
        )
    assert response.status_code == 302
    entry = EnteredScore.objects.get(candidate=candidate, criterion_code="cost")
    assert entry.value == 12.5 and entry.entered_by == sourcing
    reloaded = candidate_page()
    assert "12.50 per unit: Quote Q-77 of 3 March" in reloaded
    assert form_with(reloaded, "cost-value").fields["cost-value"] == "12.5"
    candidate.refresh_from_db()
    assert candidate.score_of("cost") == 100.0


def test_both_ratings_save_from_their_own_forms(
    candidate_page, candidate, django_capture_on_commit_callbacks
):
    for code, value in [("communication", "4"), ("financial_stability", "2")]:
        form = form_with(candidate_page(), f"{code}-value")
        with django_capture_on_commit_callbacks(execute=True):
            candidate_page.client.post(
                candidate.get_absolute_url(),
                form.data(**{f"{code}-value": value, f"{code}-justification": f"{code} review"}),
            )
    html = candidate_page()
    assert "Rated 4 of 5: communication review" in html
    assert "Rated 2 of 5: financial_stability review" in html
    candidate.refresh_from_db()
    assert candidate.score_of("communication") == 75.0
    assert candidate.score_of("financial_stability") == 25.0


def test_the_rating_input_runs_from_1_to_5(candidate_page):
    attrs = form_with(candidate_page(), "communication-value").attrs["communication-value"]
    assert (attrs["type"], attrs["min"], attrs["max"], attrs["step"]) == ("number", "1", "5", "1")


@pytest.mark.parametrize(
    "field, changes, message",
    [
        (
            "communication-value",
            {"communication-value": "6", "communication-justification": "Great"},
            "Rate from 1 (unacceptable) to 5 (excellent).",
        ),
        (
            "cost-value",
            {"cost-value": "-1", "cost-justification": "Quote"},
            "Enter the quoted price per unit, above zero.",
        ),
        (
            "cost-justification",
            {"cost-value": "10", "cost-justification": ""},
            "This field is required.",
        ),
    ],
)
def test_a_bad_value_is_refused_with_the_error_beside_its_field(
    candidate_page, candidate, field, changes, message
):
    form = form_with(candidate_page(), next(iter(changes)))
    response = candidate_page.client.post(candidate.get_absolute_url(), form.data(**changes))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in beside(html, field)
    assert not EnteredScore.objects.filter(candidate=candidate).exists()
    # What was typed stays in the form to be corrected.
    assert form_with(html, field).fields[field] == changes[field]


def test_an_error_of_the_hidden_criterion_field_shows_at_the_top_of_its_form(
    candidate_page, candidate
):
    form = form_with(candidate_page(), "cost-value")
    data = form.data(
        **{"cost-criterion": "communication", "cost-value": "10", "cost-justification": "Quote"}
    )
    html = candidate_page.client.post(candidate.get_absolute_url(), data).content.decode()
    top = re.search(r'<ul class="errorlist nonfield" data-field="cost-criterion">(.*?)</ul>', html)
    assert top and "This form enters Cost per unit" in top.group(1)
    assert not EnteredScore.objects.exists()


def test_a_decided_evaluation_shows_entered_scores_without_forms(
    client_for, sourcing, manager, candidate, decided
):
    html = client_for(sourcing).get(candidate.get_absolute_url()).content.decode()
    assert "cost-value" not in html and "Remove candidate" not in html


def test_removing_a_candidate_needs_a_reason_and_is_in_the_evaluation_history(
    candidate_page, candidate, evaluation, sourcing, django_capture_on_commit_callbacks
):
    form = form_with(candidate_page(), "reason")
    response = candidate_page.client.post(form.action, form.data(reason=""), follow=True)
    assert "Say why this record is being changed." in response.content.decode()
    assert evaluation.candidates.filter(pk=candidate.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        candidate_page.client.post(form.action, form.data(reason="Site closes in 2027"))
    assert not evaluation.candidates.filter(pk=candidate.pk).exists()
    html = candidate_page.client.get(evaluation.get_absolute_url()).content.decode()
    history = html[html.index('id="history"') :]
    assert "Candidate removed" in history and "Cork Sterile Ltd" in history
    assert "Site closes in 2027" in history


def test_the_evaluation_history_names_entered_scores_with_who_and_why(
    candidate_page, candidate, evaluation, sourcing, django_capture_on_commit_callbacks
):
    sourcing_name = sourcing.get_full_name()
    evaluation_compute(evaluation=evaluation)
    form = form_with(candidate_page(), "cost-value")
    with django_capture_on_commit_callbacks(execute=True):
        candidate_page.client.post(
            candidate.get_absolute_url(),
            form.data(**{"cost-value": "9", "cost-justification": "Quote Q-12"}),
        )
    html = candidate_page.client.get(evaluation.get_absolute_url()).content.decode()
    history = html[html.index('id="history"') :]
    assert "Entered score added" in history and "cost of Cork Sterile Ltd = 9" in history
    assert "Reason: Quote Q-12" in history and sourcing_name in history
