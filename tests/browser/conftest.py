import importlib
import io
import sqlite3

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from cmoselect.celery import app as celery_app
from tests.conftest import PASSWORD, REFERENCE_DATA
from vendors.demo import DEMO_PASSWORD_SUFFIX


@pytest.fixture
def login(page, live_server):
    """Log in through the login form, as a person would."""

    def as_user(user, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return as_user


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seeded demo database, seeded once per run: seeding takes far longer than a journey.

    On the in-memory SQLite test database, the demo is seeded once, copied aside with SQLite's
    backup API, and the database put back as it was; each journey then starts from a copy.
    Elsewhere (PostgreSQL) there is no snapshot and each journey seeds for itself.
    """
    if not _in_memory_sqlite():
        yield None
        return
    # As in a test: tasks run in-process, files go to a folder of their own, the fast hasher.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("demo-media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        connection.ensure_connection()
        pristine, seeded = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
        connection.connection.backup(pristine)
        try:
            # A transactional test before this one may have flushed the reference data.
            for module, function in REFERENCE_DATA:
                getattr(importlib.import_module(module), function)(apps, None)
            call_command("seed_demo", "--with-users", stdout=io.StringIO())
            connection.connection.backup(seeded)
        finally:
            pristine.backup(connection.connection)
            ContentType.objects.clear_cache()
            celery_app.conf.task_always_eager = eager
    yield seeded
    pristine.close()
    seeded.close()


@pytest.fixture
def demo(transactional_db, _demo_snapshot):
    """The demo data as `make run` loads it; its users, by username, log in with their password."""
    if _demo_snapshot is None:
        call_command("seed_demo", "--with-users", stdout=io.StringIO())
    else:
        connection.ensure_connection()
        _demo_snapshot.backup(connection.connection)
        ContentType.objects.clear_cache()  # the copy's ids, not those of the last flush
    return {user.username: user for user in get_user_model().objects.all()}


@pytest.fixture
def login_demo(login):
    """Log in as a demo user with the password the README gives."""

    def as_demo(user):
        return login(user, f"{user.username}{DEMO_PASSWORD_SUFFIX}")

    return as_demo
