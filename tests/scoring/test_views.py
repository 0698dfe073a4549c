import csv
import io
import subprocess

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from scoring.models import ComparisonReport, Decision, Evaluation, ScoringModel
from scoring.services import cmo_scores_compute, evaluation_compute, evaluation_scores_hash
from tests.conftest import PASSWORD
from tests.html_forms import form_with_button
from vendors.models import Cmo, QualificationStatus

pytestmark = pytest.mark.django_db


def test_sourcing_creates_an_evaluation_with_needs(client_for, sourcing, capabilities):
    client = client_for(sourcing)
    model = ScoringModel.objects.get(is_default=True)
    response = client.post(
        reverse("scoring:evaluation_create"),
        {
            "name": "ABX-7 fill-finish",
            "product": "ABX-7",
            "phase": "phase_1",
            "annual_volume": "20000",
            "volume_unit": "vials/year",
            "scoring_model": model.pk,
            "needs-TOTAL_FORMS": "3",
            "needs-INITIAL_FORMS": "0",
            "needs-0-capability": capabilities["vials"].pk,
            "needs-0-min_level": "2",
            "needs-1-capability": "",
            "needs-1-min_level": "2",
            "needs-2-capability": "",
            "needs-2-min_level": "2",
        },
    )
    evaluation = Evaluation.objects.get(name="ABX-7 fill-finish")
    assert response.status_code == 302 and response.url == evaluation.get_absolute_url()
    assert list(evaluation.needs.values_list("capability", "min_level")) == [
        (capabilities["vials"].pk, 2)
    ]
    assert evaluation.history.first().history_user == sourcing


def test_the_same_capability_twice_is_refused_beside_the_needs(client_for, sourcing, capabilities):
    vials = capabilities["vials"].pk
    response = client_for(sourcing).post(
        reverse("scoring:evaluation_create"),
        {
            "name": "x",
            "product": "x",
            "phase": "phase_1",
            "scoring_model": ScoringModel.objects.get(is_default=True).pk,
            "needs-TOTAL_FORMS": "2",
            "needs-INITIAL_FORMS": "0",
            "needs-0-capability": vials,
            "needs-0-min_level": "2",
            "needs-1-capability": vials,
            "needs-1-min_level": "1",
        },
    )
    assert response.status_code == 200
    assert "is listed twice" in response.content.decode()


def test_the_detail_page_shows_ranks_explanations_and_links(client_for, qa, evaluation):
    evaluation_compute(evaluation=evaluation)
    page = client_for(qa).get(evaluation.get_absolute_url()).content.decode()
    assert "Ranked 1st of 3" in page
    assert "Excluded" in page
    assert 'id="what-if-data"' in page
    cork = evaluation.cmos["Cork Sterile Ltd"]
    assert f'href="/cmos/{cork.pk}/#sites"' in page


def test_a_pending_recomputation_polls_and_stops_when_done(client_for, qa, evaluation):
    Evaluation.objects.filter(pk=evaluation.pk).update(
        pending_since="2026-01-01T00:00Z", pending_token="t"
    )
    client = client_for(qa)
    url = evaluation.get_absolute_url() + "?fragment=scores"
    pending = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Recomputing" in pending and 'hx-trigger="every 2s"' in pending
    evaluation_compute(evaluation=Evaluation.objects.get(pk=evaluation.pk))
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Recomputing" not in done and "every 2s" not in done and "Ranked 1st" in done


def test_saving_what_if_weights_needs_100_and_applies_to_this_evaluation_alone(
    client_for, sourcing, evaluation, django_capture_on_commit_callbacks
):
    evaluation_compute(evaluation=evaluation)
    client = client_for(sourcing)
    page = client.get(evaluation.get_absolute_url()).content.decode()
    form = form_with_button(page, "Save weights for this evaluation")
    too_much = form.data(weight_capability_fit="30", note="Fit matters more")
    response = client.post(form.action, too_much, follow=True)
    assert "The weights add up to 110" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form.action, {**too_much, "weight_compliance": "10"})
    shared = evaluation.scoring_model
    assert shared.current_version.number == 1
    assert shared.current_version.criteria.get(code="capability_fit").weight == 20
    evaluation.refresh_from_db()
    own = evaluation.model_version.scoring_model
    assert own.name == "Weights for ABX-101 fill-finish" and own.owner == evaluation
    assert evaluation.model_version.criteria.get(code="capability_fit").weight == 30
    assert evaluation.scored_version == evaluation.model_version


def test_entered_scores_are_saved_from_the_candidate_page(
    client_for, sourcing, evaluation, django_capture_on_commit_callbacks
):
    candidate = evaluation.candidates.first()
    client = client_for(sourcing)
    url = candidate.get_absolute_url()
    response = client.post(
        url,
        {
            "criterion": "communication",
            "communication-criterion": "communication",
            "communication-value": "4",
            "communication-justification": "",
        },
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "criterion": "communication",
                "communication-criterion": "communication",
                "communication-value": "4",
                "communication-justification": "Weekly calls, minutes sent",
            },
        )
    candidate.refresh_from_db()
    assert candidate.score_of("communication") == 75.0


def test_csv_export_has_one_row_per_candidate(client_for, qa, evaluation):
    evaluation_compute(evaluation=evaluation)
    response = client_for(qa).get(reverse("scoring:evaluation_csv", args=[evaluation.pk]))
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("Rank,CMO,Total,Excluded,Capability fit (20%)")
    assert lines[1].startswith("1,Basel Biologics AG,88.9")
    assert len(lines) == 4
    xlsx = client_for(qa).get(reverse("scoring:evaluation_xlsx", args=[evaluation.pk]))
    assert xlsx.content[:2] == b"PK"


def test_a_manager_signs_the_decision_with_the_password_and_moves_the_cmo(
    client_for, manager, evaluation
):
    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    basel = evaluation.candidates.get(rank=1)
    client = client_for(manager)
    url = reverse("scoring:evaluation_decide", args=[evaluation.pk])
    data = {
        "candidate": basel.pk,
        "meaning": "selected",
        "rationale": "Best fit and capacity",
        "new_status": QualificationStatus.UNDER_EVALUATION,
        "password": "wrong",
    }
    response = client.post(url, data)
    assert "The password is not correct" in response.content.decode()
    assert not Decision.objects.exists()
    expected_hash = evaluation_scores_hash(evaluation)
    response = client.post(url, {**data, "password": PASSWORD})
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.signed_by == manager and decision.scores_hash == expected_hash
    assert decision.scores_snapshot["candidates"][0]["cmo__legal_name"] == "Basel Biologics AG"
    evaluation.refresh_from_db()
    assert evaluation.status == Evaluation.Status.DECIDED
    basel.cmo.refresh_from_db()
    assert basel.cmo.qualification_status == QualificationStatus.UNDER_EVALUATION
    cmo_move = basel.cmo.status_changes.get(site=None)
    assert cmo_move.changed_by == manager and cmo_move.decision == decision
    # The sites it will use move with it, each move linked to the signed decision.
    site_moves = basel.cmo.status_changes.exclude(site=None)
    assert {m.site for m in site_moves} == set(basel.cmo.sites.all())
    assert {m.decision for m in site_moves} == {decision}


def test_a_knocked_out_candidate_cannot_be_selected(client_for, manager, evaluation):
    evaluation_compute(evaluation=evaluation)
    excluded = evaluation.candidates.get(knocked_out=True)
    response = client_for(manager).post(
        reverse("scoring:evaluation_decide", args=[evaluation.pk]),
        {"candidate": excluded.pk, "meaning": "selected", "rationale": "x", "password": PASSWORD},
    )
    assert response.status_code == 200 and not Decision.objects.exists()


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_comparison_pdf_holds_candidates_scores_and_the_decision(
    client_for, manager, evaluation, django_capture_on_commit_callbacks
):
    evaluation_compute(evaluation=evaluation)
    client = client_for(manager)
    basel = evaluation.candidates.get(rank=1)
    client.post(
        reverse("scoring:evaluation_decide", args=[evaluation.pk]),
        {
            "candidate": basel.pk,
            "meaning": "selected",
            "rationale": "Best fit and capacity",
            "password": PASSWORD,
        },
    )
    ids = list(evaluation.candidates.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("scoring:evaluation_report", args=[evaluation.pk]), {"candidate": ids})
    report = ComparisonReport.objects.get()
    assert report.status == ComparisonReport.Status.READY and report.with_decision
    response = client.get(reverse("scoring:comparisonreport_download", args=[report.pk]))
    text = pdf_text(b"".join(response.streaming_content))
    for name in ("Basel Biologics AG", "Cork Sterile Ltd", "Hyderabad Fine Chemicals"):
        assert name in text
    assert "Decision: Basel Biologics AG selected." in text
    assert "Best fit and capacity" in text
    cork = evaluation.candidates.get(cmo__legal_name="Cork Sterile Ltd")
    assert f"{cork.total:.1f}" in text
    assert "Required capability not met" in text


def test_a_report_needs_two_to_ten_candidates(client_for, qa, evaluation):
    evaluation_compute(evaluation=evaluation)
    one = evaluation.candidates.first()
    response = client_for(qa).post(
        reverse("scoring:evaluation_report", args=[evaluation.pk]),
        {"candidate": [one.pk]},
        follow=True,
    )
    assert "Compare from 2 to 10 candidates (1 chosen)" in response.content.decode()
    assert not ComparisonReport.objects.exists()


def test_a_report_not_ready_is_not_downloadable(client_for, qa, evaluation):
    report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=qa)
    assert (
        client_for(qa)
        .get(reverse("scoring:comparisonreport_download", args=[report.pk]))
        .status_code
        == 404
    )
    row = (
        client_for(qa)
        .get(reverse("scoring:comparisonreport_status", args=[report.pk]))
        .content.decode()
    )
    assert "Queued" in row and "every 2s" in row
    report.status = "ready"
    report.file.save("r.pdf", ContentFile(b"%PDF"))
    row = (
        client_for(qa)
        .get(reverse("scoring:comparisonreport_status", args=[report.pk]))
        .content.decode()
    )
    assert "Download PDF" in row and "every 2s" not in row


def test_the_cmo_list_sorts_by_qualification_score(client_for, qa, evaluation):
    cmo_scores_compute()
    response = client_for(qa).get(reverse("vendors:cmo_list") + "?ordering=-score")
    page = response.content.decode()
    assert "Score" in page
    # Basel: sites in CH and US (100); Cork: one site (60); Hyderabad: two sites, both in IN (55)
    assert (
        page.index("Basel Biologics AG")
        < page.index("Cork Sterile Ltd")
        < page.index("Hyderabad Fine Chemicals")
    )


@pytest.mark.parametrize("n", [3, 20])
def test_the_evaluation_page_costs_the_same_queries_for_3_or_20_candidates(
    n, client_for, qa, sourcing, capabilities
):
    from tests.factories import CandidateFactory, EvaluationFactory, SiteFactory

    evaluation = EvaluationFactory(created_by=sourcing)
    for _ in range(n):
        CandidateFactory(evaluation=evaluation, cmo=SiteFactory().cmo)
    evaluation_compute(evaluation=evaluation)
    client = client_for(qa)
    client.get(evaluation.get_absolute_url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(evaluation.get_absolute_url())
    # 14, three for the history of candidates and entered scores, whatever their number, one
    # for the header's unread notifications count, and one for the candidates' ASL standing.
    assert len(queries) == 19, [q["sql"] for q in queries]


def test_the_score_exports_write_a_formula_like_cmo_name_as_text(client_for, qa, evaluation):
    evil = '=HYPERLINK("http://evil.example","Click")'
    Cmo.objects.filter(pk=evaluation.cmos["Basel Biologics AG"].pk).update(legal_name=evil)
    evaluation_compute(evaluation=evaluation)
    client = client_for(qa)
    text = client.get(reverse("scoring:evaluation_csv", args=[evaluation.pk])).content.decode()
    first = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert first[:3] == ["1", "'" + evil, "88.9"]
    response = client.get(reverse("scoring:evaluation_xlsx", args=[evaluation.pk]))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        names = [cell for row in sheet.iter_rows() for cell in row if cell.value == "'" + evil]
        assert names and all(cell.data_type == "s" for cell in names)
    assert book["Scores"]["C2"].value == 88.9


@pytest.mark.parametrize(
    ("url_name", "content_type"),
    [
        ("scoring:evaluation_csv", "text/csv; charset=utf-8"),
        (
            "scoring:evaluation_xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ],
)
def test_the_score_exports_download_as_named_attachments(
    client_for, qa, evaluation, url_name, content_type
):
    evaluation_compute(evaluation=evaluation)
    response = client_for(qa).get(reverse(url_name, args=[evaluation.pk]))
    extension = url_name.rsplit("_", 1)[-1]
    assert response["Content-Type"] == content_type
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="scores-{evaluation.pk}.{extension}"'
    )


def test_a_ready_comparison_report_downloads_as_a_named_pdf(client_for, qa, evaluation):
    report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=qa, status="ready")
    report.file.save("stored-name.pdf", ContentFile(b"%PDF-1.7 comparison"))
    response = client_for(qa).get(reverse("scoring:comparisonreport_download", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="comparison-{evaluation.pk}-{report.pk}.pdf"'
    )
    assert b"".join(response.streaming_content) == b"%PDF-1.7 comparison"
    report.file.storage.delete(report.file.name)
    gone = client_for(qa).get(reverse("scoring:comparisonreport_download", args=[report.pk]))
    assert gone.status_code == 404


def test_the_evaluation_pages_name_people_as_the_app_does_not_by_username(client_for, manager):
    from tests.factories import CandidateFactory, UserFactory

    sofia = UserFactory(username="sr-042", first_name="Sofia", last_name="Ramirez")
    candidate = CandidateFactory(evaluation__created_by=sofia)
    ComparisonReport.objects.create(evaluation=candidate.evaluation, requested_by=sofia)
    client = client_for(manager)
    page = client.get(candidate.evaluation.get_absolute_url()).content.decode()
    assert "by Sofia Ramirez</dd>" in page
    assert "UTC by Sofia Ramirez" in page  # the comparison report's row
    candidate_page = client.get(reverse("scoring:candidate_detail", args=[candidate.pk]))
    assert "by Sofia Ramirez</p>" in candidate_page.content.decode()
    assert "sr-042" not in page + candidate_page.content.decode()
