from django.db import transaction
from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.parsers import ObjectJSONParser
from cmoselect.roles import Perm
from contracts.filters import (
    ContractFilter,
    KpiFilter,
    MilestoneFilter,
    ResponsibilityFilter,
    ScopeItemFilter,
)
from contracts.models import (
    Amendment,
    Contract,
    Kpi,
    KpiMeasurement,
    Milestone,
    ResponsibilityItem,
    ScopeItem,
)
from contracts.services import (
    amendment_approve,
    amendment_raise,
    amendment_reject,
    amendment_withdraw,
    contract_change_status,
    contract_items_save,
    contract_save,
    kpi_measurement_record,
)
from contracts.versions import plain_row
from vendors.api.records import ChangeReasonField, RecordSerializer
from vendors.models import Capability


class ContractSerializer(RecordSerializer):
    notice_deadline = serializers.DateField(read_only=True, allow_null=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "url",
            "cmo",
            *Contract.TERM_FIELDS,
            "status",
            "terminated_on",
            "notice_deadline",
            "owner",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["status", "terminated_on", "created_at", "updated_at"]

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if self.instance is not None and "cmo" in attrs and attrs["cmo"] != self.instance.cmo:
            raise serializers.ValidationError({"cmo": "A contract cannot move to another CMO."})
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        sites = validated_data.pop("sites", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)

        def save_m2m() -> None:
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

    def validate(self, attrs: dict) -> dict:
        moved = "contract" in attrs and attrs["contract"] != getattr(
            self.instance, "contract", None
        )
        if self.instance is not None and moved:
            raise serializers.ValidationError({"contract": "A row cannot move contracts."})
        return attrs

    def create(self, validated_data: dict) -> Model:
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance: Model, validated_data: dict) -> Model:
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

    def validate(self, attrs: dict) -> dict:
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

    def validate(self, attrs: dict) -> dict:
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

    def create(self, validated_data: dict) -> Model:
        return self._save(KpiMeasurement(), validated_data)

    def update(self, instance: Model, validated_data: dict) -> Model:
        return self._save(instance, validated_data)


class ResponsibilitySerializer(ItemSerializer):
    class Meta:
        model = ResponsibilityItem
        fields = ["id", "contract", "activity", "responsible", "notes", "position", "change_reason"]

    def validate(self, attrs: dict) -> dict:
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
    def status(self, request: Request, pk: str | None = None) -> Response:
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


class AmendmentSerializer(serializers.ModelSerializer):
    """An amendment: `changes` holds the proposed terms, `base` the values they replace."""

    url = serializers.CharField(source="get_absolute_url", read_only=True)
    documents = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Amendment
        fields = [
            "id",
            "url",
            "contract",
            "number",
            "status",
            "reason",
            "effective_date",
            "changes",
            "base",
            "terms_before",
            "terms_after",
            "raised_by",
            "raised_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "applied_at",
            "documents",
        ]
        read_only_fields = fields


class AmendmentRowField(serializers.DictField):
    """A proposed row: the table's own fields, with `id` of the row it replaces (or none)."""


class AmendmentCreateSerializer(serializers.Serializer):
    """Proposed terms, checked by the same serializers that edit a draft contract and its rows.

    `changes` takes contract fields as `PATCH /contracts/{id}/` does; each table, when given,
    is its full proposed list of rows (omit a row to remove it).
    """

    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all())
    reason = serializers.CharField(max_length=2000)
    effective_date = serializers.DateField()
    changes = serializers.DictField(required=False, default=dict)
    scope_items = serializers.ListField(child=AmendmentRowField(), required=False)
    kpis = serializers.ListField(child=AmendmentRowField(), required=False)
    responsibilities = serializers.ListField(child=AmendmentRowField(), required=False)

    TABLE_SERIALIZERS = {
        "scope_items": ("scope", lambda: ScopeItemSerializer),
        "kpis": ("kpis", lambda: KpiSerializer),
        "responsibilities": ("matrix", lambda: ResponsibilitySerializer),
    }

    def validate(self, attrs: dict) -> dict:
        contract = attrs["contract"]
        changes = attrs.get("changes") or {}
        unknown = sorted(set(changes) - set(Contract.TERM_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                {"changes": {name: ["Not a term an amendment changes."] for name in unknown}}
            )
        fields = {}
        if changes:
            terms = ContractSerializer(
                instance=contract, data=changes, partial=True, context=self.context
            )
            if not terms.is_valid():
                raise serializers.ValidationError({"changes": terms.errors})
            fields = {k: v for k, v in terms.validated_data.items() if k in Contract.TERM_FIELDS}
        tables = {}
        for key, (table, serializer_class) in self.TABLE_SERIALIZERS.items():
            if key not in attrs:
                continue
            rows, errors = [], {}
            model = serializer_class().Meta.model
            existing = model.objects.filter(contract=contract).in_bulk()
            for index, raw in enumerate(attrs[key]):
                row_id = raw.get("id")
                if row_id is not None and row_id not in existing:
                    errors[index] = {"id": ["Not a row of this contract."]}
                    continue
                row = serializer_class()(
                    instance=existing.get(row_id),
                    data={**raw, "contract": contract.pk},
                    context=self.context,
                )
                if not row.is_valid():
                    errors[index] = row.errors
                    continue
                rows.append(plain_row(table, row.validated_data, row_id=row_id))
            if errors:
                raise serializers.ValidationError({key: errors})
            tables[table] = rows
        return {**attrs, "fields": fields, "tables": tables}


class AmendmentDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AmendmentWithdrawalSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="Why it is withdrawn.")


class AmendmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Amendments to active contracts. Raising one changes nothing until another person
    approves it; approval applies it at once, or on its effective date if that is later."""

    queryset = Amendment.objects.select_related("contract").prefetch_related("documents")
    queryset = queryset.order_by("contract_id", "number")
    serializer_class = AmendmentSerializer
    filterset_fields = ["contract", "status"]
    # Proposed changes and rows are nested: a form-encoded body would drop them without a word.
    parser_classes = [ObjectJSONParser]
    write_perm = Perm.EDIT_CONTRACTS
    # Who may raise which terms (the matrix is QA's, the rest the contract owners') and who
    # withdraws (only the author) are the service's rules; these only keep outsiders out.
    action_perms = {
        "create": Perm.VIEW,
        "approve": Perm.APPROVE_AMENDMENTS,
        "reject": Perm.APPROVE_AMENDMENTS,
        "withdraw": Perm.VIEW,
    }

    @extend_schema(request=AmendmentCreateSerializer, responses={201: AmendmentSerializer})
    def create(self, request: Request) -> Response:
        data = AmendmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        amendment = amendment_raise(
            contract=values["contract"],
            user=request.user,
            reason=values["reason"],
            effective_date=values["effective_date"],
            fields=values["fields"],
            tables=values["tables"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=amendment.pk)).data, 201)

    def _decide(self, request, service, serializer_class):
        amendment = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        service(amendment=amendment, user=request.user, note=data.validated_data["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=amendment.pk)).data)

    @extend_schema(request=AmendmentDecisionSerializer, responses=AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve an amendment someone else raised (not its author: separation of duties)."""
        return self._decide(request, amendment_approve, AmendmentDecisionSerializer)

    @extend_schema(request=AmendmentDecisionSerializer, responses=AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject an amendment someone else raised; `note` (why) is required."""
        return self._decide(request, amendment_reject, AmendmentDecisionSerializer)

    @extend_schema(request=AmendmentWithdrawalSerializer, responses=AmendmentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw one's own amendment while it awaits approval."""
        return self._decide(request, amendment_withdraw, AmendmentWithdrawalSerializer)
