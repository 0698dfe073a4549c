"""Imports of the FDA's public exports."""

from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cmoselect.roles import Perm
from vendors.filters import ImportRunFilter
from vendors.import_report import problem_counts
from vendors.models import ImportRun, ProblemReason
from vendors.services import import_run_commit, import_run_create, import_run_retry


class ImportRunSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "file",
            "original_name",
            "format",
            "status",
            "via",
            "create_missing",
            "uploaded_by",
            "created_at",
            "started_at",
            "finished_at",
            "total_rows",
            "processed_rows",
            "percent",
            "preview",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "error_count",
            "errors",
            "message",
        ]
        read_only_fields = [f for f in fields if f not in ("file", "create_missing")]

    def create(self, validated_data) -> Model:
        upload = validated_data["file"]
        return import_run_create(
            file=upload,
            name=upload.name,
            user=self.context["request"].user,
            via=ImportRun.Via.API,
            create_missing=validated_data.get("create_missing", False),
        )


class ProblemGroupSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ProblemReason.choices, help_text="The reason's code.")
    field = serializers.CharField(help_text="The column the problem is in; empty if none.")
    label = serializers.CharField(help_text="The reason as the report names it.")
    count = serializers.IntegerField(help_text="How many rows were skipped for it.")


class ImportRunDetailSerializer(ImportRunSerializer):
    problem_groups = serializers.SerializerMethodField(
        help_text="Every row problem counted by reason and column, the most frequent first "
        "(`errors` lists only the first rows)."
    )

    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "problem_groups"]
        read_only_fields = [*ImportRunSerializer.Meta.read_only_fields, "problem_groups"]

    @extend_schema_field(ProblemGroupSerializer(many=True))
    def get_problem_groups(self, run: ImportRun) -> list[dict]:
        return ProblemGroupSerializer(problem_counts(run), many=True).data


class ImportRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of FDA exports: upload (a preview runs), poll the status, read the report, commit."""

    queryset = ImportRun.objects.order_by("-created_at", "-pk")
    serializer_class = ImportRunSerializer
    filterset_class = ImportRunFilter
    parser_classes = [MultiPartParser, FormParser]
    write_perm = Perm.IMPORT_DATA
    action_perms = {"commit": Perm.IMPORT_DATA, "retry": Perm.IMPORT_DATA}

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        """One import (read, committed, retried) has its problems grouped; a list does not."""
        if self.action in ("retrieve", "commit", "retry"):
            return ImportRunDetailSerializer
        return ImportRunSerializer

    @extend_schema(request=None, responses=ImportRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None) -> Response:
        run = import_run_commit(run=self.get_object(), user=request.user)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data)

    @extend_schema(request=None, responses=ImportRunDetailSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None) -> Response:
        """Take up an import that stopped part-way: a commit resumes where it stopped."""
        run = import_run_retry(run=self.get_object(), user=request.user)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data)
