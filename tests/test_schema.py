from django.core.management import call_command


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
