"""Audit decisions: outcomes bounded by the recommendation, who may sign, completeness."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audits.models import Answer, Audit, Severity, Signature
from audits.outcomes import latest_approved_audits
from audits.services import answer_save, audit_change_status, audit_decide
from audits.services.reports import report_html
from cmoselect.models import SignatureFailure
from tests.conftest import PASSWORD
from tests.factories import answer_all, make_audit, make_checklist, raise_finding, submit_for_review
from tests.html_forms import rendered_form
from vendors.models import QualificationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_progress(qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    answer_all(audit, qa)
    return audit


@pytest.fixture
def conditional(in_progress, qa):
    """In review with an open major finding: conditional approval at most."""
    major = raise_finding(in_progress, qa, Severity.MAJOR)
    return submit_for_review(in_progress, qa), major


def sign(audit, user, **overrides):
    kwargs = {"password": PASSWORD, "decision": "approve", "meaning": "approved"}
    return audit_decide(audit=audit, user=user, **{**kwargs, **overrides})


# ── outcomes ────────────────────────────────────────────────────────────────────────────────


def test_conditional_at_most_refuses_a_plain_approval(conditional, reviewer):
    audit, _ = conditional
    with pytest.raises(ValidationError) as error:
        sign(audit, reviewer)
    assert "approved with conditions at most" in error.value.message_dict["decision"][0]
    assert not Signature.objects.exists()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_REVIEW


def test_a_conditional_approval_keeps_its_conditions_and_the_findings_they_depend_on(
    conditional, reviewer
):
    audit, major = conditional
    signature = sign(
        audit,
        reviewer,
        decision="conditional",
        conditions="Close F01 within 30 days",
        findings=[major],
    )
    audit.refresh_from_db()
    assert audit.status == Audit.Status.CONDITIONALLY_APPROVED and audit.is_decided
    assert audit.recommended_outcome == "conditional"
    assert signature.conditions == "Close F01 within 30 days"
    assert list(signature.findings.all()) == [major]
    # Scoring reads a conditionally approved audit, with its conditional outcome.
    outcome = latest_approved_audits([audit.site.cmo_id])[audit.site.cmo_id]
    assert outcome.audit_id == audit.pk and outcome.recommended_outcome == "conditional"


def test_a_conditional_approval_needs_conditions_and_every_open_major_finding_linked(
    conditional, reviewer, qa
):
    audit, major = conditional
    with pytest.raises(ValidationError) as error:
        sign(audit, reviewer, decision="conditional", conditions=" ", findings=[major])
    assert set(error.value.message_dict) == {"conditions"}
    with pytest.raises(ValidationError) as error:
        sign(audit, reviewer, decision="conditional", conditions="Fix it")
    assert "F01" in error.value.message_dict["findings"][0]
    elsewhere = raise_finding(make_audit(status=Audit.Status.IN_PROGRESS), qa, Severity.MAJOR)
    with pytest.raises(ValidationError) as error:
        sign(audit, reviewer, decision="conditional", conditions="Fix", findings=[major, elsewhere])
    assert "only open findings of this audit" in error.value.message_dict["findings"][0]
    assert not Signature.objects.exists()


def test_not_approvable_allows_only_a_rejection(in_progress, qa, reviewer):
    major = raise_finding(in_progress, qa, Severity.MAJOR)
    raise_finding(in_progress, qa, Severity.CRITICAL, title="Data deleted")
    audit = submit_for_review(in_progress, qa)
    for decision in ("approve", "conditional"):
        with pytest.raises(ValidationError) as error:
            sign(audit, reviewer, decision=decision, conditions="c", findings=[major])
        assert "can only be rejected" in error.value.message_dict["decision"][0]
    sign(audit, reviewer, decision="reject", comment="Critical data integrity finding")
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REJECTED


def test_a_conditional_approval_qualifies_its_site_as_conditionally_approved_only(
    conditional, reviewer
):
    audit, major = conditional
    site = audit.site
    site.qualification_status = QualificationStatus.UNDER_EVALUATION
    site.save()
    sign(
        audit, reviewer, decision="conditional", conditions="c", findings=[major], qualify_site=True
    )
    site.refresh_from_db()
    assert site.qualification_status == QualificationStatus.CONDITIONALLY_APPROVED
    change = site.status_changes.get()
    assert audit.reference in change.reason and change.changed_by == reviewer


def test_an_approval_qualifies_its_site_as_approved(in_progress, qa, reviewer):
    audit = submit_for_review(in_progress, qa)
    site = audit.site
    site.qualification_status = QualificationStatus.UNDER_EVALUATION
    site.save()
    sign(audit, reviewer, qualify_site=True)
    site.refresh_from_db()
    assert site.qualification_status == QualificationStatus.APPROVED


def test_a_site_that_cannot_take_the_status_rolls_the_whole_decision_back(
    in_progress, qa, reviewer
):
    audit = submit_for_review(in_progress, qa)
    site = audit.site
    site.qualification_status = QualificationStatus.PROSPECT  # cannot jump to approved
    site.save()
    with pytest.raises(ValidationError) as error:
        sign(audit, reviewer, qualify_site=True)
    assert "qualify_site" in error.value.message_dict
    assert not Signature.objects.exists()
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_REVIEW


def test_the_api_refuses_an_approval_better_than_the_recommendation_with_a_400(
    conditional, reviewer, api_for
):
    audit, major = conditional
    url = f"/api/v1/audits/{audit.pk}/sign/"
    body = {"decision": "approve", "meaning": "approved", "password": PASSWORD}
    response = api_for(reviewer).post(url, body, format="json")
    assert response.status_code == 400 and "decision" in response.json()
    body.update(decision="conditional", conditions="Close F01", findings=[major.pk])
    response = api_for(reviewer).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["decision"] == "conditional"
    assert response.json()["findings"] == [major.pk]
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.CONDITIONALLY_APPROVED


def test_the_sign_page_offers_only_the_allowed_outcomes_and_signs_the_form_it_renders(
    conditional, reviewer, client_for
):
    audit, major = conditional
    client = client_for(reviewer)
    url = reverse("audits:audit_sign", args=[audit.pk])
    page = client.get(url).content.decode()
    assert "approve with conditions or reject" in page
    form = rendered_form(page, url)
    assert form.options["decision"] == ["conditional", "reject"]
    assert form.options["findings"] == [str(major.pk)]
    data = form.data(
        decision="conditional",
        conditions="Close F01 within 30 days",
        findings=[str(major.pk)],
        meaning="approved",
        password=PASSWORD,
    )
    response = client.post(url, data)
    assert response.status_code == 302
    page = client.get(audit.get_absolute_url()).content.decode()
    assert "Conditionally approved" in page and "Close F01 within 30 days" in page
    assert "Depends on" in page and major.reference in page


# ── separation of duties ────────────────────────────────────────────────────────────────────


def test_the_lead_auditor_cannot_sign_their_own_audit(in_progress, qa):
    audit = submit_for_review(in_progress, qa)
    with pytest.raises(ValidationError, match="cannot sign their own audit"):
        sign(audit, qa)
    assert not Signature.objects.exists()


def test_an_admin_on_the_audit_team_cannot_sign_it_either(in_progress, qa, admin_user):
    in_progress.team.set([admin_user])
    audit = submit_for_review(in_progress, qa)
    with pytest.raises(ValidationError, match="cannot sign their own audit"):
        sign(audit, admin_user)
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_REVIEW


def test_leaving_the_team_does_not_let_a_member_sign_the_work_they_did(qa, reviewer, admin_user):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    answer_all(audit, admin_user)  # the admin answered the questions, then left the team
    raise_finding(audit, reviewer, Severity.MINOR)  # the reviewer raised a finding
    audit = submit_for_review(audit, qa)
    for user in (admin_user, reviewer):
        with pytest.raises(ValidationError, match="cannot sign their own audit"):
            sign(audit, user)
    assert not Signature.objects.exists()


def test_the_api_refuses_the_lead_auditor_with_a_400(in_progress, qa, api_for):
    audit = submit_for_review(in_progress, qa)
    response = api_for(qa).post(
        f"/api/v1/audits/{audit.pk}/sign/",
        {"decision": "approve", "meaning": "approved", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 400 and "another QA person" in str(response.json())
    assert not Signature.objects.exists()


# ── completeness before review ──────────────────────────────────────────────────────────────


@pytest.fixture
def half_done(qa):
    version = make_checklist((("Quality system", ("yes_no", "yes_no", "rating", "text")),))
    audit = make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS)
    first, second, *_ = audit.answers.select_related("audit", "question__section")
    answer_save(answer=first, user=qa, value="yes", comment="", expected_version=0)
    answer_save(answer=second, user=qa, value="na", comment="", expected_version=0)
    return audit


def test_review_with_unanswered_questions_asks_for_a_reason_or_a_justification(half_done, qa):
    with pytest.raises(ValidationError) as error:
        audit_change_status(audit=half_done, status=Audit.Status.IN_REVIEW, user=qa)
    message = error.value.message_dict["justification"][0]
    assert message.startswith("2 questions unanswered and 1 marked not applicable without a reason")
    assert Audit.objects.get(pk=half_done.pk).status == Audit.Status.IN_PROGRESS


def test_questions_marked_not_applicable_with_a_reason_need_no_justification(half_done, qa):
    for answer in half_done.answers.select_related("audit", "question__section"):
        if answer.value in ("", "na"):
            answer_save(
                answer=answer,
                user=qa,
                value="na",
                comment="No sterile products made at this site",
                expected_version=answer.version,
            )
    audit = submit_for_review(half_done, qa)
    assert audit.status == Audit.Status.IN_REVIEW and audit.completeness_justification == ""


def test_the_justification_is_kept_and_printed_in_the_report_with_the_counts(half_done, qa):
    audit_change_status(
        audit=half_done,
        status=Audit.Status.IN_REVIEW,
        user=qa,
        justification="Laboratory closed for maintenance during the visit",
    )
    audit = Audit.objects.get(pk=half_done.pk)
    assert audit.completeness_justification == "Laboratory closed for maintenance during the visit"
    html = report_html(audit)
    assert "2 answered, 2 unanswered" in html
    assert "Sent to review incomplete because: Laboratory closed for maintenance" in html


def test_the_api_refuses_an_incomplete_review_with_a_400_on_the_justification(
    half_done, qa, api_for
):
    url = f"/api/v1/audits/{half_done.pk}/status/"
    response = api_for(qa).post(url, {"status": "in_review"}, format="json")
    assert response.status_code == 400 and "justification" in response.json()
    response = api_for(qa).post(
        url, {"status": "in_review", "justification": "Remote audit"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "in_review"


def test_the_status_form_takes_the_justification(half_done, qa, client_for):
    client = client_for(qa)
    url = reverse("audits:audit_status", args=[half_done.pk])
    form = rendered_form(client.get(half_done.get_absolute_url()).content, url)
    response = client.post(url, form.data(status="in_review"))
    beside = response.content.decode().split('id="field-justification"')[1].split("</div>")[0]
    assert "Mark each not applicable with a reason" in beside
    assert Audit.objects.get(pk=half_done.pk).status == Audit.Status.IN_PROGRESS
    client.post(url, form.data(status="in_review", justification="Remote audit"))
    audit = Audit.objects.get(pk=half_done.pk)
    assert audit.status == Audit.Status.IN_REVIEW
    assert Answer.objects.filter(audit=audit, value="").count() == 2


# ── failed signatures ───────────────────────────────────────────────────────────────────────


def test_a_wrong_password_through_the_api_is_recorded_although_the_request_fails(
    in_progress, qa, reviewer, api_for, django_capture_on_commit_callbacks
):
    audit = submit_for_review(in_progress, qa)
    url = f"/api/v1/audits/{audit.pk}/sign/"
    body = {"decision": "approve", "meaning": "approved", "password": "nope"}
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert api_for(reviewer).post(url, body, format="json").status_code == 400
    failures = SignatureFailure.objects.filter(user=reviewer)
    assert failures.count() == 5 and failures.filter(locked_signing=True).count() == 1
    assert {(f.record, f.address) for f in failures} == {(audit.reference, "127.0.0.1")}
    body["password"] = PASSWORD
    response = api_for(reviewer).post(url, body, format="json")
    assert response.status_code == 400 and "Signing is locked" in response.json()["password"][0]
    assert failures.filter(while_locked=True).count() == 1
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_REVIEW
