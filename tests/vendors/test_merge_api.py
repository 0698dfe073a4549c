"""Likely duplicates and merges in the API, with the roles the service enforces."""

import pytest

from contracts.models import Contract
from scoring.models import Candidate
from tests.factories import CandidateFactory, CmoFactory, ContractFactory, SiteFactory
from vendors.models import Cmo, Site

pytestmark = pytest.mark.django_db
DUPLICATES = "/api/v1/duplicates/"


@pytest.fixture
def twins():
    kept = CmoFactory(legal_name="Nordic Fill AB")
    merged = CmoFactory(legal_name="Nordic Fill Oy")
    return kept, merged


@pytest.mark.parametrize("persona", ["sourcing", "qa", "manager", "admin_user"])
def test_every_role_reads_the_duplicates(api_for, twins, persona, request):
    data = api_for(request.getfixturevalue(persona)).get(DUPLICATES).data
    [pair] = data["cmos"]
    assert {pair["first"], pair["second"]} == {c.pk for c in twins}
    assert pair["reasons"] == ["Names match (nordic fill)"] and pair["mergeable"] is True
    assert data["sites"] == []


def test_no_role_no_duplicates(api_for, outsider):
    assert api_for(outsider).get(DUPLICATES).status_code == 403
    assert api_for(None).get(DUPLICATES).status_code in (401, 403)


def test_sourcing_merges_two_cmos(api_for, sourcing, twins):
    kept, merged = twins
    SiteFactory(cmo=merged)
    contract = ContractFactory(cmo=merged)
    candidate = CandidateFactory(cmo=merged)
    response = api_for(sourcing).post(
        f"/api/v1/cmos/{kept.pk}/merge/", {"merged": merged.pk, "reason": "Same firm"}
    )
    assert response.status_code == 200
    assert response.data["kept"] == kept.pk and response.data["moved"]["sites"] == 1
    assert Contract.objects.get(pk=contract.pk).cmo == kept
    assert Candidate.objects.get(pk=candidate.pk).cmo == kept
    read = api_for(sourcing).get(f"/api/v1/cmos/{merged.pk}/").data
    assert read["merged_into"] == kept.pk
    listed = api_for(sourcing).get("/api/v1/cmos/").data["results"]
    assert [row["id"] for row in listed] == [kept.pk]


@pytest.mark.parametrize("persona", ["qa", "manager"])
def test_roles_that_do_not_edit_the_directory_get_a_403(api_for, twins, persona, request):
    kept, merged = twins
    response = api_for(request.getfixturevalue(persona)).post(
        f"/api/v1/cmos/{kept.pk}/merge/", {"merged": merged.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert Cmo.objects.get(pk=merged.pk).merged_into is None


def test_refusals_are_400s_with_the_field(api_for, sourcing, twins):
    kept, merged = twins
    api = api_for(sourcing)
    url = f"/api/v1/cmos/{kept.pk}/merge/"
    assert "reason" in api.post(url, {"merged": merged.pk}).data
    assert "kept" in api.post(url, {"merged": kept.pk, "reason": "x"}).data
    assert "merged" in api.post(url, {"merged": 999999, "reason": "x"}).data
    assert (
        api.post("/api/v1/cmos/999999/merge/", {"merged": merged.pk, "reason": "x"}).status_code
        == 404
    )
    a, b = SiteFactory(), SiteFactory()
    refused = api.post(f"/api/v1/sites/{a.pk}/merge/", {"merged": b.pk, "reason": "x"})
    assert refused.status_code == 400 and "merge the CMOs first" in str(refused.data["kept"])


def test_sourcing_merges_two_sites(api_for, sourcing):
    cmo = CmoFactory()
    kept, merged = SiteFactory(cmo=cmo), SiteFactory(cmo=cmo)
    response = api_for(sourcing).post(
        f"/api/v1/sites/{kept.pk}/merge/", {"merged": merged.pk, "reason": "One plant"}
    )
    assert response.status_code == 200
    assert Site.objects.get(pk=merged.pk).merged_into == kept


def test_the_schema_documents_the_merge_and_duplicates_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/cmos/{id}/merge/", "/api/v1/sites/{id}/merge/"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"200", "400", "403", "404"} <= set(responses)
    assert {"200", "403"} <= set(schema["paths"][DUPLICATES]["get"]["responses"])
