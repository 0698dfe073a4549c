"""Error pages that keep the app's header, say what happened and offer a way on."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)


def api_server_error() -> JsonResponse:
    """What an API client gets for a server error: JSON, like every other API answer."""
    return JsonResponse(
        {"detail": "Server error: it has been logged.", "code": "server_error"}, status=500
    )


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page; an API client asking for an address no route knows gets JSON."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, with the header and navigation when they can still be drawn."""
    if request.path.startswith("/api/"):
        return api_server_error()
    try:
        html = render_to_string("500.html", request=request)
    except Exception:  # noqa: BLE001 - whatever broke the page may break its header too
        logger.exception("The 500 page could not be drawn with its header")
        html = render_to_string("500_plain.html")
    return HttpResponse(html, status=500)
