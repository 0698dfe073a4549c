from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from contracts.filters import (
    ContractFilter,
    KpiFilter,
    MilestoneFilter,
    ResponsibilityFilter,
    ScopeItemFilter,
)
from contracts.models import (
    Contract,
    Kpi,
    KpiMeasurement,
    Milestone,
    ResponsibilityItem,
    ScopeItem,
)
from contracts.services import (
    contract_change_status,
    contract_items_save,
    contract_save,
    kpi_measurement_record,
)
from vendors.api import ChangeReasonField, RecordSerializer
from vendors.models import Capability


class ContractSerializer(RecordSerializer):
    notice_deadline = serializers.DateField(read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "url",
            "cmo",
            "sites",
            "contract_type",
            "title",
            "reference",
            "parent",
            "status",
            "signed_on",
            "effective_date",
            "expiry_date",
            "terminated_on",
            "auto_renewal",
            "renewal_term_months",
            "notice_period",
            "notice_period_unit",
            "notice_deadline",
            "total_value",
            "currency",
            "payment_terms",
            "governing_law",
            "owner",
            "scope_summary",
            "background_ip",
            "foreground_ip_owner",
            "foreground_ip_notes",
            "licences",
            "confidentiality_years",
            "know_how",
            "liability_cap",
            "liability_notes",
            "insurance",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["status", "terminated_on", "created_at", "updated_at"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and "cmo" in attrs and attrs["cmo"] != self.instance.cmo:
            raise serializers.ValidationError({"cmo": "A contract cannot move to another CMO."})
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        sites = validated_data.pop("sites", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)

        def save_m2m():
            if sites is not None:
                instance.sites.set(sites)

        return contract_save(
            contract=instance,
            user=self.context["request"].user,
            reason=reason,
            save_m2m=save_m2m,
        )


class ItemSerializer(serializers.ModelSerializer):
    """A row of a contract's terms; saved with its history entry by contract_items_save."""

    change_reason = ChangeReasonField()

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        with transaction.atomic():
            contract_items_save(
                contract=instance.contract,
                saved=[instance],
                deleted=[],
                user=self.context["request"].user,
                reason=reason,
            )
        return instance

    def validate(self, attrs):
        moved = "contract" in attrs and attrs["contract"] != getattr(
            self.instance, "contract", None
        )
        if self.instance is not None and moved:
            raise serializers.ValidationError({"contract": "A row cannot move contracts."})
        return attrs

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class ScopeItemSerializer(ItemSerializer):
    capability = serializers.SlugRelatedField(
        slug_field="code", queryset=Capability.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ScopeItem
        fields = [
            "id",
            "contract",
            "product",
            "capability",
            "service_detail",
            "site",
            "annual_volume",
            "volume_unit",
            "change_reason",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        contract = attrs.get("contract", getattr(self.instance, "contract", None))
        site = attrs.get("site", getattr(self.instance, "site", None))
        if site is not None and contract is not None and site.cmo_id != contract.cmo_id:
            raise serializers.ValidationError({"site": "The site belongs to another CMO."})
        return attrs


class MilestoneSerializer(ItemSerializer):
    late = serializers.BooleanField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "name",
            "planned_date",
            "actual_date",
            "notes",
            "late",
            "change_reason",
        ]


class KpiSerializer(ItemSerializer):
    class Meta:
        model = Kpi
        fields = ["id", "contract", "kind", "name", "target", "unit", "change_reason"]


class KpiMeasurementSerializer(serializers.ModelSerializer):
    """The actual performance of a KPI over one period; `met` compares it with the target."""

    met = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Null for a KPI of kind “Other”."
    )
    change_reason = ChangeReasonField()

    class Meta:
        model = KpiMeasurement
        fields = [
            "id",
            "kpi",
            "period_start",
            "period_end",
            "actual",
            "note",
            "met",
            "recorded_by",
            "recorded_at",
            "change_reason",
        ]
        read_only_fields = ["recorded_by", "recorded_at"]
        validators = []  # the model's constraints run in the service, as for the browser

    def validate(self, attrs):
        if self.instance is not None and attrs.get("kpi", self.instance.kpi) != self.instance.kpi:
            raise serializers.ValidationError({"kpi": "A result cannot move to another KPI."})
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return kpi_measurement_record(
            measurement=instance, user=self.context["request"].user, reason=reason
        )

    def create(self, validated_data):
        return self._save(KpiMeasurement(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class ResponsibilitySerializer(ItemSerializer):
    class Meta:
        model = ResponsibilityItem
        fields = ["id", "contract", "activity", "responsible", "notes", "position", "change_reason"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        contract = attrs.get("contract", getattr(self.instance, "contract", None))
        if contract is not None and not contract.is_quality_agreement:
            raise serializers.ValidationError(
                {"contract": "Only a quality agreement has a responsibility matrix."}
            )
        return attrs


class ContractStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Contract.Status.choices)
    reason = serializers.CharField(max_length=2000)


class ContractViewSet(ApiViewSet):
    """Contracts with their dates and terms. Changing the status goes through `status`."""

    queryset = Contract.objects.select_related("cmo").prefetch_related("sites").order_by("pk")
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    write_perm = Perm.EDIT_CONTRACTS

    @extend_schema(request=ContractStatusSerializer, responses=ContractSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        contract = self.get_object()
        data = ContractStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract_change_status(contract=contract, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=contract.pk)).data)


class ScopeItemViewSet(ApiViewSet):
    queryset = ScopeItem.objects.select_related("capability").order_by("pk")
    serializer_class = ScopeItemSerializer
    filterset_class = ScopeItemFilter
    write_perm = Perm.EDIT_CONTRACTS


class MilestoneViewSet(ApiViewSet):
    queryset = Milestone.objects.order_by("planned_date", "pk")
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter
    write_perm = Perm.EDIT_CONTRACTS


class KpiViewSet(ApiViewSet):
    queryset = Kpi.objects.order_by("pk")
    serializer_class = KpiSerializer
    filterset_class = KpiFilter
    write_perm = Perm.EDIT_CONTRACTS


class KpiMeasurementViewSet(ApiViewSet):
    """Results recorded against contracts' KPIs, one per KPI and period."""

    queryset = KpiMeasurement.objects.select_related("kpi").order_by("pk")
    serializer_class = KpiMeasurementSerializer
    filterset_fields = ["kpi", "kpi__contract"]
    write_perm = Perm.EDIT_CONTRACTS


class ResponsibilityViewSet(ApiViewSet):
    """Rows of quality agreements' responsibility matrices (activity × responsible party)."""

    queryset = ResponsibilityItem.objects.order_by("contract_id", "position", "pk")
    serializer_class = ResponsibilitySerializer
    filterset_class = ResponsibilityFilter
    write_perm = Perm.EDIT_QUALITY_MATRIX
