"""Shared REST API plumbing.

DRF authenticates API requests itself (token or session) and answers 401/403; its views are
exempt from LoginRequiredMiddleware's redirect to the login page.
"""

from rest_framework import mixins, viewsets


class ApiViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create and update. A regulated record is removed through the API only
    where its viewset adds removal, with a reason kept in its history (Form 483 citations,
    capability matrix cells)."""
