"""Audits: plan and edit, status moves, e-signed decisions, revisions, report requests."""

from django.db.models import Model
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from audits.api.briefing import BriefingSerializer
from audits.api.reports import AuditReportSerializer
from audits.briefing import audit_briefing
from audits.models import Audit, Finding, Signature
from audits.services import (
    audit_change_status,
    audit_create,
    audit_decide,
    audit_revise,
    audit_update,
    report_request,
)
from cmoselect.api import ApiViewSet
from cmoselect.esign import request_address
from cmoselect.roles import Perm


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

    def validate(self, attrs) -> dict:
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

    def create(self, validated_data) -> Model:
        validated_data.pop("change_reason", None)
        team = validated_data.pop("team", [])
        capabilities = validated_data.pop("capabilities", [])
        return audit_create(
            audit=Audit(**validated_data),
            team=team,
            capabilities=capabilities,
            user=self.context["request"].user,
        )

    def update(self, instance, validated_data) -> Model:
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


class AuditViewSet(ApiViewSet):
    """Audits (site visits). Status moves, e-signed decisions and reports are actions."""

    queryset = Audit.objects.for_list().prefetch_related("team").order_by("-planned_start", "-pk")
    serializer_class = AuditSerializer
    filterset_fields = ["status", "site", "audit_type", "site__cmo"]
    write_perm = Perm.PERFORM_AUDITS
    action_perms = {
        "sign": Perm.SIGN_AUDITS,
        "revise": Perm.SIGN_AUDITS,
        "report": Perm.VIEW,
        "briefing": Perm.VIEW,
    }

    @extend_schema(responses=BriefingSerializer)
    @action(detail=True, methods=["get"])
    def briefing(self, request, pk=None) -> Response:
        """The site's Form 483 citations and warning letters of the five years before the
        audit, by 21 CFR 211 subpart, with the checklist sections they concern."""
        return Response(BriefingSerializer(audit_briefing(self.get_object())).data)

    @extend_schema(request=AuditStatusSerializer, responses=AuditSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None) -> Response:
        data = AuditStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit = audit_change_status(
            audit=self.get_object(), user=request.user, **data.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=audit.pk)).data)

    @extend_schema(request=SignSerializer, responses={201: SignatureSerializer})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None) -> Response:
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
    def revise(self, request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit = audit_revise(audit=self.get_object(), user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=audit.pk)).data)

    @extend_schema(request=None, responses={202: AuditReportSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None) -> HttpResponse:
        report = report_request(audit=self.get_object(), user=request.user)
        report.refresh_from_db()
        return Response(
            AuditReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
