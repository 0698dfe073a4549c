import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop

import importlib

import pytest
from django.apps import apps

from cmoselect.celery import app as celery_app
from cmoselect.roles import ADMIN, MANAGER, QA, SOURCING
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _tasks_run_eagerly():
    """Ordinary tests run Celery tasks in-process; the broker round trip has its own test."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


# Data migrations that load reference data (site types, roles, the capability taxonomy, the
# default checklist and scoring model), with the function that loads it.
REFERENCE_DATA = [
    ("vendors.migrations.0002_reference_data", "forwards"),
    ("vendors.migrations.0005_capability_taxonomy", "forwards"),
    ("audits.migrations.0002_default_gmp_template", "load"),
    ("scoring.migrations.0002_default_model", "forwards"),
]


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Reload reference data for a transactional test: the one before it flushed every table.

    pytest-django runs transactional tests after all the others, so only they need this.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A fast hasher: the suite creates thousands of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sourcing(db):
    return UserFactory(username="sourcing-sam", roles=[SOURCING])


@pytest.fixture
def qa(db):
    return UserFactory(username="qa-quinn", roles=[QA])


@pytest.fixture
def reviewer(db):
    """A second QA person: signs and verifies what `qa` led or accepted (separation of duties)."""
    return UserFactory(username="qa-rowan", first_name="Rowan", last_name="Reviewer", roles=[QA])


@pytest.fixture
def manager(db):
    return UserFactory(username="manager-max", roles=[MANAGER])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin-ada", roles=[ADMIN])


@pytest.fixture
def outsider(db):
    """Logged in, but with no role: sees nothing."""
    return UserFactory(username="outsider-olly")


@pytest.fixture
def personas(sourcing, qa, manager, admin_user, outsider):
    return {
        "sourcing": sourcing,
        "qa": qa,
        "manager": manager,
        "admin": admin_user,
        "outsider": outsider,
    }


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        return api

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


def _database_order(item: pytest.Item) -> int:
    """pytest-django's order: database tests, then transactional ones, then the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", [])
    transactional = bool(marker and marker.kwargs.get("transaction"))
    transactional = transactional or "transactional_db" in fixtures or "live_server" in fixtures
    if transactional:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # pytest-django sorts first, then pytest regroups the tests of a parametrized session
    # fixture (the browser's), which moved database tests behind transactional ones that flush
    # the reference data they read. Sorting again last (a stable sort) restores the order.
    items.sort(key=_database_order)
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if os.path.exists(chromium):
        return
    if os.environ.get("CMOSELECT_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"Browser tests required but {chromium} is missing.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {chromium} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
