import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.models import Audit, AuditReport, Capa, TemplateVersion
from tests.conftest import PASSWORD
from tests.factories import SiteFactory, make_audit, make_checklist

pytestmark = pytest.mark.django_db


def test_answers_are_saved_with_the_version_check(api_for, qa, admin_user):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    answer = audit.answers.first()
    url = f"/api/v1/answers/{answer.pk}/"
    assert api_for(qa).patch(url, {"value": "yes"}, format="json").status_code == 400
    response = api_for(qa).patch(
        url, {"value": "yes", "comment": "ok", "version": 0}, format="json"
    )
    assert response.status_code == 200 and response.data["version"] == 1
    response = api_for(admin_user).patch(url, {"value": "no", "version": 0}, format="json")
    assert response.status_code == 409
    assert response.data["current"]["value"] == "yes" and response.data["yours"]["value"] == "no"
    response = api_for(qa).patch(url, {"value": "maybe", "version": 1}, format="json")
    assert response.status_code == 400 and "value" in response.data


def test_an_audit_runs_through_the_api_to_a_signed_approval_and_a_report(
    api_for, qa, reviewer, manager, django_capture_on_commit_callbacks
):
    version = make_checklist()
    api = api_for(qa)
    response = api.post(
        "/api/v1/audits/",
        {
            "site": SiteFactory().pk,
            "template_version": version.pk,
            "audit_type": "remote",
            "planned_start": "2026-05-04",
            "planned_end": "2026-05-04",
            "lead_auditor": qa.pk,
            "scope": "QC laboratory",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    audit_id = response.data["id"]
    api.post(f"/api/v1/audits/{audit_id}/status/", {"status": "in_progress"}, format="json")
    answers = api.get("/api/v1/answers/", {"audit": audit_id}).data["results"]
    for a in answers:
        value = {"yes_no": "yes", "rating": "4", "text": "fine"}[a["answer_type"]]
        assert (
            api.patch(
                f"/api/v1/answers/{a['id']}/",
                {"value": value, "version": a["version"]},
                format="json",
            ).status_code
            == 200
        )
    response = api.post(
        "/api/v1/findings/",
        {
            "audit": audit_id,
            "severity": "minor",
            "title": "Logbook gap",
            "requirement": "21 CFR 211.182",
            "description": "d",
        },
        format="json",
    )
    assert response.status_code == 201 and response.data["capa"]["status"] == "open"
    capa_id = response.data["capa"]["id"]
    api.post(f"/api/v1/audits/{audit_id}/status/", {"status": "in_review"}, format="json")
    assert (
        api_for(manager).post(f"/api/v1/audits/{audit_id}/sign/", {}, format="json").status_code
        == 403
    )
    own = api.post(
        f"/api/v1/audits/{audit_id}/sign/",
        {"decision": "approve", "meaning": "approved", "password": PASSWORD},
        format="json",
    )
    assert own.status_code == 400 and "lead auditor" in str(own.data)
    signer = api_for(reviewer)
    bad = signer.post(
        f"/api/v1/audits/{audit_id}/sign/",
        {"decision": "approve", "meaning": "approved", "password": "nope"},
        format="json",
    )
    assert bad.status_code == 400 and "password" in bad.data
    signed = signer.post(
        f"/api/v1/audits/{audit_id}/sign/",
        {"decision": "approve", "meaning": "approved", "password": PASSWORD},
        format="json",
    )
    assert signed.status_code == 201 and len(signed.data["content_hash"]) == 64
    assert api.get(f"/api/v1/audits/{audit_id}/").data["status"] == "approved"

    capa_api = api_for(qa)
    capa_api.post(
        f"/api/v1/capas/{capa_id}/respond/",
        {"root_cause": "a", "corrective_action": "b", "preventive_action": "c"},
        format="json",
    )
    assert capa_api.post(f"/api/v1/capas/{capa_id}/accept/").data["status"] == "accepted"
    assert Capa.objects.get(pk=capa_id).accepted_by == qa

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(manager).post(f"/api/v1/audits/{audit_id}/report/")
    assert response.status_code == 202
    report = AuditReport.objects.get()
    detail = api_for(manager).get(f"/api/v1/audit-reports/{report.pk}/").data
    assert detail["status"] == "ready" and detail["download_url"].endswith("/download/")
    pdf = api_for(manager).get(f"/api/v1/audit-reports/{report.pk}/download/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_templates_are_read_exported_and_imported(api_for, qa, sourcing):
    version = make_checklist(name="API checklist")
    detail = api_for(sourcing).get(f"/api/v1/checklist-versions/{version.pk}/").data
    assert detail["question_count"] == 5 and len(detail["sections"]) == 2
    exported = api_for(sourcing).get(
        f"/api/v1/checklist-versions/{version.pk}/export/", {"kind": "json"}
    )
    assert exported.status_code == 200
    upload = SimpleUploadedFile("t.json", exported.content)
    assert (
        api_for(sourcing).post("/api/v1/checklist-versions/import/", {"file": upload}).status_code
        == 403
    )
    upload = SimpleUploadedFile("t.json", exported.content)
    response = api_for(qa).post("/api/v1/checklist-versions/import/", {"file": upload})
    assert response.status_code == 201 and response.data["number"] == 2
    assert TemplateVersion.objects.get(pk=response.data["id"]).status == "draft"
    bad = api_for(qa).post(
        "/api/v1/checklist-versions/import/",
        {"file": SimpleUploadedFile("t.csv", b"x,y\n1,2\n"), "name": "N"},
    )
    assert bad.status_code == 400 and "Row 1" in str(bad.data)
