import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/cmos/{id}/status/" in text
    assert "change_reason" in text


def test_the_docs_page_serves_swagger_from_our_own_static_files(client, qa):
    client.force_login(qa)
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower()


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _ref(media: dict) -> str:
    return media["schema"].get("$ref", "").rsplit("/", 1)[-1]


def test_every_operation_documents_its_errors_as_json(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        for code, component in [("400", "FieldErrors"), ("401", "Error"), ("403", "Error")]:
            assert _ref(responses[code]["content"]["application/json"]) == component, (path, method)
        if "{id}" in path:
            assert _ref(responses["404"]["content"]["application/json"]) == "Error", (path, method)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_a_stale_answer_documents_its_409_with_both_values(schema):
    for method in ("put", "patch"):
        conflict = schema["paths"]["/api/v1/answers/{id}/"][method]["responses"]["409"]
        assert _ref(conflict["content"]["application/json"]) == "AnswerConflict"
    properties = schema["components"]["schemas"]["AnswerConflict"]["properties"]
    assert {"detail", "current", "yours"} <= set(properties)


@pytest.mark.parametrize(
    "path, method, code",
    [
        ("/api/v1/audits/{id}/report/", "post", "202"),
        ("/api/v1/audits/{id}/sign/", "post", "201"),
        ("/api/v1/evaluations/{id}/recompute/", "post", "202"),
        ("/api/v1/evaluations/{id}/weights/", "post", "202"),
        ("/api/v1/evaluations/{id}/move-version/", "post", "202"),
        ("/api/v1/candidates/{id}/entries/", "post", "202"),
        ("/api/v1/checklist-versions/import/", "post", "201"),
        ("/api/v1/cmos/", "post", "201"),
        ("/api/v1/site-capabilities/{id}/", "delete", "204"),
    ],
)
def test_operations_document_the_success_code_they_answer(schema, path, method, code):
    responses = schema["paths"][path][method]["responses"]
    assert [c for c in responses if c.startswith("2")] == [code]


def test_the_checklist_export_documents_each_format_it_returns(schema):
    content = schema["paths"]["/api/v1/checklist-versions/{id}/export/"]["get"]["responses"]["200"]
    assert set(content["content"]) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_the_needs_search_and_the_scores_are_documented_as_the_objects_they_are(schema):
    def answer(path):
        return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]

    assert _ref(answer("/api/v1/needs/")) == "NeedsResult"
    assert _ref(answer("/api/v1/evaluations/{id}/scores/")) == "Scores"
    candidates = answer("/api/v1/evaluations/{id}/candidates/")["schema"]
    assert candidates["type"] == "array"


def test_read_only_fields_that_can_be_empty_are_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["Contract"]["properties"]["notice_deadline"]["nullable"] is True
    assert components["RegulatoryEvent"]["properties"]["source_row"]["nullable"] is True
    assert components["Finding"]["properties"]["capa"]["nullable"] is True
    assert "site_count" in components["Cmo"]["required"]


def test_updates_require_a_reason_and_answers_the_version_read(schema):
    components = schema["components"]["schemas"]
    for path in ("/api/v1/cmos/{id}/", "/api/v1/site-capabilities/{id}/", "/api/v1/audits/{id}/"):
        for method in ("put", "patch"):
            body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
            assert "change_reason" in components[_ref(body)]["required"], (path, method)
    assert "change_reason" not in components.get("CmoRequest", {}).get("required", [])
    for method in ("put", "patch"):
        body = schema["paths"]["/api/v1/answers/{id}/"][method]["requestBody"]["content"]
        assert "version" in components[_ref(body["application/json"])]["required"]


def test_a_decimal_needs_a_digit(schema):
    target = schema["components"]["schemas"]["KpiRequest"]["properties"]["target"]
    pattern = re.compile(target["pattern"])
    assert not pattern.fullmatch("") and not pattern.fullmatch(".")
    assert pattern.fullmatch("12.5") and pattern.fullmatch("-0.25") and pattern.fullmatch("7")


def test_pages_and_ids_declare_their_lower_bounds(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cmos/"]["get"]["parameters"]}
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    audits = {p["name"]: p for p in schema["paths"]["/api/v1/audits/"]["get"]["parameters"]}
    assert audits["site"]["schema"]["minimum"] == 1


NESTED_BODIES = [
    ("/api/v1/evaluations/", "post"),
    ("/api/v1/evaluations/{id}/weights/", "post"),
    ("/api/v1/scoring-models/{id}/weights/", "post"),
    ("/api/v1/amendments/", "post"),
]


@pytest.mark.parametrize(("path", "method"), NESTED_BODIES)
def test_bodies_with_nested_fields_are_json_only(schema, path, method):
    """A multipart body cannot carry nested objects: its weights, needs or proposed rows were
    dropped without a word (an empty set of weights was saved as a new version)."""
    assert set(schema["paths"][path][method]["requestBody"]["content"]) == {"application/json"}


@pytest.mark.django_db
def test_a_form_encoded_body_for_nested_fields_is_refused_with_415(api_for, sourcing):
    from tests.factories import EvaluationFactory

    evaluation = EvaluationFactory()
    version = evaluation.model_version_id
    api = api_for(sourcing)
    url = f"/api/v1/evaluations/{evaluation.pk}/weights/"
    response = api.post(url, {"weights": '{"capability_fit": -1}', "note": "x"}, format="multipart")
    assert response.status_code == 415
    evaluation.refresh_from_db()
    assert evaluation.model_version_id == version
