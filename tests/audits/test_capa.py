from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, Capa, Evidence, Severity
from audits.services import (
    capa_accept,
    capa_record_response,
    capa_reject,
    capa_verify,
)
from tests.factories import make_audit, raise_finding
from tests.html_forms import rendered_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    return raise_finding(
        audit,
        qa,
        Severity.MAJOR,
        title="Line clearance not recorded",
        requirement="EU GMP 5.35",
        description="Two batch records lack line clearance",
        answer=audit.answers.first(),
    )


CHECK = "Twenty batch records since show line clearance recorded."


def respond(capa, user):
    return capa_record_response(
        capa=capa,
        user=user,
        root_cause="Form lacked a field",
        corrective_action="Form revised",
        preventive_action="Training",
    )


def test_findings_are_numbered_and_get_a_capa_due_by_severity(finding, qa):
    capa = finding.capa
    assert finding.number == 1 and capa.status == Capa.Status.OPEN
    assert capa.due_date == timezone.localdate() + timedelta(days=30)
    observation = raise_finding(finding.audit, qa, Severity.OBSERVATION)
    assert observation.number == 2 and not Capa.objects.filter(finding=observation).exists()


def test_the_capa_goes_from_open_to_verified_and_closed(finding, qa, admin_user):
    capa = respond(finding.capa, qa)
    assert capa.status == Capa.Status.RESPONSE_RECEIVED and capa.response_received_at
    capa = capa_accept(capa=capa, user=qa)
    assert capa.status == Capa.Status.ACCEPTED and capa.accepted_by == qa
    with pytest.raises(ValidationError):
        capa_verify(capa=capa, user=admin_user, notes="", effectiveness_check=CHECK)
    capa = capa_verify(
        capa=capa, user=admin_user, notes="Checked revised form in use", effectiveness_check=CHECK
    )
    assert capa.status == Capa.Status.CLOSED and capa.verified_by == admin_user
    assert capa.effectiveness_check == CHECK
    assert [h.history_change_reason for h in capa.history.order_by("history_date")] == [
        "Opened",
        "Response received",
        "Accepted",
        "Verified and closed",
    ]


def test_a_rejected_response_goes_back_to_open(finding, qa):
    capa = respond(finding.capa, qa)
    with pytest.raises(ValidationError):
        capa_reject(capa=capa, user=qa, reason=" ")
    capa = capa_reject(capa=capa, user=qa, reason="Root cause not evidenced")
    assert capa.status == Capa.Status.OPEN and capa.rejection_reason == "Root cause not evidenced"


def test_steps_out_of_order_are_refused(finding, qa):
    with pytest.raises(ValidationError, match="cannot be accepted"):
        capa_accept(capa=finding.capa, user=qa)
    with pytest.raises(ValidationError, match="cannot be verified"):
        capa_verify(capa=finding.capa, user=qa, notes="x", effectiveness_check=CHECK)
    with pytest.raises(ValidationError) as error:
        capa_record_response(
            capa=finding.capa, user=qa, root_cause="", corrective_action="x", preventive_action=""
        )
    assert set(error.value.message_dict) == {"root_cause", "preventive_action"}


def test_overdue_capas_are_highlighted_on_the_dashboard(finding, client_for, manager):
    Capa.objects.filter(pk=finding.capa.pk).update(
        due_date=timezone.localdate() - timedelta(days=5)
    )
    assert finding.capa.is_overdue() is False  # the instance in memory still has the old date
    assert Capa.objects.overdue().get() == finding.capa
    page = client_for(manager).get(reverse("audits:dashboard")).content.decode()
    assert "Line clearance not recorded" in page and "overdue-row" in page


def test_the_capa_workflow_in_the_browser(finding, client_for, qa, reviewer, sourcing):
    url = reverse("audits:capa_action", args=[finding.capa.pk])
    assert client_for(sourcing).post(url, {"action": "accept"}).status_code == 403
    client = client_for(qa)
    page = client.get(finding.get_absolute_url()).content.decode()
    form = rendered_form(page, url, hidden={"action": "respond"})
    client.post(url, form.data(root_cause="a", corrective_action="b", preventive_action="c"))
    page = client.get(finding.get_absolute_url()).content.decode()
    client.post(url, rendered_form(page, url, hidden={"action": "accept"}).data())
    client = client_for(reviewer)
    page = client.get(finding.get_absolute_url()).content.decode()
    form = rendered_form(page, url, hidden={"action": "verify"})
    data = form.data(notes="Seen on site", effectiveness_check=CHECK)
    data["evidence"] = SimpleUploadedFile("check.pdf", b"%PDF-1.4 effectiveness")
    response = client.post(url, data, follow=True)
    page = response.content.decode()
    assert "verified and closed" in page and CHECK in page and "check.pdf" in page
    capa = Capa.objects.get(pk=finding.capa.pk)
    assert capa.status == Capa.Status.CLOSED and capa.verified_by == reviewer
    assert capa.evidence.get().original_name == "check.pdf"


@pytest.fixture
def accepted(finding, qa):
    return capa_accept(capa=respond(finding.capa, qa), user=qa)


@pytest.mark.parametrize("persona", ["qa", "admin_user"])
def test_whoever_accepted_the_response_cannot_verify_it_whatever_their_role(
    finding, persona, request
):
    user = request.getfixturevalue(persona)
    capa = capa_accept(capa=respond(finding.capa, user), user=user)
    with pytest.raises(ValidationError, match="Whoever accepted the CAPA response"):
        capa_verify(capa=capa, user=user, notes="Seen", effectiveness_check=CHECK)
    assert Capa.objects.get(pk=capa.pk).status == Capa.Status.ACCEPTED


def test_verification_needs_an_effectiveness_check(accepted, reviewer):
    with pytest.raises(ValidationError) as error:
        capa_verify(capa=accepted, user=reviewer, notes="Seen", effectiveness_check=" ")
    assert set(error.value.message_dict) == {"effectiveness_check"}
    assert Capa.objects.get(pk=accepted.pk).status == Capa.Status.ACCEPTED


def test_an_evidence_file_of_the_wrong_kind_is_refused_beside_its_field(accepted, reviewer):
    with pytest.raises(ValidationError) as error:
        capa_verify(
            capa=accepted,
            user=reviewer,
            notes="Seen",
            effectiveness_check=CHECK,
            evidence=SimpleUploadedFile("check.exe", b"MZ"),
        )
    assert set(error.value.message_dict) == {"evidence"}
    assert not Evidence.objects.exists()


def test_the_acceptor_sees_why_they_cannot_verify(accepted, client_for, qa, reviewer):
    page = client_for(qa).get(accepted.finding.get_absolute_url()).content.decode()
    assert "Whoever accepted the CAPA response cannot verify its closure" in page
    assert 'value="verify"' not in page
    page = client_for(reviewer).get(accepted.finding.get_absolute_url()).content.decode()
    assert 'value="verify"' in page


def test_the_api_refuses_verification_by_the_acceptor_with_a_400(accepted, api_for, qa, reviewer):
    url = f"/api/v1/capas/{accepted.pk}/verify/"
    body = {"notes": "Seen", "effectiveness_check": CHECK}
    response = api_for(qa).post(url, body, format="json")
    assert response.status_code == 400
    assert "Whoever accepted" in str(response.json())
    response = api_for(reviewer).post(url, {"notes": "Seen"}, format="json")
    assert response.status_code == 400 and "effectiveness_check" in response.json()
    response = api_for(reviewer).post(url, body, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["effectiveness_check"] == CHECK


def test_a_refused_verification_shows_the_errors_beside_the_fields(accepted, client_for, reviewer):
    client = client_for(reviewer)
    url = reverse("audits:capa_action", args=[accepted.pk])
    page = client.get(accepted.finding.get_absolute_url()).content.decode()
    form = rendered_form(page, url, hidden={"action": "verify"})
    data = form.data(notes="Seen", effectiveness_check=CHECK)
    data["evidence"] = SimpleUploadedFile("check.exe", b"MZ")
    page = client.post(url, data).content.decode()
    beside = page.split('id="field-evidence"')[1].split("</div>")[0]
    assert "files of this type are not accepted" in beside
    assert CHECK in page  # what was typed is kept
    assert Capa.objects.get(pk=accepted.pk).status == Capa.Status.ACCEPTED
