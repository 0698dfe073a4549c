"""Point this process's Celery app at another broker for one test, and back."""

from contextlib import contextmanager

from kombu import pools

from cmoselect.celery import app as celery_app


def _fresh_connections() -> None:
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker(monkeypatch, url: str, transport_options: dict | None = None):
    """Send tasks to `url` (not in-process) until the block ends."""
    # Celery reads CELERY_BROKER_URL from the environment before its own settings (as CI sets
    # it), so the variable goes for the duration of the test.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager, conf.broker_transport_options
    _fresh_connections()
    conf.broker_url, conf.task_always_eager = url, False
    conf.broker_transport_options = transport_options or {}
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        _fresh_connections()
