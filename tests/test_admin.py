"""The admin shows regulated records and never writes them: that happens through the services."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from simple_history.models import registered_models

from cmoselect.admin import REGULATED_MODELS, ReadOnlyAdmin
from tests.test_permissions import world  # noqa: F401 - one sample of every object

pytestmark = pytest.mark.django_db

REGISTERED_REGULATED = sorted(
    (model for model in admin.site._registry if model._meta.label in REGULATED_MODELS),
    key=lambda model: model._meta.label,
)


def label(model) -> str:
    return model._meta.label


# Models simple-history keeps history of (a many-to-many's rows belong to their record).
WITH_HISTORY = [model for model in registered_models.values() if not model._meta.auto_created]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_model_that_keeps_history_is_regulated():
    with_history = {label(model) for model in WITH_HISTORY}
    assert with_history - REGULATED_MODELS == set()


def test_every_regulated_model_exists():
    for name in REGULATED_MODELS:
        assert apps.get_model(name)


def test_the_admin_registers_no_historical_model():
    historical = {label(model.history.model) for model in WITH_HISTORY}
    assert historical.isdisjoint(label(model) for model in admin.site._registry)


def test_the_regulated_models_the_admin_shows_include_signatures_and_history():
    shown = {label(model) for model in REGISTERED_REGULATED}
    assert {"audits.Signature", "vendors.StatusChange", "audits.Capa", "vendors.Site"} <= shown


@pytest.mark.parametrize("model", REGISTERED_REGULATED, ids=label)
def test_an_admin_may_not_add_change_or_delete_a_regulated_record(rf, admin_user, model):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user
    assert isinstance(model_admin, ReadOnlyAdmin)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request)
        assert not inline.has_delete_permission(request)


def _add_a_signature_and_a_status_change(world):  # noqa: F811
    from audits.models import Signature
    from vendors.services import cmo_change_status

    audit = world.audits.first()
    cmo_change_status(
        cmo=world.cmo, status="under_evaluation", user=audit.lead_auditor, reason="Shortlisted"
    )
    Signature.objects.create(
        audit=audit,
        revision=audit.revision,
        signer=audit.lead_auditor,
        printed_name="Lead",
        meaning=Signature.Meaning.REVIEWED,
        decision=Signature.Decision.APPROVE,
        signed_at=timezone.now(),
        content_hash="a" * 64,
    )


@pytest.mark.parametrize("model", REGISTERED_REGULATED, ids=label)
def test_posting_to_a_regulated_record_in_the_admin_is_refused(
    client,
    admin_user,
    world,  # noqa: F811
    model,
):
    _add_a_signature_and_a_status_change(world)
    client.force_login(admin_user)
    before = model._default_manager.count()
    assert client.post(url(model, "add"), {}).status_code == 403
    record = model._default_manager.first()
    assert record is not None, f"the sample world has no {label(model)}"
    assert client.get(url(model, "change", record.pk)).status_code == 200
    assert client.post(url(model, "change", record.pk), {}).status_code == 403
    assert client.post(url(model, "delete", record.pk), {"post": "yes"}).status_code == 403
    response = client.post(
        url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert model._default_manager.count() == before


def test_an_admin_cannot_forge_a_signature(client, admin_user, world, manager):  # noqa: F811
    from audits.models import Signature

    client.force_login(admin_user)
    audit = world.audits.first()
    response = client.post(
        url(Signature, "add"),
        {
            "audit": audit.pk,
            "revision": audit.revision,
            "signer": manager.pk,
            "printed_name": "Marta Manager",
            "meaning": "approved",
            "decision": "approve",
            "signed_at_0": "2020-01-01",
            "signed_at_1": "09:00:00",
            "content_hash": "0" * 64,
        },
    )
    assert response.status_code == 403
    assert not Signature.objects.exists()


@pytest.mark.parametrize("name", sorted(label(model) for model in WITH_HISTORY))
def test_reverting_a_regulated_record_from_its_history_is_refused(
    client,
    admin_user,
    world,  # noqa: F811
    name,
):
    model = apps.get_model(name)
    if model not in admin.site._registry:
        pytest.skip(f"{name} is not in the admin")
    version = model.history.filter(id__in=model._default_manager.values("pk")).first()
    if version is None:
        pytest.skip(f"the sample world keeps no history of a {name}")
    record = version.instance
    client.force_login(admin_user)
    history_url = url(model, "simple_history", record.pk, version.history_id)
    page = client.get(history_url)
    assert page.status_code == 200
    assert b"Revert" not in page.content.split(b"<title>")[1].split(b"</title>")[0]
    count = model.history.filter(id=record.pk).count()
    assert client.post(history_url, {}).status_code == 403
    assert model.history.filter(id=record.pk).count() == count
