"""Rendered audit reports."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from audits.models import AuditReport
from cmoselect.downloads import rendered_report_download


class AuditReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AuditReport
        fields = [
            "id",
            "audit",
            "revision",
            "status",
            "error",
            "requested_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, report) -> str | None:
        if report.status != AuditReport.Status.READY:
            return None
        return self.context["request"].build_absolute_uri(
            f"/api/v1/audit-reports/{report.pk}/download/"
        )


class AuditReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Rendered PDF reports; request one with POST /audits/{id}/report/."""

    queryset = AuditReport.objects.order_by("-requested_at", "-pk")
    serializer_class = AuditReportSerializer
    filterset_fields = ["audit", "status"]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None) -> HttpResponse:
        return rendered_report_download(self.get_object())
