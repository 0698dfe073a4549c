"""The certificate register in the API: list, record, correct, replace, remove, download."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import CertificateFactory, SiteFactory
from vendors.models import Certificate

pytestmark = pytest.mark.django_db
URL = "/api/v1/certificates/"


def payload(site, **changes):
    data = {
        "site": site.pk,
        "kind": "iso9001",
        "reference": "ISO-9001-4711",
        "issuer": "TÜV SÜD",
        "issued_on": "2025-03-01",
        "valid_until": "2028-02-28",
        "file": SimpleUploadedFile("iso.pdf", b"%PDF-1.7 iso"),
    }
    return {**data, **changes}


def test_qa_records_a_certificate_with_a_file(api_for, qa):
    site = SiteFactory()
    response = api_for(qa).post(URL, payload(site), format="multipart")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["kind"], data["status"], data["file_name"]) == ("iso9001", "valid", "iso.pdf")
    assert data["download_url"].endswith(f"/api/v1/certificates/{data['id']}/download/")
    assert Certificate.objects.get().created_by == qa


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"file": SimpleUploadedFile("iso.txt", b"hello")}, "file"),
        ({"file": SimpleUploadedFile("iso.pdf", b"nope")}, "file"),
        ({"valid_until": "2024-01-01"}, "valid_until"),
        ({"kind": "patent"}, "kind"),
    ],
)
def test_bad_input_is_a_400_on_the_field(api_for, qa, changes, field):
    response = api_for(qa).post(URL, payload(SiteFactory(), **changes), format="multipart")
    assert response.status_code == 400
    assert field in response.json()
    assert not Certificate.objects.exists()


def test_a_certificate_without_its_file_is_refused(api_for, qa):
    data = payload(SiteFactory())
    del data["file"]
    response = api_for(qa).post(URL, data, format="multipart")
    assert response.status_code == 400 and "file" in response.json()


@pytest.mark.parametrize("role", ["sourcing", "manager"])
def test_other_roles_read_but_cannot_write(api_for, personas, role):
    certificate = CertificateFactory()
    api = api_for(personas[role])
    assert api.get(URL, {"site": certificate.site_id}).status_code == 200
    assert api.post(URL, payload(SiteFactory()), format="multipart").status_code == 403
    detail = f"{URL}{certificate.pk}/"
    assert api.patch(detail, {"notes": "x", "change_reason": "y"}).status_code == 403
    assert api.delete(f"{detail}?change_reason=y").status_code == 403
    assert api.post(f"{detail}replace/", {}).status_code == 403
    assert api.get(f"{detail}download/").status_code == 200


def test_no_role_and_no_login_are_refused(api_for, outsider):
    assert api_for(outsider).get(URL).status_code == 403
    assert api_for(None).get(URL).status_code == 401


def test_an_update_needs_a_reason_and_cannot_move_the_certificate(api_for, qa):
    certificate = CertificateFactory()
    api = api_for(qa)
    detail = f"{URL}{certificate.pk}/"
    assert api.patch(detail, {"notes": "Scope: sterile"}, format="json").status_code == 400
    moved = api.patch(detail, {"site": SiteFactory().pk, "change_reason": "x"}, format="json")
    assert moved.status_code == 400 and "site" in moved.json()
    ok = api.patch(detail, {"notes": "Scope: sterile", "change_reason": "Scope"}, format="json")
    assert ok.status_code == 200 and ok.json()["notes"] == "Scope: sterile"


def test_qa_replaces_a_certificate_and_filters_the_register(api_for, qa):
    today = timezone.localdate()
    old = CertificateFactory(valid_until=today + timedelta(days=10))
    expired = CertificateFactory(site=old.site, kind="iso13485", valid_until=today - timedelta(1))
    api = api_for(qa)
    response = api.post(
        f"{URL}{old.pk}/replace/",
        {
            "reference": "GMP-2026-NEW",
            "issuer": old.issuer,
            "issued_on": str(today),
            "valid_until": str(today + timedelta(days=1000)),
            "file": SimpleUploadedFile("new.pdf", b"%PDF-1.7 new"),
            "change_reason": "Renewed",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    new_id = response.json()["id"]
    old.refresh_from_db()
    assert old.superseded_by_id == new_id
    current = api.get(URL, {"site": old.site_id, "current": "true"}).json()["results"]
    assert {row["id"] for row in current} == {new_id, expired.pk}
    rows = api.get(URL, {"site": old.site_id, "status": "expired"}).json()["results"]
    assert [row["id"] for row in rows] == [expired.pk]
    rows = api.get(URL, {"site": old.site_id, "status": "superseded"}).json()["results"]
    assert [row["id"] for row in rows] == [old.pk]
    again = api.post(
        f"{URL}{old.pk}/replace/",
        {
            "reference": "X",
            "issuer": "Y",
            "issued_on": "2026-01-01",
            "file": SimpleUploadedFile("x.pdf", b"%PDF-1.7"),
            "change_reason": "again",
        },
        format="multipart",
    )
    assert again.status_code == 400


def test_a_removal_needs_a_reason_and_is_kept_in_history(api_for, qa):
    certificate = CertificateFactory()
    api = api_for(qa)
    assert api.delete(f"{URL}{certificate.pk}/").status_code == 400
    assert api.delete(f"{URL}{certificate.pk}/?change_reason=Wrong site").status_code == 204
    assert Certificate.history.filter(id=certificate.pk, history_type="-").exists()


def test_the_list_costs_the_same_queries_for_2_or_20(api_for, qa, django_assert_max_num_queries):
    site = SiteFactory()
    api = api_for(qa)
    CertificateFactory.create_batch(2, site=site)
    with django_assert_max_num_queries(20) as baseline:
        api.get(URL, {"site": site.pk})
    CertificateFactory.create_batch(18, site=site)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert len(api.get(URL, {"site": site.pk}).json()["results"]) == 20


def test_a_valid_certificate_reads_its_days_left(api_for, manager):
    certificate = CertificateFactory(valid_until=date.today() + timedelta(days=400))
    data = api_for(manager).get(f"{URL}{certificate.pk}/").json()
    assert data["status"] == "valid" and data["days_left"] >= 399


def test_an_empty_expiry_in_a_form_is_refused_and_an_omitted_one_means_no_expiry(api_for, qa):
    api = api_for(qa)
    refused = api.post(URL, payload(SiteFactory(), valid_until=""), format="multipart")
    assert refused.status_code == 400 and "valid_until" in refused.json()
    data = payload(SiteFactory())
    del data["valid_until"]
    created = api.post(URL, data, format="multipart")
    assert created.status_code == 201 and created.json()["valid_until"] is None


def test_a_filter_value_that_is_not_yes_or_no_is_a_400(api_for, qa):
    response = api_for(qa).get(URL, {"current": "maybe"})
    assert response.status_code == 400 and "current" in response.json()
