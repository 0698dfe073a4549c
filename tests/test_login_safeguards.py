"""Login and API-token safeguards (21 CFR 11.300(d)): lockout, access log, idle timeout,
hashed expiring tokens, throttled token requests, password length."""

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


def log_in(client, username, password):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failed_logins_lock_the_username_even_for_the_right_password(client, qa):
    for _ in range(5):
        response = log_in(client, qa.username, "wrong-password-guess")
        assert response.status_code in (200, 429)
    locked = log_in(client, qa.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessFailureLog.objects.filter(username=qa.username).count() >= 5


def test_the_lockout_ends_after_the_cool_off(client, qa):
    for _ in range(5):
        log_in(client, qa.username, "wrong-password-guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = log_in(client, qa.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(qa.pk)


def test_logins_and_logouts_are_logged_for_the_admin(client, admin_user, qa):
    assert log_in(client, qa.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    entry = AccessLog.objects.get(username=qa.username)
    assert entry.attempt_time and entry.logout_time
    client.force_login(admin_user)
    page = client.get("/admin/axes/accesslog/")
    assert page.status_code == 200 and qa.username in page.content.decode()


def test_an_idle_session_is_logged_out_with_a_message(client, sourcing, settings):
    client.force_login(sourcing)
    assert client.get("/cmos/").status_code == 200
    session = client.session
    session["last_activity"] -= settings.SESSION_IDLE_TIMEOUT_MINUTES * 60 + 1
    session.save()
    response = client.get("/cmos/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "without activity" in response.content.decode()
    assert client.get("/cmos/").status_code == 302


def test_an_active_session_stays_and_pages_carry_the_idle_warning(client, sourcing):
    client.force_login(sourcing)
    page = client.get("/cmos/").content.decode()
    assert 'data-timeout="1800"' in page and "js/idle.js" in page
    assert client.post("/accounts/keepalive/").status_code == 204
    assert client.get("/cmos/").status_code == 200


def basic(username, password):
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def test_an_api_token_is_stored_hashed_expires_and_can_be_revoked(qa):
    cache.clear()
    api = APIClient()
    response = api.post("/api/v1/auth/token/", **basic(qa.username, PASSWORD))
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=qa)
    assert token not in (stored.digest, stored.token_key) and stored.expiry > timezone.now()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/cmos/").status_code == 200
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/v1/cmos/").status_code == 401


def test_token_requests_are_throttled_and_a_wrong_password_is_refused(qa):
    cache.clear()
    api = APIClient()
    assert api.post("/api/v1/auth/token/", **basic(qa.username, "nope")).status_code == 401
    statuses = [
        api.post("/api/v1/auth/token/", **basic("nobody-at-all", "nope")).status_code
        for _ in range(12)
    ]
    assert statuses[-1] == 429
    cache.clear()


@pytest.mark.parametrize("password, ok", [("elevenchars", False), ("twelve-chars", True)])
def test_passwords_need_at_least_twelve_characters(password, ok, db):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError, match="at least 12"):
            validate_password(password)
