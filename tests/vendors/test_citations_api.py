"""The citations API: the same service and role rules as the pages, 400 with field errors."""

import pytest

from tests.factories import CitationFactory, RegulatoryEventFactory
from vendors.models import Citation, EventKind, citation_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection():
    return RegulatoryEventFactory(reference="1306888", project_area="Drugs")


def test_qa_adds_corrects_and_removes_a_citation_through_the_api(api_for, qa, inspection):
    api = api_for(qa)
    created = api.post(
        "/api/v1/citations/",
        {
            "inspection": inspection.pk,
            "act_cfr_number": "21 CFR 211.192",
            "short_description": "Investigations of discrepancies",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["inspection"], body["source"]) == (inspection.pk, "manual")
    url = f"/api/v1/citations/{body['id']}/"
    citation = Citation.objects.get(pk=body["id"])
    assert citation.key == citation.content_key
    assert citation.history.get().history_user == qa

    refused = api.patch(url, {"long_description": "More detail"}, format="json")
    assert refused.status_code == 400 and "change_reason" in refused.json()
    patched = api.patch(
        url, {"long_description": "More detail", "change_reason": "From the EIR"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["long_description"] == "More detail"
    assert citation.history.first().history_change_reason == "From the EIR"

    listed = api.get("/api/v1/citations/", {"inspection": inspection.pk}).json()
    assert [c["id"] for c in listed["results"]] == [citation.pk]
    event = api.get(f"/api/v1/regulatory-events/{inspection.pk}/").json()
    assert [c["id"] for c in event["citations"]] == [citation.pk]

    assert api.delete(url).status_code == 400
    assert api.delete(url, {"change_reason": " "}, format="json").json() == {
        "change_reason": ["Say why this citation is removed."]
    }
    assert api.delete(url + "?change_reason=Duplicate+of+the+imported+one").status_code == 204
    assert not Citation.objects.filter(pk=citation.pk).exists()
    removal = Citation.history.filter(id=citation.pk).latest("history_date")
    assert (removal.history_type, removal.history_user) == ("-", qa)
    assert removal.history_change_reason == "Duplicate of the imported one"


def test_a_removal_reason_may_come_in_a_json_body(api_for, admin_user, inspection):
    citation = CitationFactory(inspection=inspection)
    response = api_for(admin_user).delete(
        f"/api/v1/citations/{citation.pk}/", {"change_reason": "Not on the 483"}, format="json"
    )
    assert response.status_code == 204
    assert Citation.history.filter(
        id=citation.pk, history_type="-"
    ).get().history_change_reason == ("Not on the 483")


def test_bad_citations_get_400_with_field_errors(api_for, qa, inspection):
    api = api_for(qa)
    CitationFactory(
        inspection=inspection,
        act_cfr_number="21 CFR 211.22(d)",
        short_description="Procedures not in writing",
        key=citation_key("21 CFR 211.22(d)", "Procedures not in writing", ""),
    )
    letter = RegulatoryEventFactory(kind=EventKind.WARNING_LETTER, classification="")
    cases = [
        ({"inspection": inspection.pk, "short_description": ""}, "short_description"),
        (
            {"inspection": inspection.pk, "short_description": "x", "act_cfr_number": "9" * 61},
            "act_cfr_number",
        ),
        ({"inspection": letter.pk, "short_description": "x"}, "inspection"),
        ({"inspection": 999_999, "short_description": "x"}, "inspection"),
        (
            {
                "inspection": inspection.pk,
                "act_cfr_number": "21 CFR 211.22(d)",
                "short_description": "Procedures not in writing",
            },
            "short_description",
        ),
    ]
    for payload, field in cases:
        response = api.post("/api/v1/citations/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in response.json(), response.json()
    assert Citation.objects.count() == 1

    other = RegulatoryEventFactory()
    citation = Citation.objects.get()
    moved = api.patch(
        f"/api/v1/citations/{citation.pk}/",
        {"inspection": other.pk, "change_reason": "Move it"},
        format="json",
    )
    assert moved.status_code == 400 and "inspection" in moved.json()


@pytest.mark.parametrize("persona", ["sourcing", "manager", "outsider"])
def test_only_qa_and_admin_write_citations_through_the_api(api_for, personas, persona, inspection):
    citation = CitationFactory(inspection=inspection)
    api = api_for(personas[persona])
    url = f"/api/v1/citations/{citation.pk}/"
    payload = {"inspection": inspection.pk, "short_description": "x", "change_reason": "y"}
    assert api.post("/api/v1/citations/", payload, format="json").status_code == 403
    assert api.patch(url, payload, format="json").status_code == 403
    assert api.delete(url + "?change_reason=y").status_code == 403
    assert api.get(url).status_code == (403 if persona == "outsider" else 200)
    assert Citation.objects.filter(
        pk=citation.pk, short_description=citation.short_description
    ).exists()
    assert api_for(None).get(url).status_code in (401, 403)
