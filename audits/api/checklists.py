"""Checklist template versions: read, export, import, publish."""

from django.db.models import Count, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audits import transfer
from audits.models import ChecklistQuestion, ChecklistSection, TemplateVersion
from audits.services import version_publish
from cmoselect.downloads import content_type_of, download
from cmoselect.parsers import ObjectJSONParser
from cmoselect.roles import Perm


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistQuestion
        fields = ["id", "position", *ChecklistQuestion.CONTENT_FIELDS]


class SectionSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistSection
        fields = ["id", "position", "title", "description", "questions"]


class TemplateVersionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="template.name", read_only=True)
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TemplateVersion
        fields = [
            "id",
            "template",
            "name",
            "number",
            "status",
            "notes",
            "published_at",
            "question_count",
        ]


class TemplateVersionDetailSerializer(TemplateVersionSerializer):
    sections = SectionSerializer(many=True, read_only=True)

    class Meta(TemplateVersionSerializer.Meta):
        fields = [*TemplateVersionSerializer.Meta.fields, "sections"]


class VersionPublishSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, help_text="What changed.")


class TemplateImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class TemplateVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Checklist template versions (read), with export and import."""

    queryset = (
        TemplateVersion.objects.select_related("template")
        .annotate(question_count=Count("sections__questions"))
        .order_by("template__name", "-number")
    )
    serializer_class = TemplateVersionSerializer
    filterset_fields = ["template", "status"]
    action_perms = {"import_file": Perm.EDIT_CHECKLISTS, "publish": Perm.EDIT_CHECKLISTS}
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("sections__questions")
        return queryset

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return (
            TemplateVersionDetailSerializer
            if self.action == "retrieve"
            else super().get_serializer_class()
        )

    @extend_schema(
        parameters=[OpenApiParameter("kind", enum=list(transfer.EXPORTERS), default="json")],
        responses={
            # The JSON export is a checklist document; CSV and XLSX are files.
            (200, content_type_of(f"export.{kind}").split(";")[0]): (
                OpenApiTypes.OBJECT if kind == "json" else OpenApiTypes.BINARY
            )
            for kind in transfer.EXPORTERS
        },
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk=None) -> HttpResponse:
        version = self.get_object()
        kind = request.query_params.get("kind") or "json"
        if kind not in transfer.EXPORTERS:
            raise ValidationError({"kind": [f"One of {', '.join(transfer.EXPORTERS)}."]})
        return download(
            transfer.EXPORTERS[kind](version), filename=transfer.export_filename(version, kind)
        )

    @extend_schema(request=VersionPublishSerializer, responses=TemplateVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None) -> Response:
        """Publish a draft with a note of what changed; the version published before is superseded."""
        data = VersionPublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = version_publish(
            version=self.get_object(), user=request.user, notes=data.validated_data.get("notes", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)

    @extend_schema(request=TemplateImportSerializer, responses={201: TemplateVersionSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request) -> Response:
        data = TemplateImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parsed = transfer.parse_upload(
            data.validated_data["file"], name=data.validated_data.get("name", "")
        )
        version = transfer.template_import(parsed=parsed, user=request.user)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=version.pk)).data,
            status=status.HTTP_201_CREATED,
        )
