"""Amounts cannot be negative and a milestone cannot be reached in the future: form and API."""

from datetime import timedelta

import pytest
from django.urls import reverse

from contracts.models import Contract, Milestone, ScopeItem, today
from tests.factories import ContractFactory, MilestoneFactory, SiteFactory
from tests.html_forms import as_post, field_block, form_data

pytestmark = pytest.mark.django_db


def error_beside(html: str, marker: str, message: str) -> bool:
    """The message appears in the first error list after the field's own markup."""
    start = html.index(marker)
    end = html.find("</td>", start)
    return message in html[start : end if end != -1 else None]


class TestContractForm:
    def test_a_negative_liability_cap_is_refused_beside_the_field(self, client_for, sourcing):
        contract = ContractFactory(owner=sourcing)
        client = client_for(sourcing)
        url = reverse("contracts:contract_edit", args=[contract.pk])
        data = form_data(client.get(url).content.decode(), "contract-form")
        data["liability_cap"] = "-1000000"
        data["change_reason"] = "Cap agreed"
        response = client.post(url, as_post(data))
        assert response.status_code == 200
        assert "A liability cap cannot be negative." in field_block(
            response.content.decode(), "liability_cap"
        )
        contract.refresh_from_db()
        assert contract.liability_cap is None

    def test_a_positive_cap_from_the_same_form_saves(self, client_for, sourcing):
        contract = ContractFactory(owner=sourcing)
        client = client_for(sourcing)
        url = reverse("contracts:contract_edit", args=[contract.pk])
        data = form_data(client.get(url).content.decode(), "contract-form")
        data["liability_cap"] = "1000000"
        data["change_reason"] = "Cap agreed"
        assert client.post(url, as_post(data)).status_code == 302
        contract.refresh_from_db()
        assert contract.liability_cap == 1_000_000


class TestScopeTable:
    def test_a_negative_volume_is_refused_beside_the_cell(self, client_for, sourcing):
        site = SiteFactory()
        contract = ContractFactory(cmo=site.cmo)
        client = client_for(sourcing)
        url = reverse("contracts:contract_scope", args=[contract.pk])
        data = form_data(client.get(url).content.decode(), "items-form")
        data["scope-0-product"] = "mAb drug substance"
        data["scope-0-service_detail"] = "Fill and finish"
        data["scope-0-annual_volume"] = "-5"
        response = client.post(url, as_post(data))
        assert response.status_code == 200
        body = response.content.decode()
        assert error_beside(body, 'name="scope-0-annual_volume"', "A volume cannot be negative.")
        assert not ScopeItem.objects.exists()


class TestMilestoneTable:
    def test_an_actual_date_in_the_future_is_refused_beside_the_cell(self, client_for, sourcing):
        contract = ContractFactory()
        client = client_for(sourcing)
        url = reverse("contracts:contract_milestones", args=[contract.pk])
        data = form_data(client.get(url).content.decode(), "items-form")
        data["milestones-0-name"] = "Engineering batch"
        data["milestones-0-planned_date"] = str(today())
        data["milestones-0-actual_date"] = str(today() + timedelta(days=1))
        response = client.post(url, as_post(data))
        assert response.status_code == 200
        body = response.content.decode()
        assert error_beside(body, 'name="milestones-0-actual_date"', "This date is in the future.")
        assert not Milestone.objects.exists()

    def test_today_is_accepted(self, client_for, sourcing):
        contract = ContractFactory()
        client = client_for(sourcing)
        url = reverse("contracts:contract_milestones", args=[contract.pk])
        data = form_data(client.get(url).content.decode(), "items-form")
        data["milestones-0-name"] = "Engineering batch"
        data["milestones-0-planned_date"] = str(today())
        data["milestones-0-actual_date"] = str(today())
        assert client.post(url, as_post(data)).status_code == 302
        assert Milestone.objects.get().actual_date == today()


class TestApi:
    def test_a_negative_scope_volume_is_a_400_naming_the_field(self, api_for, sourcing):
        site = SiteFactory()
        contract = ContractFactory(cmo=site.cmo)
        response = api_for(sourcing).post(
            "/api/v1/contract-scope/",
            {"contract": contract.pk, "product": "mAb", "annual_volume": "-10"},
            format="json",
        )
        assert response.status_code == 400 and "annual_volume" in response.data, response.data
        assert not ScopeItem.objects.exists()

    def test_a_negative_liability_cap_is_a_400_naming_the_field(self, api_for, sourcing):
        contract = ContractFactory()
        response = api_for(sourcing).patch(
            f"/api/v1/contracts/{contract.pk}/",
            {"liability_cap": "-1000000", "change_reason": "Cap agreed"},
            format="json",
        )
        assert response.status_code == 400 and "liability_cap" in response.data, response.data
        assert Contract.objects.get().liability_cap is None

    def test_a_future_actual_date_is_a_400_naming_the_field(self, api_for, sourcing):
        milestone = MilestoneFactory()
        response = api_for(sourcing).patch(
            f"/api/v1/milestones/{milestone.pk}/",
            {"actual_date": str(today() + timedelta(days=3)), "change_reason": "Done"},
            format="json",
        )
        assert response.status_code == 400 and "actual_date" in response.data, response.data
        milestone.refresh_from_db()
        assert milestone.actual_date is None


def test_the_database_refuses_a_negative_volume_written_past_the_forms():
    from django.db import IntegrityError, transaction

    contract = ContractFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ScopeItem.objects.create(contract=contract, product="mAb", annual_volume=-5)


def test_a_reference_already_taken_is_refused_beside_the_field(client_for, sourcing):
    ContractFactory(reference="MSA-2027-01")
    contract = ContractFactory(owner=sourcing, reference="MSA-2027-02")
    client = client_for(sourcing)
    url = reverse("contracts:contract_edit", args=[contract.pk])
    data = form_data(client.get(url).content.decode(), "contract-form")
    data["reference"] = "MSA-2027-01"
    data["change_reason"] = "Renumbered"
    response = client.post(url, as_post(data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Another contract already has this reference." in field_block(html, "reference")
    assert html.count("Another contract already has this reference.") == 1
    contract.refresh_from_db()
    assert contract.reference == "MSA-2027-02"


def test_the_api_refuses_a_reference_already_taken_on_that_field(api_for, sourcing):
    taken = ContractFactory(reference="MSA-2027-01")
    response = api_for(sourcing).post(
        "/api/v1/contracts/",
        {
            "cmo": taken.cmo_id,
            "contract_type": "msa",
            "title": "Second MSA",
            "reference": "MSA-2027-01",
            "owner": sourcing.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reference"]  # as in the form, on the field itself
    assert Contract.objects.count() == 1
