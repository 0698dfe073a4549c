from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from audits import transfer
from audits.models import (
    Answer,
    Audit,
    AuditReport,
    Capa,
    ChecklistQuestion,
    ChecklistSection,
    Finding,
    Signature,
    TemplateVersion,
)
from audits.services import (
    AnswerConflict,
    answer_save,
    audit_change_status,
    audit_create,
    audit_decide,
    audit_revise,
    audit_update,
    capa_accept,
    capa_record_response,
    capa_reject,
    capa_verify,
    finding_create,
    finding_update,
    report_request,
    version_publish,
)
from cmoselect.api import ApiViewSet
from cmoselect.downloads import download, rendered_report_download
from cmoselect.esign import request_address
from cmoselect.roles import Perm


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistQuestion
        fields = [
            "id",
            "position",
            "text",
            "guidance",
            "reference",
            "answer_type",
            "weight",
            "critical",
            "evidence_expected",
        ]


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
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("sections__questions")
        return queryset

    def get_serializer_class(self):
        return (
            TemplateVersionDetailSerializer
            if self.action == "retrieve"
            else super().get_serializer_class()
        )

    @extend_schema(
        parameters=[OpenApiParameter("kind", enum=["json", "csv", "xlsx"])],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk=None):
        version = self.get_object()
        kind = request.query_params.get("kind", "json")
        if kind not in transfer.EXPORTERS:
            kind = "json"
        return download(
            transfer.EXPORTERS[kind](version), filename=transfer.export_filename(version, kind)
        )

    @extend_schema(request=VersionPublishSerializer, responses=TemplateVersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft with a note of what changed; the version published before is superseded."""
        data = VersionPublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = version_publish(
            version=self.get_object(), user=request.user, notes=data.validated_data.get("notes", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=version.pk)).data)

    @extend_schema(request=TemplateImportSerializer, responses=TemplateVersionSerializer)
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request):
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


class AuditSerializer(serializers.ModelSerializer):
    change_reason = serializers.CharField(write_only=True, required=False, allow_blank=True)
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "reference",
            "site",
            "template_version",
            "audit_type",
            "status",
            "planned_start",
            "planned_end",
            "lead_auditor",
            "team",
            "scope",
            "capabilities",
            "products",
            "revision",
            "score",
            "recommended_outcome",
            "decided_at",
            "change_reason",
        ]
        read_only_fields = ["status", "revision", "score", "recommended_outcome", "decided_at"]

    def validate(self, attrs):
        changed = attrs.get("template_version", getattr(self.instance, "template_version", None))
        if self.instance is not None and changed != self.instance.template_version:
            raise serializers.ValidationError(
                {"template_version": "The checklist of an audit cannot be changed."}
            )
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"planned_end": "The audit cannot end before it starts."}
            )
        return attrs

    def create(self, validated_data):
        validated_data.pop("change_reason", None)
        team = validated_data.pop("team", [])
        capabilities = validated_data.pop("capabilities", [])
        return audit_create(
            audit=Audit(**validated_data),
            team=team,
            capabilities=capabilities,
            user=self.context["request"].user,
        )

    def update(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        team = validated_data.pop("team", None)
        capabilities = validated_data.pop("capabilities", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return audit_update(
            audit=instance,
            team=instance.team.all() if team is None else team,
            capabilities=capabilities,
            user=self.context["request"].user,
            reason=reason,
        )


class AuditStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Audit.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    justification = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SignSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Signature.Decision.choices)
    meaning = serializers.ChoiceField(choices=Signature.Meaning.choices)
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    comment = serializers.CharField(required=False, allow_blank=True)
    conditions = serializers.CharField(required=False, allow_blank=True)
    findings = serializers.PrimaryKeyRelatedField(
        queryset=Finding.objects.all(), many=True, required=False
    )
    qualify_site = serializers.BooleanField(required=False, default=False)


class SignatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signature
        fields = [
            "id",
            "audit",
            "revision",
            "printed_name",
            "meaning",
            "decision",
            "comment",
            "conditions",
            "findings",
            "signed_at",
            "content_hash",
        ]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


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


class AuditViewSet(ApiViewSet):
    """Audits (site visits). Status moves, e-signed decisions and reports are actions."""

    queryset = Audit.objects.for_list().prefetch_related("team").order_by("-planned_start", "-pk")
    serializer_class = AuditSerializer
    filterset_fields = ["status", "site", "audit_type", "site__cmo"]
    write_perm = Perm.PERFORM_AUDITS
    action_perms = {"sign": Perm.SIGN_AUDITS, "revise": Perm.SIGN_AUDITS, "report": Perm.VIEW}

    @extend_schema(request=AuditStatusSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        data = AuditStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit = audit_change_status(
            audit=self.get_object(), user=request.user, **data.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=audit.pk)).data)

    @extend_schema(request=SignSerializer, responses=SignatureSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signature = audit_decide(
            audit=self.get_object(),
            user=request.user,
            address=request_address(request),
            **data.validated_data,
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit = audit_revise(audit=self.get_object(), user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=audit.pk)).data)

    @extend_schema(request=None, responses=AuditReportSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        report = report_request(audit=self.get_object(), user=request.user)
        report.refresh_from_db()
        return Response(
            AuditReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class AnswerSerializer(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text", read_only=True)
    answer_type = serializers.CharField(source="question.answer_type", read_only=True)

    class Meta:
        model = Answer
        fields = [
            "id",
            "audit",
            "question",
            "question_text",
            "answer_type",
            "value",
            "comment",
            "version",
            "answered_by",
            "answered_at",
        ]
        read_only_fields = ["audit", "question", "answered_by", "answered_at"]
        extra_kwargs = {
            "version": {
                "read_only": False,
                "help_text": "The version you read. A save over a newer version is refused (409).",
            }
        }

    def update(self, instance, validated_data):
        return answer_save(
            answer=instance,
            user=self.context["request"].user,
            value=validated_data.get("value", instance.value),
            comment=validated_data.get("comment", instance.comment),
            expected_version=validated_data.get("version", -1),
        )


class AnswerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Checklist answers. Send the `version` you read; a stale one gets 409 with both values."""

    queryset = Answer.objects.select_related("question", "audit").order_by(
        "audit", "question__section__position", "question__position"
    )
    serializer_class = AnswerSerializer
    filterset_fields = ["audit"]
    write_perm = Perm.PERFORM_AUDITS

    def update(self, request, *args, **kwargs):
        if "version" not in request.data:
            return Response(
                {"version": ["Send the version of the answer you read."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            return super().update(request, *args, **kwargs)
        except AnswerConflict as conflict:
            return Response(
                {
                    "detail": "Someone else saved this answer since you read it.",
                    "current": AnswerSerializer(conflict.current).data,
                    "yours": {
                        "value": request.data.get("value"),
                        "comment": request.data.get("comment"),
                        "version": request.data.get("version"),
                    },
                },
                status=status.HTTP_409_CONFLICT,
            )


class CapaSerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Capa
        fields = [
            "id",
            "finding",
            "status",
            "due_date",
            "root_cause",
            "corrective_action",
            "preventive_action",
            "response_received_at",
            "rejection_reason",
            "accepted_by",
            "accepted_at",
            "verified_by",
            "verified_at",
            "verification_notes",
            "effectiveness_check",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, capa) -> bool:
        return capa.is_overdue()


class FindingSerializer(serializers.ModelSerializer):
    capa = CapaSerializer(read_only=True)
    capa_due = serializers.DateField(write_only=True, required=False)
    change_reason = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "audit",
            "answer",
            "number",
            "severity",
            "title",
            "requirement",
            "description",
            "evidence",
            "created_at",
            "capa",
            "capa_due",
            "change_reason",
        ]
        read_only_fields = ["number", "created_at"]

    def create(self, validated_data):
        validated_data.pop("change_reason", None)
        capa_due = validated_data.pop("capa_due", None)
        answer = validated_data.pop("answer", None)
        return finding_create(
            finding=Finding(**validated_data),
            user=self.context["request"].user,
            answer=answer,
            capa_due=capa_due,
        )

    def update(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        validated_data.pop("capa_due", None)
        validated_data.pop("audit", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return finding_update(finding=instance, user=self.context["request"].user, reason=reason)


class FindingViewSet(ApiViewSet):
    queryset = Finding.objects.select_related("capa").order_by("audit", "number")
    serializer_class = FindingSerializer
    filterset_fields = ["audit", "severity"]
    write_perm = Perm.PERFORM_AUDITS


class CapaResponseSerializer(serializers.Serializer):
    root_cause = serializers.CharField()
    corrective_action = serializers.CharField()
    preventive_action = serializers.CharField()
    due_date = serializers.DateField(required=False)


class CapaVerifySerializer(serializers.Serializer):
    notes = serializers.CharField()
    effectiveness_check = serializers.CharField()
    evidence = serializers.FileField(required=False)


class CapaViewSet(viewsets.ReadOnlyModelViewSet):
    """CAPAs: open → response received → accepted → verified and closed (or rejected to open)."""

    queryset = Capa.objects.select_related("finding").order_by("due_date", "pk")
    serializer_class = CapaSerializer
    filterset_fields = ["status", "finding__audit"]
    write_perm = Perm.PERFORM_AUDITS

    def _done(self, capa):
        return Response(self.get_serializer(self.get_queryset().get(pk=capa.pk)).data)

    @extend_schema(request=CapaResponseSerializer, responses=CapaSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        data = CapaResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_record_response(capa=self.get_object(), user=request.user, **data.validated_data)
        )

    @extend_schema(request=None, responses=CapaSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._done(capa_accept(capa=self.get_object(), user=request.user))

    @extend_schema(request=ReasonSerializer, responses=CapaSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_reject(capa=self.get_object(), user=request.user, **data.validated_data)
        )

    @extend_schema(request=CapaVerifySerializer, responses=CapaSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def verify(self, request, pk=None):
        data = CapaVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_verify(capa=self.get_object(), user=request.user, **data.validated_data)
        )


class AuditReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Rendered PDF reports; request one with POST /audits/{id}/report/."""

    queryset = AuditReport.objects.order_by("-requested_at", "-pk")
    serializer_class = AuditReportSerializer
    filterset_fields = ["audit", "status"]

    @extend_schema(responses={(200, "application/pdf"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return rendered_report_download(self.get_object())
