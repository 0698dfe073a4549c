import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cmoselect.esign import (
    NO_MEANING,
    WRONG_PASSWORD,
    content_hash,
    signature_check,
    signature_manifest,
    signing_locked_until,
)
from cmoselect.models import SignatureFailure
from cmoselect.roles import Perm
from tests.conftest import PASSWORD
from vendors.models import Notification

pytestmark = pytest.mark.django_db

MEANINGS = ["approved", "reviewed"]


def check(user, **overrides):
    kwargs = {
        "user": user,
        "perm": Perm.SIGN_AUDITS,
        "password": PASSWORD,
        "meaning": "approved",
        "meanings": MEANINGS,
        "action": "audit decisions",
    }
    return signature_check(**{**kwargs, **overrides})


def test_the_content_hash_is_the_sha256_of_compact_json_with_sorted_keys():
    # The exact bytes matter: signatures stored earlier must keep verifying.
    content = {"b": [1, date(2026, 1, 2)], "a": Decimal("1.50")}
    expected = hashlib.sha256(b'{"a":"1.50","b":[1,"2026-01-02"]}').hexdigest()
    assert content_hash(content) == expected


def test_the_content_hash_ignores_key_order_and_sees_every_value():
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1, "b": 2}) != content_hash({"a": 1, "b": 3})


def test_a_signer_with_the_right_password_and_a_meaning_passes(qa):
    assert check(qa) == {}


def test_a_wrong_password_and_a_missing_meaning_are_both_reported(qa):
    assert check(qa, password="not-mine", meaning="") == {
        "password": WRONG_PASSWORD,
        "meaning": NO_MEANING,
    }
    assert check(qa, password="")["password"] == WRONG_PASSWORD


def test_a_role_without_the_permission_is_refused_before_the_password_is_checked(sourcing):
    with pytest.raises(PermissionDenied, match="cannot sign audit decisions"):
        check(sourcing, password="anything")


def test_the_manifest_names_the_signer_the_time_the_meaning_and_the_content(qa):
    qa.first_name, qa.last_name = "Quinn", "Auditor"
    before = timezone.now()
    manifest = signature_manifest(user=qa, meaning="approved", content={"x": 1})
    assert manifest.printed_name == "Quinn Auditor" and manifest.meaning == "approved"
    assert before <= manifest.signed_at <= timezone.now()
    assert manifest.content_hash == content_hash({"x": 1})
    qa.first_name = qa.last_name = ""
    assert signature_manifest(user=qa, meaning="approved", content={}).printed_name == "qa-quinn"


# ── failed attempts and the signing lockout (21 CFR 11.300(d)) ─────────────────────────────


def fail(user, times=1, **overrides):
    for _ in range(times):
        errors = check(user, password="not-mine", **overrides)
    return errors


def test_each_wrong_password_is_recorded_with_the_record_and_the_address(qa):
    fail(qa, record="AUD-00007", address="10.0.0.5")
    failure = SignatureFailure.objects.get()
    assert (failure.user, failure.record, failure.address) == (qa, "AUD-00007", "10.0.0.5")
    assert failure.action == "audit decisions" and not failure.locked_signing
    assert timezone.now() - failure.attempted_at < timedelta(seconds=5)
    check(qa)  # a right password is not a failure
    assert SignatureFailure.objects.count() == 1


def test_five_wrong_passwords_lock_signing_so_even_the_right_one_is_refused(
    qa, django_capture_on_commit_callbacks
):
    assert "locked" not in fail(qa, times=4)["password"]
    with django_capture_on_commit_callbacks(execute=True):
        errors = fail(qa)
    assert (
        errors["password"].startswith(WRONG_PASSWORD) and "Signing is locked" in errors["password"]
    )
    assert SignatureFailure.objects.filter(locked_signing=True).count() == 1
    assert "Signing is locked after 5 wrong passwords" in check(qa)["password"]
    assert signing_locked_until(qa) is not None
    refused = SignatureFailure.objects.get(while_locked=True)  # the attempt while locked
    assert refused.user == qa and not refused.locked_signing


def test_attempts_while_locked_are_recorded_but_do_not_extend_the_lock(
    qa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail(qa, times=5)
    SignatureFailure.objects.update(attempted_at=timezone.now() - timedelta(minutes=14))
    fail(qa, times=3)  # refused while locked, password unchecked
    assert SignatureFailure.objects.filter(while_locked=True).count() == 3
    until = signing_locked_until(qa)
    assert timedelta(0) < until - timezone.now() <= timedelta(minutes=1)


def test_the_lock_ends_after_the_lockout_minutes(qa, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail(qa, times=5)
    SignatureFailure.objects.update(attempted_at=timezone.now() - timedelta(minutes=16))
    assert signing_locked_until(qa) is None and check(qa) == {}


def test_failures_spread_over_more_than_the_window_do_not_lock(qa):
    fail(qa, times=4)
    SignatureFailure.objects.update(attempted_at=timezone.now() - timedelta(minutes=20))
    assert fail(qa)["password"] == WRONG_PASSWORD
    assert check(qa) == {}


def test_the_limit_and_the_window_come_from_the_settings(qa, settings):
    settings.SIGNATURE_FAILURE_LIMIT = 2
    settings.SIGNATURE_LOCKOUT_MINUTES = 1
    fail(qa, times=2)
    assert "after 2 wrong passwords" in check(qa)["password"]
    SignatureFailure.objects.update(attempted_at=timezone.now() - timedelta(seconds=61))
    assert check(qa) == {}


def test_a_lockout_alerts_qa_and_admins_in_the_app_and_by_email(
    qa, reviewer, admin_user, manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail(qa, times=5, record="AUD-00042", address="192.0.2.9")
    notices = Notification.objects.filter(key__startswith="signature-lockout:")
    assert {n.recipient for n in notices} == {reviewer, admin_user}  # not the locked user
    assert all("AUD-00042" in n.body and "192.0.2.9" in n.body for n in notices)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([reviewer.email, admin_user.email])
    assert mailoutbox[0].subject == f"E-signature locked for {qa.get_full_name()}"


def test_the_failure_log_is_read_only_in_the_admin(qa, admin_user, client):
    fail(qa, record="AUD-00001")
    client.force_login(admin_user)
    page = client.get("/admin/cmoselect/signaturefailure/")
    assert page.status_code == 200 and "AUD-00001" in page.content.decode()
    failure = SignatureFailure.objects.get()
    change = client.get(f"/admin/cmoselect/signaturefailure/{failure.pk}/change/")
    assert change.status_code == 200 and b'name="record"' not in change.content
    assert client.post(f"/admin/cmoselect/signaturefailure/{failure.pk}/delete/").status_code == 403
    assert client.get("/admin/cmoselect/signaturefailure/add/").status_code == 403
    assert SignatureFailure.objects.count() == 1
