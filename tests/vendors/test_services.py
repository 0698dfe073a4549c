import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from cmoselect.history import save_with_history
from tests.factories import CmoFactory, SiteFactory
from vendors.models import Cmo, Notification, QualificationStatus, Site, StatusChange
from vendors.services import cmo_change_status, site_change_status

S = QualificationStatus


@pytest.fixture
def cmo(db):
    return CmoFactory(qualification_status=S.UNDER_EVALUATION)


def test_it_records_who_when_and_why_for_a_status_change(
    cmo, qa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change = cmo_change_status(cmo=cmo, status=S.APPROVED, user=qa, reason="Audit passed")
    cmo.refresh_from_db()
    assert cmo.qualification_status == S.APPROVED
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        S.UNDER_EVALUATION,
        S.APPROVED,
        qa,
        "Audit passed",
    )
    latest = cmo.history.latest()
    assert latest.history_user == qa
    assert latest.history_change_reason == "Audit passed"


def test_it_refuses_a_status_change_without_a_reason(cmo, qa):
    with pytest.raises(ValidationError) as excinfo:
        cmo_change_status(cmo=cmo, status=S.APPROVED, user=qa, reason="   ")
    assert "reason" in excinfo.value.message_dict
    cmo.refresh_from_db()
    assert cmo.qualification_status == S.UNDER_EVALUATION
    assert not StatusChange.objects.exists()


def test_it_refuses_a_transition_the_lifecycle_does_not_allow(db, qa):
    cmo = CmoFactory(qualification_status=S.PROSPECT)
    with pytest.raises(ValidationError) as excinfo:
        cmo_change_status(cmo=cmo, status=S.APPROVED, user=qa, reason="Skipping evaluation")
    assert "cannot move to Approved" in str(excinfo.value)


def test_sourcing_may_start_an_evaluation_but_not_approve(db, sourcing):
    cmo = CmoFactory(qualification_status=S.PROSPECT)
    cmo_change_status(cmo=cmo, status=S.UNDER_EVALUATION, user=sourcing, reason="Shortlisted")
    with pytest.raises(ValidationError) as excinfo:
        cmo_change_status(cmo=cmo, status=S.APPROVED, user=sourcing, reason="Looks good")
    assert "QA, a manager or an admin" in str(excinfo.value)


def test_a_site_status_change_is_listed_under_its_cmo(db, manager):
    site = SiteFactory(qualification_status=S.UNDER_EVALUATION)
    change = site_change_status(
        site=site, status=S.CONDITIONALLY_APPROVED, user=manager, reason="Open major finding"
    )
    assert change.cmo == site.cmo
    assert list(site.cmo.status_changes.all()) == [change]
    site.refresh_from_db()
    assert site.qualification_status == S.CONDITIONALLY_APPROVED


def test_managers_are_notified_once_in_app_and_by_email(
    cmo, qa, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        change = cmo_change_status(cmo=cmo, status=S.DISQUALIFIED, user=qa, reason="Recall class I")
    assert len(callbacks) == 1
    notice = Notification.objects.get(recipient=manager)
    assert "Disqualified" in notice.subject
    assert "Recall class I" in notice.body
    assert notice.url == cmo.get_absolute_url()
    assert [m.to for m in mail.outbox] == [[manager.email]]
    # Delivering the same change again (a retried task) sends nothing more.
    from vendors.tasks import notify_status_change

    notify_status_change.delay(change.pk)
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert len(mail.outbox) == 1


def test_no_notification_is_sent_if_the_transaction_rolls_back(cmo, qa, manager):
    # Without executing on-commit callbacks, nothing reaches the task.
    cmo_change_status(cmo=cmo, status=S.APPROVED, user=qa, reason="ok")
    assert not Notification.objects.exists()


def test_editing_a_record_requires_a_reason_and_keeps_it(cmo, sourcing):
    cmo.website = "https://new.example.com"
    with pytest.raises(ValidationError):
        save_with_history(cmo, user=sourcing, reason="", clean=True)
    save_with_history(cmo, user=sourcing, reason="New domain", clean=True)
    entry = cmo.history.latest()
    assert (entry.history_user, entry.history_change_reason) == (sourcing, "New domain")
    assert Cmo.objects.get(pk=cmo.pk).website == "https://new.example.com"


def test_a_duplicate_fei_is_refused_with_a_field_error(db, sourcing):
    existing = SiteFactory(fei_number="3002807864")
    clash = Site(cmo=existing.cmo, name="Other", country="US", fei_number="0003002807864")
    with pytest.raises(ValidationError) as excinfo:
        save_with_history(clash, user=sourcing, clean=True)
    assert "FEI" in str(excinfo.value)


def test_a_long_reason_is_kept_whole_in_the_history(cmo, qa):
    reason = "Qualification audit passed with two minor observations; " * 5
    cmo_change_status(cmo=cmo, status=S.APPROVED, user=qa, reason=reason)
    assert cmo.history.latest().history_change_reason == reason.strip()
    assert len(reason.strip()) > 250
