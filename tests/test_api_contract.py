"""What the API answers where it used to break its own schema (found by schemathesis, which
`scripts/api_contract.py` runs against a live server in CI)."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from knox.models import AuthToken
from rest_framework.test import APIClient

from scoring.models import ComparisonReport
from tests.factories import (
    CmoFactory,
    EvaluationFactory,
    MilestoneFactory,
    SiteCapabilityFactory,
    make_audit,
    make_checklist,
)
from vendors.demo import demo_email
from vendors.models import CapabilityLevel, Cmo, SiteCapability


def test_setting_a_cell_without_a_level_keeps_the_cell_it_would_have_removed(api_for, sourcing):
    cell = SiteCapabilityFactory(level=CapabilityLevel.DEMONSTRATED)
    response = api_for(sourcing).post(
        "/api/v1/site-capabilities/",
        {
            "site": cell.site_id,
            "capability": cell.capability_id,
            "notes": "Second line",
            "change_reason": "Notes from the call",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    cell.refresh_from_db()
    assert cell.level == CapabilityLevel.DEMONSTRATED and cell.notes == "Second line"
    assert response.data["level"] == CapabilityLevel.DEMONSTRATED


def test_a_new_cell_without_a_level_is_claimed(api_for, sourcing):
    cell = SiteCapabilityFactory()
    site, capability = cell.site, cell.capability
    cell.delete()
    response = api_for(sourcing).post(
        "/api/v1/site-capabilities/",
        {"site": site.pk, "capability": capability.pk, "change_reason": "Seen on the site visit"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert SiteCapability.objects.get(site=site, capability=capability).level == (
        CapabilityLevel.CLAIMED
    )


@pytest.mark.parametrize("body", ["1", "true", "null", '["version"]', '"text"'])
def test_a_json_body_that_is_not_an_object_is_answered_with_400(api_for, qa, body):
    audit = make_audit(lead=qa)
    answer = audit.answers.first()
    api = api_for(qa)
    for method, url in [
        ("put", f"/api/v1/answers/{answer.pk}/"),
        ("patch", f"/api/v1/answers/{answer.pk}/"),
        ("post", f"/api/v1/audits/{audit.pk}/status/"),
        ("patch", f"/api/v1/audits/{audit.pk}/"),
    ]:
        response = getattr(api, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (method, url, response.content)
        assert response.json() == {"detail": "The request body must be a JSON object."}


def test_a_created_cmo_answers_with_its_site_count_like_a_read(api_for, sourcing):
    api = api_for(sourcing)
    created = api.post(
        "/api/v1/cmos/",
        {"legal_name": "Lyon Steriles SA", "headquarters_country": "FR"},
        format="json",
    )
    assert created.status_code == 201, created.data
    assert created.data["site_count"] == 0
    changed = api.patch(
        f"/api/v1/cmos/{created.data['id']}/",
        {"website": "https://lyon.example.com", "change_reason": "Website found"},
        format="json",
    )
    assert changed.status_code == 200 and changed.data["site_count"] == 0


def test_demo_contacts_have_addresses_the_email_field_accepts():
    address = demo_email("José", "O'Brien", "Müller")
    assert address == "jose.obrien@muller.example"
    validate_email(address)


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "201"])
def test_a_bad_page_size_is_refused_not_ignored(api_for, qa, page_size):
    response = api_for(qa).get("/api/v1/cmos/", {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.data


def test_an_unknown_late_value_is_refused_and_true_filters(api_for, qa):
    MilestoneFactory(name="Late one", planned_date=date(2020, 1, 1))
    api = api_for(qa)
    assert api.get("/api/v1/milestones/", {"late": "AAA"}).status_code == 400
    late = api.get("/api/v1/milestones/", {"late": "true"})
    assert [row["name"] for row in late.data["results"]] == ["Late one"]
    assert api.get("/api/v1/milestones/", {"late": "false"}).data["count"] == 0


def test_an_unknown_export_kind_is_refused(api_for, qa):
    version = make_checklist()
    api = api_for(qa)
    assert api.get(f"/api/v1/checklist-versions/{version.pk}/export/?kind=AAA").status_code == 400
    csv = api.get(f"/api/v1/checklist-versions/{version.pk}/export/?kind=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")


def test_a_reason_longer_than_allowed_is_refused_even_when_it_starts_with_spaces(api_for, sourcing):
    cmo = CmoFactory()
    response = api_for(sourcing).post(
        f"/api/v1/cmos/{cmo.pk}/status/",
        {"status": "under_evaluation", "reason": " " + "x" * 2000},
        format="json",
    )
    assert response.status_code == 400
    assert "reason" in response.data


@pytest.mark.parametrize("value", [0, 1.5, True, ["text"], {"text": "x"}])
def test_a_text_field_sent_as_another_json_type_is_refused_not_saved_as_text(
    api_for, sourcing, value
):
    body = {"legal_name": "Typed Pharma", "headquarters_country": "DE", "description": value}
    response = api_for(sourcing).post("/api/v1/cmos/", body, format="json")
    assert response.status_code == 400
    assert response.data["description"] == ["Not a valid string."]
    assert not Cmo.objects.filter(legal_name="Typed Pharma").exists()
    # The same body with text is taken.
    body["description"] = "0"
    assert api_for(sourcing).post("/api/v1/cmos/", body, format="json").status_code == 201


def test_a_comparison_report_downloads_through_the_api_with_a_token(manager):
    evaluation = EvaluationFactory()
    report = ComparisonReport.objects.create(evaluation=evaluation, requested_by=manager)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(manager)[1]}")

    pending = api.get(f"/api/v1/comparison-reports/{report.pk}/download/")
    assert pending.status_code == 404 and pending["Content-Type"] == "application/json"

    report.file.save("comparison.pdf", ContentFile(b"%PDF-1.7 report"), save=False)
    report.status = ComparisonReport.Status.READY
    report.save()
    url = api.get(f"/api/v1/comparison-reports/{report.pk}/").data["download_url"]
    assert url == f"http://testserver/api/v1/comparison-reports/{report.pk}/download/"
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_level_filter_outside_1_to_3_is_refused(api_for, qa):
    SiteCapabilityFactory(level=CapabilityLevel.DEMONSTRATED)
    api = api_for(qa)
    for params in ({"min_level": 0}, {"min_level": 4}, {"level": 0}):
        assert api.get("/api/v1/site-capabilities/", params).status_code == 400, params
    assert api.get("/api/v1/site-capabilities/", {"min_level": 2}).data["count"] == 1
    assert api.get("/api/v1/site-capabilities/", {"min_level": 3}).data["count"] == 0


def test_an_api_address_no_route_knows_is_a_json_404(api_for, qa):
    response = api_for(qa).get("/api/v1/imports/-0.5/retry/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_empty_filter_is_documented_as_no_filter(api_for, qa):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/regulatory-events/"]["get"]["parameters"]
    date_to = next(p for p in parameters if p["name"] == "date_to")["schema"]
    assert {"type": "string", "maxLength": 0} in date_to["anyOf"]
    assert api_for(qa).get("/api/v1/regulatory-events/", {"date_to": ""}).status_code == 200


def test_a_change_reason_that_is_not_text_is_refused(api_for, sourcing):
    cell = SiteCapabilityFactory()
    response = api_for(sourcing).patch(
        f"/api/v1/site-capabilities/{cell.pk}/", {"level": 2, "change_reason": 12}, format="json"
    )
    assert response.status_code == 400
    assert "change_reason" in response.data


def test_registry_history_shows_events_without_a_classification_or_link(api_for, qa):
    from tests.factories import EstablishmentFactory, RegulatoryEventFactory

    entry = EstablishmentFactory()
    RegulatoryEventFactory(site=None, establishment=entry, classification="", url="")
    response = api_for(qa).get(f"/api/v1/registry/{entry.pk}/history/")
    assert response.status_code == 200
    assert response.data["events"][0]["classification"] == ""
    schema = api_for(qa).get("/api/schema/?format=json").json()
    event = schema["components"]["schemas"]["RegistryEvent"]["properties"]
    assert "format" not in event["url"] and "enum" not in event["classification"]
    params = schema["paths"]["/api/v1/registry/"]["get"]["parameters"]
    signal_min = next(p for p in params if p["name"] == "signal_min")["schema"]
    assert (signal_min["minimum"], signal_min["maximum"]) == (0, 100)
