import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audits.models import Answer, Audit, Severity, Signature
from audits.services import (
    answer_save,
    audit_content_hash,
    audit_decide,
    audit_revise,
    signature_verifies,
    signatures_verified,
)
from cmoselect import events
from cmoselect.esign import NO_MEANING, WRONG_PASSWORD
from tests.conftest import PASSWORD
from tests.factories import answer_all, make_audit, raise_finding, submit_for_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    answer_all(audit, qa)
    return submit_for_review(audit, qa)


def sign(audit, user, **overrides):
    kwargs = {"password": PASSWORD, "decision": "approve", "meaning": "approved", "comment": ""}
    kwargs.update(overrides)
    return audit_decide(audit=audit, user=user, **kwargs)


def test_a_wrong_password_is_refused_and_nothing_is_signed(in_review, qa, reviewer):
    with pytest.raises(ValidationError) as error:
        sign(in_review, reviewer, password="not-my-password")
    assert "password" in error.value.message_dict
    assert not Signature.objects.exists()
    assert Audit.objects.get(pk=in_review.pk).status == Audit.Status.IN_REVIEW


def test_the_wrong_password_error_has_the_wording_shared_by_every_signature(
    in_review, qa, reviewer
):
    with pytest.raises(ValidationError) as error:
        sign(in_review, reviewer, password="not-my-password")
    assert error.value.message_dict["password"] == [WRONG_PASSWORD]


def test_the_meaning_is_required(in_review, qa, reviewer):
    with pytest.raises(ValidationError) as error:
        sign(in_review, reviewer, meaning="")
    assert error.value.message_dict["meaning"] == [NO_MEANING]


@pytest.mark.parametrize("persona", ["sourcing", "manager", "outsider"])
def test_the_service_refuses_a_role_that_cannot_sign_audits(in_review, persona, request):
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        sign(in_review, user)
    assert not Signature.objects.exists()
    assert Audit.objects.get(pk=in_review.pk).status == Audit.Status.IN_REVIEW


def test_the_signatures_are_listed_with_whether_the_content_is_still_as_signed(
    in_review, qa, reviewer
):
    sign(in_review, reviewer, decision="reject", comment="Data gaps")
    audit = Audit.objects.get(pk=in_review.pk)
    [signature] = signatures_verified(audit)
    assert signature.verifies and signature.signer == reviewer
    Answer.objects.filter(audit=audit).update(comment="edited afterwards")
    assert [s.verifies for s in signatures_verified(audit)] == [False]


def test_a_rejection_needs_a_reason(in_review, qa, reviewer):
    with pytest.raises(ValidationError) as error:
        sign(in_review, reviewer, decision="reject")
    assert "comment" in error.value.message_dict


def test_approval_records_the_signature_freezes_the_score_and_tells_scoring(
    in_review, qa, django_capture_on_commit_callbacks, reviewer
):
    reviewer.first_name, reviewer.last_name = "Quinn", "Auditor"
    reviewer.save()
    received = []

    def listener(sender, cmo_ids, reason, **kwargs):
        received.append((cmo_ids, reason))

    events.inputs_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            signature = sign(in_review, reviewer, meaning="reviewed")
    finally:
        events.inputs_changed.disconnect(listener)
    audit = Audit.objects.get(pk=in_review.pk)
    assert audit.status == Audit.Status.APPROVED and audit.score == 100.0
    assert audit.recommended_outcome == "approve" and audit.decided_at == signature.signed_at
    assert (
        signature.printed_name == "Quinn Auditor"
        and signature.get_meaning_display() == "Reviewed by"
    )
    assert signature.content_hash == audit_content_hash(audit)
    assert received == [(frozenset({audit.site.cmo_id}), "audit approved")]
    assert "e-signature" in audit.history.first().history_change_reason


def test_an_approved_audit_is_read_only(in_review, qa, reviewer):
    sign(in_review, reviewer)
    audit = Audit.objects.get(pk=in_review.pk)
    answer = audit.answers.select_related("audit", "question__section").first()
    with pytest.raises(ValidationError):
        answer_save(answer=answer, user=qa, value="no", comment="", expected_version=answer.version)
    with pytest.raises(ValidationError):
        raise_finding(audit, qa, Severity.MINOR)
    with pytest.raises(ValidationError, match="in review"):
        sign(audit, reviewer)


def test_the_hash_binds_the_signature_to_the_content_as_signed(in_review, qa, reviewer):
    signature = sign(in_review, reviewer)
    assert signature_verifies(signature)
    # A change behind the application's back (e.g. in the database) breaks the binding.
    Answer.objects.filter(audit=in_review).update(comment="edited afterwards")
    signature.refresh_from_db()
    assert not signature_verifies(signature)


def test_a_later_edit_needs_a_new_revision_with_a_reason(in_review, qa, reviewer):
    signature = sign(in_review, reviewer)
    audit = Audit.objects.get(pk=in_review.pk)
    with pytest.raises(ValidationError):
        audit_revise(audit=audit, user=qa, reason="")
    audit = audit_revise(audit=audit, user=qa, reason="CMO sent new batch records")
    assert audit.status == Audit.Status.IN_PROGRESS and audit.revision == 2
    assert audit.score is None
    signature.refresh_from_db()
    assert signature.revision == 1 and not signature_verifies(signature)
    assert "CMO sent new batch records" in audit.history.first().history_change_reason
    answer = audit.answers.select_related("audit", "question__section").first()
    answer_save(answer=answer, user=qa, value="no", comment="", expected_version=answer.version)


def test_approval_is_refused_with_an_open_critical_finding(in_review, qa, reviewer):
    Audit.objects.filter(pk=in_review.pk).update(status=Audit.Status.IN_PROGRESS)
    in_review.refresh_from_db()
    raise_finding(
        in_review, qa, Severity.CRITICAL, title="Data deleted", requirement="21 CFR 211.194"
    )
    Audit.objects.filter(pk=in_review.pk).update(status=Audit.Status.IN_REVIEW)
    with pytest.raises(ValidationError, match="cannot be approved"):
        sign(in_review, reviewer)
    signature = sign(
        in_review, reviewer, decision="reject", comment="Critical data integrity finding"
    )
    assert Audit.objects.get(pk=in_review.pk).status == Audit.Status.REJECTED
    assert signature.decision == "reject"


def test_signing_in_the_browser(client_for, in_review, qa, reviewer, manager):
    url = reverse("audits:audit_sign", args=[in_review.pk])
    assert client_for(manager).post(url, {}).status_code == 403
    client = client_for(reviewer)
    response = client.post(url, {"decision": "approve", "meaning": "approved", "password": "wrong"})
    assert response.status_code == 200
    assert "The password is not correct" in response.content.decode()
    response = client.post(url, {"decision": "approve", "password": PASSWORD})
    assert "meaning" in response.context["form"].errors
    response = client.post(
        url, {"decision": "approve", "meaning": "approved", "password": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(in_review.get_absolute_url()).content.decode()
    assert "Approved by" in page and "content unchanged" in page and "read-only" in page
