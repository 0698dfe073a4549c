"""Findings and their CAPAs."""

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from audits.api.audits import ReasonSerializer
from audits.models import Capa, Finding
from audits.services import (
    capa_accept,
    capa_record_response,
    capa_reject,
    capa_verify,
    finding_create,
    finding_update,
)
from cmoselect.api import ApiViewSet
from cmoselect.parsers import ObjectJSONParser
from cmoselect.roles import Perm


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
    capa = CapaSerializer(read_only=True, allow_null=True)
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

    def create(self, validated_data) -> Model:
        validated_data.pop("change_reason", None)
        capa_due = validated_data.pop("capa_due", None)
        answer = validated_data.pop("answer", None)
        return finding_create(
            finding=Finding(**validated_data),
            user=self.context["request"].user,
            answer=answer,
            capa_due=capa_due,
        )

    def update(self, instance, validated_data) -> Model:
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
    def respond(self, request, pk=None) -> Response:
        data = CapaResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_record_response(capa=self.get_object(), user=request.user, **data.validated_data)
        )

    @extend_schema(request=None, responses=CapaSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None) -> Response:
        return self._done(capa_accept(capa=self.get_object(), user=request.user))

    @extend_schema(request=ReasonSerializer, responses=CapaSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_reject(capa=self.get_object(), user=request.user, **data.validated_data)
        )

    @extend_schema(request=CapaVerifySerializer, responses=CapaSerializer)
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[ObjectJSONParser, MultiPartParser, FormParser],
    )
    def verify(self, request, pk=None) -> Response:
        data = CapaVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._done(
            capa_verify(capa=self.get_object(), user=request.user, **data.validated_data)
        )
