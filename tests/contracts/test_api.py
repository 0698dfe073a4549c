from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Contract, today
from contracts.services import contract_save
from tests.factories import CmoFactory, ContractFactory, MilestoneFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_contracts_filter_like_the_list_page(api_for, qa):
    on = today()
    soon = ContractFactory(
        status="active", expiry_date=on + timedelta(days=25), contract_type="supply"
    )
    ContractFactory(status="active", expiry_date=on + timedelta(days=120))
    api = api_for(qa)
    rows = api.get("/api/v1/contracts/", {"expiring": "30"}).data["results"]
    assert [r["id"] for r in rows] == [soon.pk]
    assert api.get("/api/v1/contracts/", {"type": "supply", "cmo": soon.cmo_id}).data["count"] == 1
    bad = api.get("/api/v1/contracts/", {"expiring": "45"})
    assert bad.status_code == 400 and "expiring" in bad.data


def test_sourcing_creates_an_msa_and_a_sow_and_moves_the_status(api_for, sourcing):
    site = SiteFactory()
    api = api_for(sourcing)
    msa = api.post(
        "/api/v1/contracts/",
        {
            "cmo": site.cmo.pk,
            "contract_type": "msa",
            "title": "MSA",
            "sites": [site.pk],
            "owner": sourcing.pk,
        },
        format="json",
    )
    assert msa.status_code == 201, msa.data
    sow = api.post(
        "/api/v1/contracts/",
        {
            "cmo": site.cmo.pk,
            "contract_type": "sow",
            "title": "SOW 1",
            "parent": msa.data["id"],
            "signed_on": "2026-01-10",
            "effective_date": "2026-01-15",
            "expiry_date": "2027-01-14",
        },
        format="json",
    )
    assert sow.status_code == 201, sow.data
    url = f"/api/v1/contracts/{sow.data['id']}/status/"
    assert api.post(url, {"status": "negotiation", "reason": "Sent"}).status_code == 200
    done = api.post(url, {"status": "active", "reason": "Signed"})
    assert done.status_code == 200 and done.data["status"] == "active"
    refused = api.post(url, {"status": "draft", "reason": "Oops"})
    assert refused.status_code == 400 and "status" in refused.data


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"contract_type": "sow", "title": "Orphan SOW"}, "parent"),
        (
            {
                "contract_type": "msa",
                "title": "x",
                "effective_date": "2026-05-01",
                "expiry_date": "2026-04-01",
            },
            "expiry_date",
        ),
        ({"contract_type": "nda", "title": "x"}, "contract_type"),
        ({"contract_type": "msa", "title": "x", "currency": "euro"}, "currency"),
        ({"contract_type": "msa", "title": "x", "auto_renewal": True}, "renewal_term_months"),
    ],
)
def test_bad_contracts_get_a_400_with_field_errors(api_for, sourcing, payload, field):
    response = api_for(sourcing).post(
        "/api/v1/contracts/", {"cmo": CmoFactory().pk, **payload}, format="json"
    )
    assert response.status_code == 400 and field in response.data, response.data
    assert not Contract.objects.exists()


def test_an_update_needs_a_reason_and_cannot_move_the_cmo(api_for, sourcing):
    c = ContractFactory()
    api = api_for(sourcing)
    url = f"/api/v1/contracts/{c.pk}/"
    assert "change_reason" in api.patch(url, {"payment_terms": "Net 30"}).data
    assert "cmo" in api.patch(url, {"cmo": CmoFactory().pk, "change_reason": "x"}).data
    ok = api.patch(url, {"payment_terms": "Net 30", "change_reason": "Renegotiated"})
    assert ok.status_code == 200 and ok.data["payment_terms"] == "Net 30"


def test_milestones_filter_late_and_need_a_reason_to_change(api_for, sourcing):
    c = ContractFactory()
    late = MilestoneFactory(contract=c, planned_date=today() - timedelta(days=2))
    MilestoneFactory(contract=c)
    api = api_for(sourcing)
    rows = api.get("/api/v1/milestones/", {"late": "true", "contract": c.pk}).data["results"]
    assert [(r["id"], r["late"]) for r in rows] == [(late.pk, True)]
    url = f"/api/v1/milestones/{late.pk}/"
    assert api.patch(url, {"actual_date": str(today())}).status_code == 400
    assert api.patch(url, {"actual_date": str(today()), "change_reason": "Done"}).status_code == 200
    late.refresh_from_db()
    assert late.history.first().history_change_reason == "Done"


def test_scope_items_refuse_a_site_of_another_cmo(api_for, sourcing):
    c = ContractFactory()
    response = api_for(sourcing).post(
        "/api/v1/contract-scope/",
        {
            "contract": c.pk,
            "product": "mAb",
            "site": SiteFactory().pk,
            "capability": "services-packaging",
        },
        format="json",
    )
    assert response.status_code == 400 and "site" in response.data


def test_only_qa_managers_and_admins_edit_the_matrix(api_for, qa, sourcing):
    agreement = contract_save(
        contract=Contract(cmo=CmoFactory(), contract_type="quality", title="QA"), user=sourcing
    )
    row = agreement.responsibilities.first()
    url = f"/api/v1/quality-responsibilities/{row.pk}/"
    payload = {"responsible": "cmo", "change_reason": "Agreed"}
    assert api_for(sourcing).patch(url, payload).status_code == 403
    assert api_for(qa).patch(url, payload).status_code == 200
    rows = api_for(sourcing).get(
        "/api/v1/quality-responsibilities/", {"contract": agreement.pk, "responsible": "cmo"}
    )
    assert rows.data["count"] == 1
    msa = ContractFactory()
    wrong = api_for(qa).post(
        "/api/v1/quality-responsibilities/", {"contract": msa.pk, "activity": "Stability"}
    )
    assert wrong.status_code == 400 and "contract" in wrong.data


@pytest.mark.parametrize("n", [3, 40])
def test_the_contract_list_api_costs_the_same_for_few_or_many(api_for, qa, n):
    for cmo in CmoFactory.create_batch(n):
        c = ContractFactory(cmo=cmo)
        c.sites.set([SiteFactory(cmo=cmo)])
    api = api_for(qa)
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/v1/contracts/").status_code == 200
    assert len(queries) == 4, [q["sql"] for q in queries]  # roles, count, page, sites


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/v1/milestones/", "contract"),
        ("/api/v1/kpis/", "cmo"),
        ("/api/v1/contract-scope/", "site"),
    ],
)
def test_an_id_filter_beyond_any_id_is_a_400_naming_it(api_for, qa, url, parameter):
    response = api_for(qa).get(url, {parameter: "99999999999999999999"})
    assert response.status_code == 400
    assert parameter in response.json()
