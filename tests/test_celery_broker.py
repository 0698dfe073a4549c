"""A real round trip: a task goes through the configured broker (Redis in CI) to a worker."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from cmoselect.celery import app as celery_app
from tests.factories import CmoFactory
from vendors.models import Notification, QualificationStatus
from vendors.services import cmo_change_status

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_broker(django_db_blocker):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        if os.environ.get("CMOSELECT_REQUIRE_BROKER"):
            pytest.fail("CMOSELECT_REQUIRE_BROKER is set but CELERY_BROKER_URL is not")
        pytest.skip("CELERY_BROKER_URL is not set: tasks run in-process")
    celery_app.conf.task_always_eager = False
    with (
        django_db_blocker.unblock(),
        start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        yield


def test_a_status_change_notification_travels_through_the_broker(real_broker, qa, manager):
    cmo = CmoFactory(qualification_status=QualificationStatus.UNDER_EVALUATION)
    cmo_change_status(cmo=cmo, status=QualificationStatus.APPROVED, user=qa, reason="Audit passed")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if Notification.objects.filter(recipient=manager).exists():
            break
        time.sleep(0.1)
    notice = Notification.objects.get(recipient=manager)
    assert "Approved" in notice.subject
