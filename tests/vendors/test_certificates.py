"""The certificate register: status, validation, the service, the site page and the alerts."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import CertificateFactory, SiteFactory, UserFactory
from tests.html_forms import rendered_form
from vendors.certificates import (
    certificate_alerts_send,
    certificate_remove,
    certificate_replace,
    certificate_save,
)
from vendors.models import Certificate, CertificateAlert, CertificateState, GmpStatus

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


def pdf(name="gmp.pdf", data=b"%PDF-1.7 a certificate"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def new_certificate(site, **fields) -> Certificate:
    values = {
        "kind": Certificate.Kind.GMP,
        "reference": "DE_BY_04_GMP_2026_0042",
        "issuer": "Regierung von Oberbayern",
        "issued_on": date(2025, 5, 1),
        "valid_until": date(2028, 5, 1),
    }
    return Certificate(site=site, **{**values, **fields})


# ---------------------------------------------------------------- status


class TestStatus:
    @pytest.mark.parametrize(
        ("valid_until", "state", "label"),
        [
            (None, CertificateState.VALID, "valid"),
            (TODAY + timedelta(days=61), CertificateState.VALID, "valid"),
            (TODAY + timedelta(days=60), CertificateState.EXPIRING, "expires in 60 days"),
            (TODAY + timedelta(days=1), CertificateState.EXPIRING, "expires in 1 day"),
            (TODAY, CertificateState.EXPIRING, "expires today"),
            (TODAY - timedelta(days=1), CertificateState.EXPIRED, "expired"),
        ],
    )
    def test_it_reads_the_dates_as_of_a_day(self, valid_until, state, label):
        certificate = Certificate(issued_on=date(2020, 1, 1), valid_until=valid_until)
        status = certificate.status(TODAY)
        assert (status.state, status.label) == (state, label)

    def test_a_replaced_version_is_superseded_whatever_its_dates(self):
        newer = CertificateFactory()
        older = CertificateFactory(site=newer.site, superseded_by=newer)
        assert older.status(TODAY).state == CertificateState.SUPERSEDED

    def test_gmp_helpers_read_only_current_gmp_certificates(self):
        site = SiteFactory()
        assert site.certificates.has_valid_gmp(TODAY) is False
        expired = CertificateFactory(site=site, valid_until=TODAY - timedelta(days=1))
        CertificateFactory(site=site, kind=Certificate.Kind.ISO9001, valid_until=None)
        assert site.certificates.has_valid_gmp(TODAY) is False
        assert list(site.certificates.expired_gmp(TODAY)) == [expired]
        renewed = CertificateFactory(site=site, valid_until=TODAY + timedelta(days=400))
        Certificate.objects.filter(pk=expired.pk).update(superseded_by=renewed)
        assert site.certificates.has_valid_gmp(TODAY) is True
        assert not site.certificates.expired_gmp(TODAY).exists()

    def test_gmp_status_by_site_answers_every_site_in_one_query(self, django_assert_num_queries):
        valid, expired, missing = SiteFactory(), SiteFactory(), SiteFactory()
        CertificateFactory(site=valid, valid_until=None)
        CertificateFactory(site=expired, valid_until=TODAY - timedelta(days=3))
        CertificateFactory(site=missing, kind=Certificate.Kind.ISO13485)
        with django_assert_num_queries(1):
            status = Certificate.objects.gmp_status_by_site(
                [valid.pk, expired.pk, missing.pk], on=TODAY
            )
        assert status == {
            valid.pk: GmpStatus.VALID,
            expired.pk: GmpStatus.EXPIRED,
            missing.pk: GmpStatus.MISSING,
        }


# ---------------------------------------------------------------- the service


class TestSave:
    def test_qa_records_a_certificate_with_its_file_and_history(self, qa):
        site = SiteFactory()
        certificate = certificate_save(certificate=new_certificate(site), user=qa, upload=pdf())
        assert certificate.file.read().startswith(b"%PDF")
        assert (certificate.original_name, certificate.content_type) == (
            "gmp.pdf",
            "application/pdf",
        )
        entry = certificate.history.get()
        assert (entry.history_user, entry.history_change_reason) == (qa, "Created")
        assert site.certificates.get() == certificate

    @pytest.mark.parametrize(
        ("upload", "message"),
        [
            (SimpleUploadedFile("gmp.exe", b"MZ...."), "not accepted"),
            (SimpleUploadedFile("gmp.csv", b"a,b\n1,2"), "not accepted"),
            (SimpleUploadedFile("gmp.pdf", b"not a pdf at all"), "does not look like a PDF"),
            (SimpleUploadedFile("gmp.pdf", b""), "empty"),
        ],
    )
    def test_a_file_of_the_wrong_kind_is_refused_beside_the_file(self, qa, upload, message):
        with pytest.raises(ValidationError) as refused:
            certificate_save(certificate=new_certificate(SiteFactory()), user=qa, upload=upload)
        assert message in " ".join(refused.value.message_dict["file"])
        assert not Certificate.objects.exists()

    def test_a_file_too_large_is_refused(self, qa, settings):
        settings.MAX_UPLOAD_SIZE = 100
        with pytest.raises(ValidationError) as refused:
            certificate_save(
                certificate=new_certificate(SiteFactory()),
                user=qa,
                upload=pdf(data=b"%PDF-" + b"x" * 200),
            )
        assert "the limit is 100" in refused.value.message_dict["file"][0]

    def test_dates_out_of_order_or_in_the_future_are_refused(self, qa):
        site = SiteFactory()
        with pytest.raises(ValidationError) as refused:
            certificate_save(
                certificate=new_certificate(site, valid_until=date(2025, 4, 30)),
                user=qa,
                upload=pdf(),
            )
        assert "valid_until" in refused.value.message_dict
        future = timezone.localdate() + timedelta(days=3)
        with pytest.raises(ValidationError) as refused:
            certificate_save(
                certificate=new_certificate(site, issued_on=future, valid_until=None),
                user=qa,
                upload=pdf(),
            )
        assert "issued_on" in refused.value.message_dict
        assert not Certificate.objects.exists()

    def test_a_new_certificate_needs_its_file(self, qa):
        with pytest.raises(ValidationError) as refused:
            certificate_save(certificate=new_certificate(SiteFactory()), user=qa)
        assert "file" in refused.value.message_dict

    @pytest.mark.parametrize("role", ["sourcing", "manager"])
    def test_only_qa_and_admin_keep_the_register(self, personas, role):
        with pytest.raises(PermissionDenied):
            certificate_save(
                certificate=new_certificate(SiteFactory()), user=personas[role], upload=pdf()
            )

    def test_a_correction_needs_a_reason(self, qa):
        certificate = CertificateFactory()
        certificate.issuer = "Bezirksregierung Köln"
        with pytest.raises(ValidationError):
            certificate_save(certificate=certificate, user=qa)
        certificate_save(certificate=certificate, user=qa, reason="Issuer mistyped")
        assert certificate.history.first().history_change_reason == "Issuer mistyped"


class TestReplace:
    def test_the_new_version_takes_over_and_the_old_stays_with_its_file(self, qa):
        old = CertificateFactory(valid_until=date(2026, 7, 1))
        new = certificate_replace(
            old=old,
            new=Certificate(
                kind=old.kind,
                reference="DE_BY_04_GMP_2026_0100",
                issuer=old.issuer,
                issued_on=date(2026, 5, 20),
                valid_until=date(2029, 5, 20),
            ),
            user=qa,
            reason="Renewed after the 2026 re-inspection",
            upload=pdf("gmp-2026.pdf"),
        )
        old.refresh_from_db()
        assert old.superseded_by == new and old.file
        assert list(old.site.certificates.current()) == [new]
        assert "Renewed after the 2026 re-inspection" in old.history.first().history_change_reason

    def test_a_superseded_version_cannot_be_replaced_or_edited_again(self, qa):
        newer = CertificateFactory()
        older = CertificateFactory(site=newer.site, superseded_by=newer)
        with pytest.raises(ValidationError):
            certificate_replace(
                old=older,
                new=new_certificate(newer.site),
                user=qa,
                reason="again",
                upload=pdf(),
            )
        older.notes = "x"
        with pytest.raises(ValidationError):
            certificate_save(certificate=older, user=qa, reason="late correction")

    def test_removing_a_replacement_makes_the_one_it_replaced_current_again(self, qa):
        newer = CertificateFactory()
        older = CertificateFactory(site=newer.site, superseded_by=newer)
        newer_id = newer.pk
        certificate_remove(certificate=newer, user=qa, reason="Entered on the wrong site")
        older.refresh_from_db()
        assert older.is_current
        removal = Certificate.history.get(id=newer_id, history_type="-")
        assert removal.history_change_reason == "Entered on the wrong site"


# ---------------------------------------------------------------- alerts


@pytest.fixture
def qa_people(db):
    return [UserFactory(roles=["QA"]), UserFactory(roles=["QA"])]


class TestAlerts:
    def test_qa_is_alerted_at_60_30_and_7_days_each_once(self, qa_people):
        certificate = CertificateFactory(valid_until=TODAY + timedelta(days=60))
        sent = {}
        for day in range(0, 62):
            on = TODAY + timedelta(days=day)
            for alert in certificate_alerts_send(on=on):
                sent[alert.days_before] = day
        assert sent == {60: 0, 30: 30, 7: 53}
        assert CertificateAlert.objects.filter(certificate=certificate).count() == 3
        subjects = [n.subject for n in qa_people[0].notifications.all()]
        assert len(subjects) == 3 and all("expires 2026-07-31" in s for s in subjects)
        assert len(mail.outbox) == 6  # three alerts, two QA people

    def test_a_quality_agreement_review_is_due_rather_than_expiring(self, qa_people):
        site = SiteFactory(name="Cork fill-finish")
        CertificateFactory(
            site=site,
            kind=Certificate.Kind.QUALITY_AGREEMENT_REVIEW,
            valid_until=TODAY + timedelta(days=30),
        )
        certificate_alerts_send(on=TODAY)
        notice = qa_people[0].notifications.get()
        assert notice.subject == "Quality agreement review of Cork fill-finish is due 2026-07-01"
        assert "expire" not in notice.subject + notice.body
        assert "due for review on 2026-07-01: 30 days from now" in notice.body

    def test_running_twice_on_one_day_sends_nothing_new(self, qa_people):
        CertificateFactory(valid_until=TODAY + timedelta(days=30))
        assert len(certificate_alerts_send(on=TODAY)) == 1
        assert certificate_alerts_send(on=TODAY) == []
        assert qa_people[0].notifications.count() == 1

    def test_a_missed_window_sends_the_alert_of_the_window_it_is_in(self, qa_people):
        CertificateFactory(valid_until=TODAY + timedelta(days=20))
        assert [a.days_before for a in certificate_alerts_send(on=TODAY)] == [30]

    def test_replaced_expired_and_far_off_certificates_are_not_alerted(self, qa_people):
        newer = CertificateFactory(valid_until=TODAY + timedelta(days=900))
        CertificateFactory(
            site=newer.site, superseded_by=newer, valid_until=TODAY + timedelta(days=5)
        )
        CertificateFactory(valid_until=TODAY - timedelta(days=1))
        CertificateFactory(valid_until=None)
        assert certificate_alerts_send(on=TODAY) == []

    def test_a_new_expiry_date_gets_its_own_alerts(self, qa_people):
        certificate = CertificateFactory(valid_until=TODAY + timedelta(days=7))
        assert len(certificate_alerts_send(on=TODAY)) == 1
        Certificate.objects.filter(pk=certificate.pk).update(valid_until=TODAY + timedelta(days=6))
        assert len(certificate_alerts_send(on=TODAY)) == 1

    def test_the_beat_schedule_runs_the_alert_task(self, settings):
        tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert "vendors.tasks.send_certificate_alerts" in tasks


# ---------------------------------------------------------------- the site page


class TestSitePage:
    def test_it_lists_current_certificates_with_status_and_earlier_versions(
        self, client_for, manager
    ):
        today = timezone.localdate()
        site = SiteFactory()
        current = CertificateFactory(site=site, valid_until=today + timedelta(days=20))
        CertificateFactory(site=site, superseded_by=current, reference="OLD-1")
        CertificateFactory(
            site=site, kind=Certificate.Kind.ISO9001, valid_until=today - timedelta(days=2)
        )
        body = client_for(manager).get(site.get_absolute_url()).content.decode()
        assert "expires in 20 days" in body and "expired" in body
        assert "1 earlier version" in body and "OLD-1" in body
        assert "Add a certificate" not in body  # a manager reads the register only

    def test_the_empty_state_offers_qa_the_first_certificate(self, client_for, qa):
        site = SiteFactory()
        body = client_for(qa).get(site.get_absolute_url()).content.decode()
        assert "No certificates recorded." in body
        assert reverse("vendors:certificate_create", args=[site.pk]) in body

    def test_its_queries_do_not_grow_with_certificates(
        self, client_for, qa, django_assert_max_num_queries
    ):
        site = SiteFactory()
        client = client_for(qa)
        CertificateFactory(site=site)
        with django_assert_max_num_queries(60) as few:
            client.get(site.get_absolute_url())
        for _ in range(10):
            newer = CertificateFactory(site=site)
            CertificateFactory(site=site, superseded_by=newer)
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(site.get_absolute_url())


class TestForms:
    def test_qa_adds_a_certificate_through_the_rendered_form(self, client_for, qa):
        site = SiteFactory()
        client = client_for(qa)
        url = reverse("vendors:certificate_create", args=[site.pk])
        form = rendered_form(client.get(url).content, url)
        data = form.data(
            kind="gmp",
            reference="IE/GMP/2026/17",
            issuer="HPRA",
            issued_on="2026-01-10",
            valid_until="2029-01-10",
        )
        response = client.post(url, {**data, "file": pdf()}, follow=True)
        assert "added to" in response.content.decode()
        certificate = site.certificates.get()
        assert (certificate.reference, certificate.created_by) == ("IE/GMP/2026/17", qa)

    def test_errors_show_beside_the_fields_and_nothing_is_saved(self, client_for, qa):
        site = SiteFactory()
        client = client_for(qa)
        url = reverse("vendors:certificate_create", args=[site.pk])
        form = rendered_form(client.get(url).content, url)
        data = form.data(
            kind="gmp",
            reference="X",
            issuer="HPRA",
            issued_on="2026-01-10",
            valid_until="2025-01-10",
        )
        body = client.post(
            url, {**data, "file": SimpleUploadedFile("a.txt", b"hi")}
        ).content.decode()
        assert "cannot expire before it was issued" in body
        assert not Certificate.objects.exists()
        data["valid_until"] = "2027-01-10"
        body = client.post(
            url, {**data, "file": SimpleUploadedFile("a.txt", b"hi")}
        ).content.decode()
        assert "files of this type are not accepted" in body
        assert not Certificate.objects.exists()

    def test_qa_replaces_a_certificate_and_the_old_one_stays(self, client_for, qa):
        old = CertificateFactory()
        client = client_for(qa)
        url = reverse("vendors:certificate_replace", args=[old.pk])
        form = rendered_form(client.get(url).content, url)
        data = form.data(
            reference="NEW-2026",
            issued_on="2026-02-01",
            valid_until="2029-02-01",
            change_reason="Renewed",
        )
        client.post(url, {**data, "file": pdf("new.pdf")})
        old.refresh_from_db()
        assert old.superseded_by.reference == "NEW-2026"
        assert old.superseded_by.kind == old.kind

    def test_qa_corrects_a_certificate_with_a_reason(self, client_for, qa):
        certificate = CertificateFactory()
        client = client_for(qa)
        url = reverse("vendors:certificate_edit", args=[certificate.pk])
        form = rendered_form(client.get(url).content, url)
        client.post(url, form.data(issuer="HPRA Dublin", change_reason="Issuer's full name"))
        certificate.refresh_from_db()
        assert certificate.issuer == "HPRA Dublin"
        assert certificate.history.first().history_change_reason == "Issuer's full name"

    @pytest.mark.parametrize("role", ["sourcing", "manager"])
    def test_other_roles_cannot_open_or_post_the_forms(self, client_for, personas, role):
        certificate = CertificateFactory()
        client = client_for(personas[role])
        for url in (
            reverse("vendors:certificate_create", args=[certificate.site_id]),
            reverse("vendors:certificate_edit", args=[certificate.pk]),
            reverse("vendors:certificate_replace", args=[certificate.pk]),
        ):
            assert client.get(url).status_code == 403
            assert client.post(url, {}).status_code == 403
        remove = reverse("vendors:certificate_remove", args=[certificate.pk])
        assert client.post(remove, {"change_reason": "x"}).status_code == 403

    def test_every_role_downloads_the_file(self, client_for, sourcing):
        certificate = CertificateFactory()
        response = client_for(sourcing).get(certificate.get_download_url())
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_correction_with_a_file_swaps_it_in_place(client_for, qa):
    certificate = CertificateFactory()
    client = client_for(qa)
    url = reverse("vendors:certificate_edit", args=[certificate.pk])
    form = rendered_form(client.get(url).content, url)
    data = form.data(change_reason="The scan of page 2 was missing")
    client.post(url, {**data, "file": pdf("gmp-both-pages.pdf")})
    certificate.refresh_from_db()
    assert certificate.original_name == "gmp-both-pages.pdf"
    assert certificate.history.count() == 2
