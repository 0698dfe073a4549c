"""Settings come from env vars, and a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cmoselect.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_default_is_sqlite_with_a_worker_on_the_embedded_broker(tmp_path):
    result = start(CELERY_BROKER_URL="", BROKER_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cmoselect.backends.sqlite3", "False"]
    assert (tmp_path / "queue").is_dir()


def show(expression: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cmoselect.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_sqlite_is_set_up_for_concurrent_writers():
    options = show("settings.DATABASES['default']['OPTIONS']", CELERY_BROKER_URL="")
    assert "'transaction_mode': 'IMMEDIATE'" in options
    assert "journal_mode=WAL" in options
    assert "'timeout': 30" in options


def test_postgresql_statements_and_lock_waits_end_before_the_web_server_gives_up():
    options = show(
        "settings.DATABASES['default']['OPTIONS']['options']",
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        DATABASE_STATEMENT_TIMEOUT="25",
        DATABASE_LOCK_TIMEOUT="5",
    )
    assert options == "-c statement_timeout=25000 -c lock_timeout=5000"


def test_hosts_default_to_the_local_machine_also_with_debug_off():
    hosts = show("settings.ALLOWED_HOSTS", DEBUG="0", SECRET_KEY="x")
    assert "127.0.0.1" in hosts and "localhost" in hosts


def test_a_broker_url_switches_tasks_to_a_worker():
    result = start(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9", DATABASE_URL="postgres://u@127.0.0.1:5432/x"
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL"),
        ({"DATABASE_CONN_MAX_AGE": "forever"}, "DATABASE_CONN_MAX_AGE"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"CONTRACT_REVIEW_HOUR": "25"}, "CONTRACT_REVIEW_HOUR"),
        ({"SCORING_NIGHTLY_HOUR": "-1"}, "SCORING_NIGHTLY_HOUR"),
        ({"MAX_UPLOAD_SIZE": "-5"}, "MAX_UPLOAD_SIZE"),
        ({"CONTRACT_NOTICE_LEAD_DAYS": "-1"}, "CONTRACT_NOTICE_LEAD_DAYS"),
        ({"SCORING_DEBOUNCE_SECONDS": "-3"}, "SCORING_DEBOUNCE_SECONDS"),
        ({"DATABASE_STATEMENT_TIMEOUT": "-1"}, "DATABASE_STATEMENT_TIMEOUT"),
        ({"CELERY_TASK_ALWAYS_EAGER": "sometimes"}, "CELERY_TASK_ALWAYS_EAGER"),
        ({"SITE_URL": "cmoselect.example.com"}, "SITE_URL"),
        ({"SIGNATURE_FAILURE_LIMIT": "0"}, "SIGNATURE_FAILURE_LIMIT"),
        ({"SIGNATURE_LOCKOUT_MINUTES": "soon"}, "SIGNATURE_LOCKOUT_MINUTES"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env, variable):
    result = start(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]
