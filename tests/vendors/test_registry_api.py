"""The registry endpoint: search with the page's filters, history, add to directory."""

import pytest

from vendors.models import Site

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/"


def firms(response) -> list[str]:
    return [row["firm_name"] for row in response.data["results"]]


@pytest.mark.parametrize("persona", ["sourcing", "qa", "manager", "admin_user"])
def test_every_role_reads_the_registry_with_the_same_filters(api_for, request, registry, persona):
    api = api_for(request.getfixturevalue(persona))
    assert firms(api.get(URL, {"country": "FR"})) == ["Lyon Packers"]
    assert firms(api.get(URL, {"recent_oai_or_warning": "true"})) == ["Cork Sterile Fill"]
    assert firms(api.get(URL, {"signal_min": 90, "current": "true"})) == ["Lyon Packers"]
    row = api.get(URL, {"q": "3001"}).data["results"][0]
    assert (row["signal"], row["in_directory"], row["site"]) == (70, False, None)
    assert row["operations"] == ["MANUFACTURE", "STERILIZE"]


def test_no_role_no_registry(api_for, outsider, registry):
    assert api_for(None).get(URL).status_code in (401, 403)
    assert api_for(outsider).get(URL).status_code == 403


def test_a_bad_filter_is_a_400_with_the_field(api_for, qa, registry):
    response = api_for(qa).get(URL, {"signal_min": "lots"})
    assert response.status_code == 400
    assert "signal_min" in response.data


@pytest.mark.parametrize(
    ("url", "name"),
    [(URL, "signal_min"), (URL, "signal_max"), ("/api/v1/site-capabilities/", "min_level")],
)
def test_a_whole_number_filter_refuses_a_fraction(api_for, qa, registry, url, name):
    """`?signal_min=0.5` filtered on a value no entry holds, where the schema says an integer."""
    api = api_for(qa)
    response = api.get(url, {name: "1.5"})
    assert response.status_code == 400 and name in response.data
    assert api.get(url, {name: "1"}).status_code == 200


@pytest.mark.parametrize("name", ["current", "recent_oai_or_warning"])
@pytest.mark.parametrize("value", ["null", "maybe"])
def test_a_yes_no_filter_refuses_anything_but_true_or_false(api_for, qa, registry, name, value):
    """`?current=null` was taken as no filter: the whole registry, not the current entries."""
    api = api_for(qa)
    response = api.get(URL, {name: value})
    assert response.status_code == 400 and name in response.data
    assert api.get(URL, {name: "true"}).status_code == 200
    assert api.get(URL, {name: "false"}).status_code == 200


def test_the_history_of_an_establishment(api_for, qa, registry):
    data = api_for(qa).get(f"{URL}{registry['3001'].pk}/history/").data
    assert data["signal"] == 70
    assert data["flags"] == ["OAI inspection within 5 years"]
    assert [e["classification"] for e in data["events"]] == ["oai"]


def test_sourcing_adds_establishments_to_the_directory(api_for, sourcing, registry):
    api = api_for(sourcing)
    ids = [registry["3001"].pk, registry["3002"].pk]
    response = api.post(
        f"{URL}add-to-directory/", {"establishments": ids, "reason": "Shortlist"}, format="json"
    )
    assert response.status_code == 201
    assert sorted(s["fei_number"] for s in response.data) == ["3001", "3002"]
    site = Site.objects.get(fei_number="3001")
    assert site.history.get().history_change_reason == "Shortlist"
    row = api.get(URL, {"q": "3001"}).data["results"][0]
    assert (row["in_directory"], row["site"]) == (True, site.pk)


def test_adding_without_a_reason_is_a_400_and_other_roles_are_refused(
    api_for,
    sourcing,
    qa,
    registry,
):
    body = {"establishments": [registry["3001"].pk], "reason": ""}
    response = api_for(sourcing).post(f"{URL}add-to-directory/", body, format="json")
    assert response.status_code == 400 and "reason" in response.data
    body["reason"] = "x"
    assert api_for(qa).post(f"{URL}add-to-directory/", body, format="json").status_code == 403
    assert not Site.objects.exists()


def test_the_schema_documents_the_registry(api_for, qa):
    schema = api_for(qa).get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/registry/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/registry/add-to-directory/"]
    names = {p["name"] for p in schema["paths"]["/api/v1/registry/"]["get"]["parameters"]}
    assert {"q", "country", "operation", "signal_min", "recent_oai_or_warning", "current"} <= names
