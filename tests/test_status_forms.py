"""Status forms move nothing by default, and grave moves are confirmed before they happen."""

import pytest
from django.urls import reverse

from audits.models import Audit
from tests.factories import CmoFactory, ContractFactory, make_audit
from tests.html_forms import as_post, field_block, form_data

pytestmark = pytest.mark.django_db


def status_form(client, url: str):
    return form_data(client.get(url).content.decode(), "status-form")


class TestCmoStatus:
    def test_the_form_starts_with_no_move_chosen(self, client_for, qa):
        cmo = CmoFactory()
        data = status_form(client_for(qa), cmo.get_absolute_url())
        assert data["status"] == ""

    def test_submitting_the_form_as_rendered_moves_nothing(self, client_for, qa):
        cmo = CmoFactory()
        client = client_for(qa)
        data = status_form(client, cmo.get_absolute_url())
        data["reason"] = "Pressed the button"
        client.post(reverse("vendors:cmo_status", args=[cmo.pk]), as_post(data))
        cmo.refresh_from_db()
        assert cmo.qualification_status == "prospect"

    def test_inactive_needs_confirming_with_the_error_beside_the_box(self, client_for, qa):
        cmo = CmoFactory()
        client = client_for(qa)
        url = reverse("vendors:cmo_status", args=[cmo.pk])
        data = status_form(client, cmo.get_absolute_url())
        data.update({"status": "inactive", "reason": "No longer trading"})
        response = client.post(url, as_post(data))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Confirm the move to Inactive." in field_block(body, "confirm")
        cmo.refresh_from_db()
        assert cmo.qualification_status == "prospect"
        # The second step carries what was entered; ticking the box makes the move.
        again = form_data(body, "status-form")
        assert again["reason"] == "No longer trading" and again["status"] == "inactive"
        again["confirm"] = "on"
        assert client.post(url, as_post(again)).status_code == 302
        cmo.refresh_from_db()
        assert cmo.qualification_status == "inactive"

    def test_a_reversible_move_needs_no_confirmation(self, client_for, qa):
        cmo = CmoFactory()
        client = client_for(qa)
        data = status_form(client, cmo.get_absolute_url())
        data.update({"status": "under_evaluation", "reason": "RFI sent"})
        client.post(reverse("vendors:cmo_status", args=[cmo.pk]), as_post(data))
        cmo.refresh_from_db()
        assert cmo.qualification_status == "under_evaluation"


class TestAuditStatus:
    def test_the_form_starts_empty_and_cancelling_needs_confirming(self, client_for, qa):
        audit = make_audit(lead=qa)
        client = client_for(qa)
        data = status_form(client, audit.get_absolute_url())
        assert data["status"] == ""
        data.update({"status": "cancelled", "reason": "Site closed"})
        url = reverse("audits:audit_status", args=[audit.pk])
        response = client.post(url, as_post(data))
        assert "Confirm the move to Cancelled." in response.content.decode()
        audit.refresh_from_db()
        assert audit.status == Audit.Status.PLANNED
        data["confirm"] = "on"
        client.post(url, as_post(data))
        audit.refresh_from_db()
        assert audit.status == Audit.Status.CANCELLED

    def test_a_cancelled_audit_offers_no_moves(self, client_for, qa):
        audit = make_audit(lead=qa, status=Audit.Status.CANCELLED)
        body = client_for(qa).get(audit.get_absolute_url()).content.decode()
        assert 'id="status-form"' not in body


class TestContractStatus:
    def test_terminating_needs_confirming(self, client_for, sourcing):
        contract = ContractFactory(status="active")
        client = client_for(sourcing)
        data = status_form(client, contract.get_absolute_url())
        assert data["status"] == ""
        data.update({"status": "terminated", "reason": "Breach"})
        url = reverse("contracts:contract_status", args=[contract.pk])
        assert "Confirm the move to Terminated." in client.post(url, as_post(data)).content.decode()
        contract.refresh_from_db()
        assert contract.status == "active"
