"""Every download is an attachment with a name and the type of its content."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from audits.models import AuditReport
from cmoselect.downloads import download
from tests.factories import SiteFactory, make_audit, make_checklist

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def attachment(response, filename: str, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


@pytest.fixture
def ready_report(qa):
    audit = make_audit(lead=qa)
    report = AuditReport.objects.create(audit=audit, revision=1, status="ready", requested_by=qa)
    report.file.save(report.filename, ContentFile(b"%PDF-1.7 report"))
    return report


@pytest.mark.parametrize("kind", ["json", "csv", "xlsx"])
def test_a_checklist_version_downloads_in_the_browser_and_the_api_alike(
    client_for, api_for, qa, kind
):
    version = make_checklist(name="GMP site audit (sterile)")
    name = f"gmp-site-audit--sterile-v{version.number}.{kind}"
    page = client_for(qa).get(reverse("audits:version_export", args=[version.pk]), {"format": kind})
    attachment(page, name, TYPES[kind])
    api = api_for(qa).get(f"/api/v1/checklist-versions/{version.pk}/export/", {"kind": kind})
    attachment(api, name, TYPES[kind])
    assert api.content == page.content


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_capability_matrix_downloads_as_csv_and_xlsx(client_for, qa, kind):
    SiteFactory()
    response = client_for(qa).get(reverse("vendors:matrix"), {"view": "sites", "as": kind})
    attachment(response, f"capability-matrix-sites.{kind}", TYPES[kind])


def test_a_ready_audit_report_downloads_as_a_pdf_in_the_browser_and_the_api(
    client_for, api_for, qa, ready_report
):
    name = f"{ready_report.audit.reference}-rev1.pdf"
    page = client_for(qa).get(reverse("audits:report_download", args=[ready_report.pk]))
    attachment(page, name, "application/pdf")
    assert b"".join(page.streaming_content) == b"%PDF-1.7 report"
    api = api_for(qa).get(f"/api/v1/audit-reports/{ready_report.pk}/download/")
    attachment(api, name, "application/pdf")


def test_a_report_whose_file_is_gone_from_storage_is_not_found_not_an_error(
    client_for, api_for, qa, ready_report
):
    ready_report.file.storage.delete(ready_report.file.name)
    page = client_for(qa).get(reverse("audits:report_download", args=[ready_report.pk]))
    assert page.status_code == 404
    api = api_for(qa).get(f"/api/v1/audit-reports/{ready_report.pk}/download/")
    assert api.status_code == 404


def test_a_report_not_yet_ready_is_not_found(client_for, qa, ready_report):
    AuditReport.objects.filter(pk=ready_report.pk).update(status="rendering")
    page = client_for(qa).get(reverse("audits:report_download", args=[ready_report.pk]))
    assert page.status_code == 404


def test_content_of_an_unlisted_type_is_refused_rather_than_sent_untyped():
    with pytest.raises(ValueError, match="report.exe"):
        download(b"MZ", filename="report.exe")
