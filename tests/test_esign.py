import hashlib
from datetime import date
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
)
from cmoselect.roles import Perm
from tests.conftest import PASSWORD

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
