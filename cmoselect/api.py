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

    def _reread(self, serializer) -> None:
        # A saved row answers as a read of it does: with what the list's queryset annotates
        # (a CMO's site_count), which the row the service returned does not carry.
        if serializer.instance is not None and serializer.instance.pk is not None:
            reread = self.get_queryset().filter(pk=serializer.instance.pk).first()
            serializer.instance = reread or serializer.instance

    def perform_create(self, serializer) -> None:
        super().perform_create(serializer)
        self._reread(serializer)

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        self._reread(serializer)
