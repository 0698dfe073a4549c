"""The demo's records are written through the services, so their history tells the truth."""

import pytest
from django.core.management import call_command
from simple_history.models import registered_models

from contracts.models import Contract
from vendors.models import CapabilityLevel, SiteCapability

pytestmark = pytest.mark.django_db

WITH_HISTORY = [model for model in registered_models.values() if not model._meta.auto_created]


@pytest.fixture
def seeded(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--with-users")


def test_every_demo_record_that_keeps_history_has_it(seeded):
    for model in WITH_HISTORY:
        without = model._default_manager.exclude(pk__in=model.history.values("id"))
        assert not without.exists(), f"{model._meta.label} rows without history: {without[:3]}"
        assert model._default_manager.exists() or model._meta.label in {"vendors.Citation"}


def test_the_demo_history_names_who_seeded_it_and_why(seeded):
    for model in WITH_HISTORY:
        first_entries = model.history.filter(history_type="+")
        unnamed = first_entries.filter(history_user__isnull=True)
        assert not unnamed.exists(), f"{model._meta.label} created without a user"
        assert not first_entries.filter(history_change_reason__in=["", None]).exists()


def test_the_quality_matrix_history_shows_the_seeded_responsibilities(seeded, client):
    from django.contrib.auth import get_user_model

    quality = (
        Contract.objects.filter(contract_type=Contract.Type.QUALITY, responsibilities__isnull=False)
        .exclude(responsibilities__responsible="")
        .distinct()
        .first()
    )
    client.force_login(get_user_model().objects.get(username="sourcing"))
    history = client.get(quality.get_absolute_url()).context["history"]
    shown = {}
    for row in reversed(history):  # oldest first: the last change of a row is what it shows
        if row.kind == "Quality responsibility changed":
            for label, _old, new in row.changes:
                if label == "responsible":
                    shown[row.subject] = new
    expected = {
        row.activity: row.get_responsible_display() for row in quality.responsibilities.all()
    }
    assert shown == expected
    reasons = {row.reason for row in history if row.kind == "Quality responsibility changed"}
    assert reasons == {"Demo data: responsibilities agreed with the CMO"}


def test_the_demo_shows_verified_by_audit_only_where_an_approved_audit_covered_it(seeded):
    verified = SiteCapability.objects.filter(level=CapabilityLevel.VERIFIED)
    assert verified.exists()
    assert not verified.filter(verified_by_audit__isnull=True).exists()
    assert not verified.exclude(verified_by_audit__status="approved").exists()
