"""The amendments API: create, list, approve, reject, withdraw, per role; direct edits refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Amendment, Contract, Kpi, ResponsibilityItem
from contracts.services import amendment_raise
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db
SIGNED = date(2026, 1, 15)
URL = "/api/v1/amendments/"


@pytest.fixture
def contract(db):
    return ContractFactory(
        status=Contract.Status.ACTIVE,
        signed_on=SIGNED,
        effective_date=SIGNED,
        liability_cap=Decimal("1000000"),
    )


def body(contract, **extra) -> dict:
    return {
        "contract": contract.pk,
        "reason": "Higher volumes",
        "effective_date": str(date.today()),
        "changes": {"liability_cap": "2500000"},
        **extra,
    }


def raised(contract, user) -> Amendment:
    return amendment_raise(
        contract=contract,
        user=user,
        reason="Higher volumes",
        effective_date=date.today(),
        fields={"liability_cap": Decimal("2500000")},
    )


@pytest.mark.parametrize(
    "persona, status", [("sourcing", 201), ("manager", 201), ("admin", 201), ("qa", 403)]
)
def test_roles_that_edit_contracts_raise_amendments(api_for, personas, contract, persona, status):
    response = api_for(personas[persona]).post(URL, body(contract), format="json")
    assert response.status_code == status, response.data
    if status == 201:
        assert response.data["status"] == "pending"
        assert response.data["changes"] == {"fields": {"liability_cap": "2500000.00"}, "tables": {}}


def test_an_outsider_can_neither_raise_nor_list(api_for, outsider, contract):
    assert api_for(outsider).post(URL, body(contract), format="json").status_code == 403
    assert api_for(outsider).get(URL).status_code == 403


def test_proposed_terms_get_the_contract_serializers_field_errors(api_for, sourcing, contract):
    response = api_for(sourcing).post(
        URL, body(contract, changes={"liability_cap": "-1", "cmo": 3}), format="json"
    )
    assert response.status_code == 400
    assert "cmo" in response.data["changes"]
    response = api_for(sourcing).post(
        URL, body(contract, changes={"liability_cap": "-1"}), format="json"
    )
    assert response.status_code == 400
    assert "liability_cap" in response.data["changes"]


def test_proposed_rows_get_their_serializers_errors(api_for, sourcing, contract):
    response = api_for(sourcing).post(
        URL,
        body(contract, changes={}, kpis=[{"kind": "otif", "target": "x", "unit": "%"}]),
        format="json",
    )
    assert response.status_code == 400
    assert "target" in response.data["kpis"][0]


def test_a_kpi_table_is_amended_and_applied_on_approval(api_for, sourcing, manager, contract):
    kpi = Kpi.objects.create(contract=contract, kind="otif", target=95, unit="%")
    rows = [{"id": kpi.pk, "kind": "otif", "target": "97", "unit": "%"}]
    created = api_for(sourcing).post(URL, body(contract, changes={}, kpis=rows), format="json")
    assert created.status_code == 201, created.data
    approved = api_for(manager).post(f"{URL}{created.data['id']}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.data["status"] == "in_effect"
    kpi.refresh_from_db()
    assert kpi.target == Decimal("97.00")


def test_qa_amends_a_quality_matrix_through_the_api(api_for, qa):
    agreement = ContractFactory(
        contract_type="quality", status="active", signed_on=SIGNED, effective_date=SIGNED
    )
    row = ResponsibilityItem.objects.create(contract=agreement, activity="Stability")
    rows = [{"id": row.pk, "activity": "Stability", "responsible": "cmo", "position": 100}]
    response = api_for(qa).post(
        URL, body(agreement, changes={}, responsibilities=rows), format="json"
    )
    assert response.status_code == 201, response.data


@pytest.mark.parametrize(
    "persona, status", [("manager", 200), ("admin", 200), ("sourcing", 403), ("qa", 403)]
)
def test_only_approvers_approve(api_for, personas, contract, persona, status):
    author = personas["sourcing"] if persona != "sourcing" else personas["manager"]
    amendment = raised(contract, author)
    response = api_for(personas[persona]).post(f"{URL}{amendment.pk}/approve/", {}, format="json")
    assert response.status_code == status


def test_the_author_cannot_approve_or_reject_their_own(api_for, manager, contract):
    amendment = raised(contract, manager)
    api = api_for(manager)
    response = api.post(f"{URL}{amendment.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert "separation of duties" in str(response.data)
    response = api.post(f"{URL}{amendment.pk}/reject/", {"note": "no"}, format="json")
    assert response.status_code == 400


def test_a_rejection_needs_a_note(api_for, sourcing, manager, contract):
    amendment = raised(contract, sourcing)
    api = api_for(manager)
    response = api.post(f"{URL}{amendment.pk}/reject/", {}, format="json")
    assert response.status_code == 400 and "note" in response.data
    response = api.post(f"{URL}{amendment.pk}/reject/", {"note": "Too high"}, format="json")
    assert response.data["status"] == "rejected"


def test_only_the_author_withdraws(api_for, sourcing, manager, contract):
    amendment = raised(contract, sourcing)
    url = f"{URL}{amendment.pk}/withdraw/"
    assert api_for(manager).post(url, {"note": "x"}, format="json").status_code == 403
    response = api_for(sourcing).post(url, {"note": "Talks resumed"}, format="json")
    assert response.status_code == 200 and response.data["status"] == "withdrawn"


def test_amendments_cannot_be_edited_in_place(api_for, sourcing, contract):
    amendment = raised(contract, sourcing)
    response = api_for(sourcing).patch(f"{URL}{amendment.pk}/", {"reason": "x"}, format="json")
    assert response.status_code == 405


def test_a_direct_patch_of_an_active_contracts_terms_is_refused(api_for, sourcing, contract):
    response = api_for(sourcing).patch(
        f"/api/v1/contracts/{contract.pk}/",
        {"liability_cap": "5", "change_reason": "Renegotiated"},
        format="json",
    )
    assert response.status_code == 400
    assert "only by an amendment" in str(response.data["liability_cap"])


def test_a_direct_row_of_an_active_contract_is_refused(api_for, sourcing, contract):
    response = api_for(sourcing).post(
        "/api/v1/kpis/",
        {"contract": contract.pk, "kind": "otif", "target": "95", "unit": "%"},
        format="json",
    )
    assert response.status_code == 400
    assert not contract.kpis.exists()


@pytest.mark.parametrize("n", [2, 12])
def test_the_list_costs_the_same_queries_for_few_or_many(api_for, sourcing, qa, n):
    for _ in range(n):
        raised(ContractFactory(status="active", signed_on=SIGNED, effective_date=SIGNED), sourcing)
    api = api_for(qa)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(URL)
    assert response.data["count"] == n
    # roles, count, page, documents
    assert len(queries) == 4, [q["sql"] for q in queries]
