"""Sending Celery tasks so that neither a broker outage nor a rollback loses or invents work.

`enqueue(task, *args)` records the task in the current transaction and sends it once that
transaction commits. A broker that cannot be reached then leaves the row unsent: the user is
told (`broker_unreachable()`), and `outbox_flush` (every minute, from beat) sends it later.
"""

import logging
from contextvars import ContextVar
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from cmoselect.models import OutboxMessage

logger = logging.getLogger(__name__)
_unreachable: ContextVar[bool] = ContextVar("broker_unreachable", default=False)

BROKER_UNREACHABLE_MESSAGE = (
    "Saved. The task queue cannot be reached right now: the work will start as soon as it is "
    "back, and this page shows it as queued until then."
)


def enqueue(task, *args, countdown: int | None = None) -> OutboxMessage:
    """Send `task(*args)` once the current transaction commits, surviving a broker outage."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args), countdown=countdown)
    transaction.on_commit(lambda: _send(message))
    return message


def broker_unreachable() -> bool:
    """Whether a task of this request or task could not be sent (it waits in the outbox)."""
    return _unreachable.get()


def reset() -> None:
    _unreachable.set(False)


def _send(message: OutboxMessage) -> bool:
    try:
        current_app.tasks[message.task].apply_async(args=message.args, countdown=message.countdown)
    except BrokerUnreachable as exc:
        _unreachable.set(True)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=str(exc)[:2000]
        )
        logger.warning("Broker unreachable; %s stays in the outbox: %s", message, exc)
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), attempts=message.attempts + 1
    )
    return True


def outbox_flush(*, older_than_seconds: int = 30, limit: int = 500) -> int:
    """Send the tasks whose first sending failed; the number sent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = OutboxMessage.objects.filter(sent_at=None, created_at__lt=cutoff).order_by("pk")
    sent = 0
    for message in pending[:limit]:
        if not _send(message):
            break  # still unreachable: try again at the next sweep
        sent += 1
    return sent
