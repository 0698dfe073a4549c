"""Failures a user can only wait out: an unreachable task queue, a database that is busy."""

import pytest
from django.db import connection
from django.urls import reverse

from cmoselect.celery import app as celery_app
from cmoselect.models import OutboxMessage
from cmoselect.outbox import outbox_flush
from tests.brokers import broker
from tests.factories import CmoFactory
from vendors.models import Notification, QualificationStatus, StatusChange


@pytest.fixture
def unreachable_broker(monkeypatch):
    """A real broker URL where nothing listens: sending fails as it does when Redis is down."""
    with broker(monkeypatch, "redis://127.0.0.1:9/0"):
        yield


def change_status(client, cmo):
    return client.post(
        reverse("vendors:cmo_status", args=[cmo.pk]),
        {"status": QualificationStatus.APPROVED, "reason": "Audit passed"},
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_status_change_while_the_queue_is_down_is_kept_said_and_notified_later(
    client, qa, manager, unreachable_broker
):
    cmo = CmoFactory(qualification_status=QualificationStatus.UNDER_EVALUATION)
    client.force_login(qa)
    response = change_status(client, cmo)
    assert response.status_code == 200
    assert "task queue cannot be reached" in response.content.decode()
    cmo.refresh_from_db()
    assert cmo.qualification_status == QualificationStatus.APPROVED
    assert StatusChange.objects.filter(cmo=cmo).count() == 1
    waiting = OutboxMessage.objects.get()
    assert waiting.sent_at is None and waiting.attempts == 1 and waiting.last_error
    assert not Notification.objects.exists()

    celery_app.conf.task_always_eager = True  # the broker is back (in-process here)
    assert outbox_flush(older_than_seconds=0) == 1
    assert Notification.objects.filter(recipient=manager).count() == 1
    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert outbox_flush(older_than_seconds=0) == 0  # sent once, never again


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_rolls_back_sends_nothing(qa):
    from django.db import transaction

    from vendors.services import cmo_change_status

    cmo = CmoFactory(qualification_status=QualificationStatus.UNDER_EVALUATION)
    with pytest.raises(RuntimeError), transaction.atomic():
        cmo_change_status(cmo=cmo, status=QualificationStatus.APPROVED, user=qa, reason="ok")
        raise RuntimeError("something after the change failed")
    assert not OutboxMessage.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's")
def test_a_page_blocked_by_a_lock_ends_with_a_clear_503_not_a_hung_worker(client, sourcing):
    import psycopg

    client.force_login(sourcing)
    settings = connection.settings_dict
    holder = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
    )
    try:
        holder.execute("LOCK TABLE vendors_cmo IN ACCESS EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        response = client.get(reverse("vendors:cmo_list"))
        assert response.status_code == 503
        assert "The database is busy" in response.content.decode()
        assert response["Retry-After"]
        api = client.get("/api/v1/cmos/")
        assert api.status_code == 503
        assert api.json()["code"] == "database_busy"
    finally:
        holder.rollback()
        holder.close()
