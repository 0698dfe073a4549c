"""CMOselect settings: one module, configured by environment variables.

Unset, everything falls back to the embedded default (SQLite under var/, Celery tasks run
in-process). A bad value stops start-up with ImproperlyConfigured naming the variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ImproperlyConfigured(f"{name} must be {bounds}, got {raw!r}")
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().upper()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "cmoselect.apps.CmoselectAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "template_partials",
    "django_countries",
    "cmoselect",
    "vendors",
    "audits",
    "contracts",
    "qualification",
    "scoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "cmoselect.middleware.FailureMiddleware",
    "cmoselect.middleware.IdleTimeoutMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cmoselect.urls"
WSGI_APPLICATION = "cmoselect.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cmoselect.roles.roles_context",
                "vendors.context.unread_notifications",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'cmoselect.sqlite3'}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
# A statement or a lock wait ends before the web server gives up on the request (gunicorn's
# --timeout, 30 s in the README), so a blocked request gets an error page instead of a killed
# worker. Seconds; 0 turns the limit off (the Celery worker may want that for long imports).
DATABASE_STATEMENT_TIMEOUT = env_int("DATABASE_STATEMENT_TIMEOUT", 20, minimum=0)
DATABASE_LOCK_TIMEOUT = env_int("DATABASE_LOCK_TIMEOUT", 10, minimum=0)
SQLITE_ENGINE = "cmoselect.backends.sqlite3"
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": env_int("SQLITE_BUSY_TIMEOUT", 30, minimum=1),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue behind each other instead of failing with "database is locked": WAL lets
    # readers go on during a write, IMMEDIATE takes the write lock when a transaction starts
    # (so it never has to be upgraded mid-transaction), and a busy writer is waited for. The
    # backend is Django's, with a BEGIN that takes the lock as soon as it is free (see there).
    DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}"
        f" -c lock_timeout={DATABASE_LOCK_TIMEOUT * 1000}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Reasons for changes to regulated records are kept whole, however long.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "cmoselect.roles.AdminRoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login safeguards (django-axes): after LOGIN_FAILURE_LIMIT failed logins for a username, that
# username is locked out for LOGIN_LOCKOUT_MINUTES, whatever the password; every login, logout
# and failure is logged, and the admin lists them (Axes: access logs, attempts, failures).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# By username only: users behind one office address must not lock each other out, and a
# username under attack is locked whatever address the attempts come from.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Signature safeguards (21 CFR 11.300(d)): SIGNATURE_FAILURE_LIMIT wrong signature passwords
# within SIGNATURE_LOCKOUT_MINUTES lock that user's signing for SIGNATURE_LOCKOUT_MINUTES.
SIGNATURE_FAILURE_LIMIT = env_int("SIGNATURE_FAILURE_LIMIT", 5, minimum=1)
SIGNATURE_LOCKOUT_MINUTES = env_int("SIGNATURE_LOCKOUT_MINUTES", 15, minimum=1)
# The QA gate: a sign-off approves a site only with an approved audit decided within this many
# months (one interval for every site until intervals are set by risk).
REQUALIFICATION_MONTHS = env_int("REQUALIFICATION_MONTHS", 36, minimum=1)
# The requalification interval by risk class (qualification/schedule.py), counted from the end
# of the site's last approved audit; REQUALIFICATION_MONTHS still applies to a site the approved
# supplier list does not hold yet.
REQUALIFICATION_INTERVAL_MONTHS = {
    "high": env_int("REQUALIFICATION_MONTHS_HIGH", 12, minimum=1),
    "medium": env_int("REQUALIFICATION_MONTHS_MEDIUM", 24, minimum=1),
    "low": env_int("REQUALIFICATION_MONTHS_LOW", 36, minimum=1),
}
# A new OAI inspection, warning letter or class I recall brings the due date to within this many
# days of the event (and proposes a for-cause audit).
FOR_CAUSE_DUE_DAYS = env_int("FOR_CAUSE_DUE_DAYS", 90, minimum=1)
# "Due soon" on the audit program; QA is alerted this many days before a due date, and when due.
REQUALIFICATION_SOON_DAYS = 90
REQUALIFICATION_ALERT_DAYS = (90, 30, 7)
REQUALIFICATION_ALERT_HOUR = env_int("REQUALIFICATION_ALERT_HOUR", 6, minimum=0, maximum=23)
# A session with no request for this many minutes is logged out; a warning comes first.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
SESSION_IDLE_WARNING_MINUTES = 2
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 50 * 1024 * 1024, minimum=1)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CMOselect <cmoselect@localhost>")
# Where people reach the app: e-mails link to records with it (a worker has no request).
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL must start with http:// or https://, got {SITE_URL!r}")

# Celery. With CELERY_BROKER_URL unset, the embedded default: kombu's filesystem transport, a
# folder of message files under var/ that `make run`'s worker and beat share with the web
# process, so nothing needs installing and long work still never runs inside a request. Set it
# (e.g. redis://…) for the full stack.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
BROKER_DIR = Path(env_str("BROKER_DIR") or VAR_DIR / "broker")
if CELERY_BROKER_URL == "filesystem://":
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
# Sending a task never hangs a request: a broker that cannot be reached fails fast, and the
# work stays recorded as queued for the sweep to send again (cmoselect/tasks.py).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Expire or renew contracts that reached their expiry date, then send notice and late
    # milestone alerts (each alert once).
    "contracts-daily-review": {
        "task": "contracts.tasks.review_contracts",
        "schedule": crontab(
            hour=env_int("CONTRACT_REVIEW_HOUR", 6, minimum=0, maximum=23), minute=0
        ),
    },
    # QA is alerted 60, 30 and 7 days before a site's certificate expires (each alert once).
    "certificate-expiry-alerts": {
        "task": "vendors.tasks.send_certificate_alerts",
        "schedule": crontab(
            hour=env_int("CONTRACT_REVIEW_HOUR", 6, minimum=0, maximum=23), minute=15
        ),
    },
    # Tasks whose sending failed (broker unreachable) are sent again.
    "outbox-flush": {"task": "cmoselect.tasks.flush_outbox", "schedule": 60},
    # Reports and imports left working by a worker that died are settled, saying why.
    "stuck-reports": {"task": "cmoselect.tasks.sweep_reports", "schedule": 5 * 60},
    "stuck-imports": {"task": "vendors.tasks.sweep_import_runs", "schedule": 5 * 60},
    # The registry's stored signals, as events age (imports and edits refresh them at once).
    "registry-signals": {
        "task": "vendors.tasks.refresh_registry_signals",
        "schedule": crontab(
            hour=env_int("SCORING_NIGHTLY_HOUR", 2, minimum=0, maximum=23), minute=10
        ),
    },
    # Every qualified site's risk and due date reassessed (events age, audits grow old), then
    # QA alerted 90, 30 and 7 days before each due date and once it has passed (each alert once).
    "qualification-daily-review": {
        "task": "qualification.tasks.review_program",
        "schedule": crontab(hour=REQUALIFICATION_ALERT_HOUR, minute=15),
    },
    # Every CMO's directory score, recomputed each night (changes rescore at once anyway).
    "scoring-qualification-scores": {
        "task": "scoring.tasks.compute_cmo_scores",
        "schedule": crontab(
            hour=env_int("SCORING_NIGHTLY_HOUR", 2, minimum=0, maximum=23), minute=30
        ),
    },
}
# Minutes after which a report or import still queued or working is taken for lost.
STUCK_WORK_MINUTES = env_int("STUCK_WORK_MINUTES", 15, minimum=1)
# Seconds to wait for further changes before recomputing scores (changes come in bursts).
SCORING_DEBOUNCE_SECONDS = env_int("SCORING_DEBOUNCE_SECONDS", 10, minimum=0)
# Days before a contract's notice deadline that its owner and the managers are alerted.
CONTRACT_NOTICE_LEAD_DAYS = env_int("CONTRACT_NOTICE_LEAD_DAYS", 30, minimum=0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cmoselect.roles.RolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "cmoselect.parsers.ObjectJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cmoselect.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cmoselect.drf.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("API_AUTH_RATE", "10/minute")},
}
# API tokens (django-rest-knox): stored as a hash, each with an expiry.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("API_TOKEN_TTL_HOURS", 24 * 30, minimum=1)),
    "TOKEN_LIMIT_PER_USER": 20,
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CMOselect API",
    "DESCRIPTION": "Choose and qualify Contract Manufacturing Organizations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["cmoselect.roles.RolePermission"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Error answers, documented once for every operation (cmoselect/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cmoselect.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "QualificationStatusEnum": "vendors.models.QualificationStatus",
        "RiskClassEnum": "qualification.models.RiskClass",
        "SiteQualificationStatusEnum": "qualification.models.SiteQualification.Status",
        "CountryEnum": "django_countries.countries",
        "CapabilityLevelEnum": "vendors.models.CapabilityLevel",
        "RegulatorySourceEnum": "vendors.models.regulatory.Source",
        "ContractStatusEnum": "contracts.models.Contract.Status",
        "ContractTypeEnum": "contracts.models.Contract.Type",
        "AuditStatusEnum": "audits.models.Audit.Status",
        "CapaStatusEnum": "audits.models.Capa.Status",
        "AuditReportStatusEnum": "audits.models.AuditReport.Status",
        "TemplateVersionStatusEnum": "audits.models.TemplateVersion.Status",
        "SignatureMeaningEnum": "audits.models.Signature.Meaning",
        "DecisionMeaningEnum": "scoring.models.Decision.Meaning",
        "EventKindEnum": "vendors.models.EventKind",
        "ImportRunStatusEnum": "vendors.models.ImportRun.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
