"""Answers for the failures a user can do nothing about but wait: a busy database, an
unreachable task queue, and (for API clients) any server error, as JSON rather than HTML."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import OperationalError as DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from cmoselect import outbox
from cmoselect.errors import api_server_error

logger = logging.getLogger(__name__)

# Words the databases use when a statement or a lock wait ran out of time, or SQLite stayed busy.
_BUSY = (
    "canceling statement due to",
    "lock timeout",
    "database is locked",
    "could not obtain lock",
)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def unavailable(request: HttpRequest, *, title: str, detail: str, code: str) -> HttpResponse:
    if is_api(request):
        response = JsonResponse({"detail": detail, "code": code}, status=503)
    else:
        try:
            html = render_to_string("503.html", {"title": title, "detail": detail}, request=request)
        except Exception:  # noqa: BLE001 - the page's header needs the database that is busy
            html = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{detail}</p>"
        response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    return response


class FailureMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        outbox.reset()
        response = self.get_response(request)
        if outbox.broker_unreachable() and not is_api(request):
            messages.warning(request, outbox.BROKER_UNREACHABLE_MESSAGE)
        elif outbox.broker_unreachable():
            response["Warning"] = (
                '199 cmoselect "Task queue unreachable: queued work will run later"'
            )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DatabaseError) and any(
            word in str(exception).lower() for word in _BUSY
        ):
            logger.warning("Database busy on %s: %s", request.path, exception)
            return unavailable(
                request,
                title="The database is busy",
                detail="The database could not answer in time because other work holds what "
                "this page needs. Nothing was changed; try again in a moment.",
                code="database_busy",
            )
        if isinstance(exception, BrokerUnreachable):
            logger.warning("Broker unreachable on %s: %s", request.path, exception)
            return unavailable(
                request,
                title="The task queue cannot be reached",
                detail="Background work cannot be started right now. Try again in a moment.",
                code="broker_unreachable",
            )
        if is_api(request):
            logger.exception("Server error on %s", request.path, exc_info=exception)
            return api_server_error()
        return None


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """Start a new session's idle clock at login, so its first page writes no session."""
    if hasattr(request, "session"):
        request.session[IdleTimeoutMiddleware.KEY] = int(timezone.now().timestamp())


class IdleTimeoutMiddleware:
    """Log out a browser session that made no request for SESSION_IDLE_TIMEOUT_MINUTES.

    The time of the last request is kept in the session, written at most once a minute so that a
    busy page does not rewrite its session on every request. API token requests have no session
    and are left alone; their tokens expire on their own.
    """

    KEY = "last_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(timezone.now().timestamp())
            last = request.session.get(self.KEY)
            idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - last > idle_limit:
                logout(request)
                minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
                message = f"You were logged out after {minutes} minutes without activity."
                if is_api(request):
                    return JsonResponse({"detail": message, "code": "session_expired"}, status=401)
                messages.info(request, message)
                login = reverse("login")
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = f"{login}?next={request.path}"
                    return response
                return redirect(f"{login}?next={request.get_full_path()}")
            if last is None or now - last >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)
