from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit, Capa, Finding, Severity
from audits.services import (
    capa_accept,
    capa_record_response,
    capa_reject,
    capa_verify,
    finding_create,
)
from tests.factories import make_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    return finding_create(
        finding=Finding(
            audit=audit,
            severity=Severity.MAJOR,
            title="Line clearance not recorded",
            requirement="EU GMP 5.35",
            description="Two batch records lack line clearance",
        ),
        user=qa,
        answer=audit.answers.first(),
    )


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
    observation = finding_create(
        finding=Finding(
            audit=finding.audit,
            severity=Severity.OBSERVATION,
            title="t",
            requirement="r",
            description="d",
        ),
        user=qa,
    )
    assert observation.number == 2 and not Capa.objects.filter(finding=observation).exists()


def test_the_capa_goes_from_open_to_verified_and_closed(finding, qa, admin_user):
    capa = respond(finding.capa, qa)
    assert capa.status == Capa.Status.RESPONSE_RECEIVED and capa.response_received_at
    capa = capa_accept(capa=capa, user=qa)
    assert capa.status == Capa.Status.ACCEPTED and capa.accepted_by == qa
    with pytest.raises(ValidationError):
        capa_verify(capa=capa, user=admin_user, notes="")
    capa = capa_verify(capa=capa, user=admin_user, notes="Checked revised form in use")
    assert capa.status == Capa.Status.CLOSED and capa.verified_by == admin_user
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
        capa_verify(capa=finding.capa, user=qa, notes="x")
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


def test_the_capa_workflow_in_the_browser(finding, client_for, qa, sourcing):
    url = reverse("audits:capa_action", args=[finding.capa.pk])
    assert client_for(sourcing).post(url, {"action": "accept"}).status_code == 403
    client = client_for(qa)
    client.post(
        url,
        {
            "action": "respond",
            "root_cause": "a",
            "corrective_action": "b",
            "preventive_action": "c",
        },
    )
    client.post(url, {"action": "accept"})
    response = client.post(url, {"action": "verify", "notes": "Seen on site"}, follow=True)
    assert "verified and closed" in response.content.decode()
    assert Capa.objects.get(pk=finding.capa.pk).status == Capa.Status.CLOSED
