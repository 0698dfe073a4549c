"""API tokens: obtained with a username and password (throttled, and locked out like the login
page after repeated failures), stored hashed, each with an expiry (django-rest-knox)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle


class AuthRateThrottle(SimpleRateThrottle):
    """Token requests per client address, failed ones included (they are what is guessed)."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


TokenSerializer = inline_serializer(
    "ApiToken",
    {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
)


class TokenCreateView(knox_views.LoginView):
    """Create an API token: HTTP Basic authentication with the user's username and password."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []  # checked in initial(), before the password is

    def initial(self, request, *args, **kwargs) -> None:
        throttle = AuthRateThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request=None,
        responses={
            200: TokenSerializer,
            401: OpenApiResponse(description="Wrong username or password, or locked out"),
            429: OpenApiResponse(description="Too many token requests: wait and retry"),
        },
        summary="Create an API token (HTTP Basic with username and password)",
    )
    def post(self, request, format=None) -> Response:
        return super().post(request, format=format)


class TokenRevokeView(knox_views.LogoutView):
    """Revoke the token this request is made with."""

    @extend_schema(request=None, responses={204: None}, summary="Revoke this API token")
    def post(self, request, format=None) -> Response:
        return super().post(request, format=format)


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """ "Stay logged in": a request, so it counts as activity for IdleTimeoutMiddleware."""
    return HttpResponse(status=204)
