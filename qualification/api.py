"""The approved supplier list and audit program in the API: read, edit with a reason, override
the risk class, read the risk breakdown; the changes CMOs notified."""

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from qualification.changes import notified_change_save
from qualification.filters import NotifiedChangeFilter, QualificationFilter
from qualification.models import NotifiedChange, RiskClass, SiteQualification
from qualification.risk import assess_sites
from qualification.schedule import months_ahead
from qualification.services import qualification_update, risk_override_set
from vendors.api.records import ChangeReasonField
from vendors.models import Capability, Site


class QualificationSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    cmo = serializers.IntegerField(source="site.cmo_id", read_only=True)
    country = serializers.CharField(source="site.country.code", read_only=True)
    capabilities = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Capability.objects.all(), required=False
    )
    due_state = serializers.ChoiceField(
        choices=["overdue", "soon", "later", "none"], read_only=True
    )
    planned_audit = serializers.IntegerField(
        source="planned_audit_id", read_only=True, allow_null=True
    )
    planned_audit_start = serializers.DateField(read_only=True, allow_null=True)
    change_reason = serializers.CharField(write_only=True, max_length=250)
    risk_override = serializers.CharField(
        read_only=True, help_text="The class QA set (high, medium or low); empty when none."
    )

    class Meta:
        model = SiteQualification
        fields = [
            "id",
            "site",
            "site_name",
            "cmo",
            "country",
            "status",
            "conditions",
            "capabilities",
            "products",
            "audit",
            "signature",
            "approved_on",
            "last_audit_end",
            "valid_until",
            "due_state",
            "computed_risk",
            "risk_points",
            "risk_override",
            "risk_override_reason",
            "risk_class",
            "cause_event",
            "planned_audit",
            "planned_audit_start",
            "change_reason",
            "updated_at",
        ]
        read_only_fields = [
            "site",
            "audit",
            "signature",
            "approved_on",
            "last_audit_end",
            "valid_until",
            "computed_risk",
            "risk_points",
            "risk_override",
            "risk_override_reason",
            "risk_class",
            "cause_event",
            "updated_at",
        ]

    def update(self, instance, validated_data) -> Model:
        return qualification_update(
            qualification=instance,
            user=self.context["request"].user,
            reason=validated_data.get("change_reason", ""),
            status=validated_data.get("status", instance.status),
            conditions=validated_data.get("conditions", instance.conditions),
            products=validated_data.get("products", instance.products),
            capabilities=validated_data.get("capabilities"),
        )


class RiskOverrideSerializer(serializers.Serializer):
    risk_class = serializers.ChoiceField(
        choices=[("", "No override"), *RiskClass.choices],
        allow_blank=True,
        required=False,
        default="",
        help_text="high, medium or low; empty or left out removes the override.",
    )
    reason = serializers.CharField(max_length=2000)


class ContributionSerializer(serializers.Serializer):
    factor = serializers.CharField()
    points = serializers.IntegerField()
    detail = serializers.CharField()
    forces_high = serializers.BooleanField()


class RiskSerializer(serializers.Serializer):
    risk_class = serializers.ChoiceField(choices=RiskClass.choices)
    points = serializers.IntegerField()
    cause = serializers.CharField(help_text="The serious event that proposes a for-cause audit.")
    contributions = ContributionSerializer(many=True)


class MonthSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    site_name = serializers.CharField(source="name")
    valid_until = serializers.DateField(source="due")
    risk_class = serializers.ChoiceField(choices=RiskClass.choices, source="risk")


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="The first day of the month.")
    count = serializers.IntegerField(help_text="Sites due in the month.")
    sites = MonthSiteSerializer(many=True, help_text="The first eight of them, soonest first.")


@extend_schema_view(
    list=extend_schema(
        description="The approved supplier list; `ordering=due` gives the audit program order."
    )
)
class QualificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = QualificationSerializer
    filterset_class = QualificationFilter
    write_perm = Perm.QUALIFY
    action_perms = {"months": Perm.QUALIFY}
    http_method_names = ["get", "patch", "post", "head", "options"]
    queryset = SiteQualification.objects.all()

    def get_queryset(self) -> QuerySet:
        rows = SiteQualification.objects.select_related("site").prefetch_related("capabilities")
        return rows.with_planned_audit().by_due_date()

    def perform_update(self, serializer) -> None:
        super().perform_update(serializer)
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    @extend_schema(
        request=RiskOverrideSerializer,
        responses={200: QualificationSerializer, 400: OpenApiResponse(description="Field errors")},
    )
    @action(detail=True, methods=["post"], url_path="risk-override")
    def risk_override(self, request, pk=None) -> Response:
        entry = self.get_object()
        data = RiskOverrideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        risk_override_set(qualification=entry, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)

    @extend_schema(responses=MonthSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def months(self, request) -> Response:
        """The audit program's coming twelve months: the sites due in each (eight named)."""
        entries = SiteQualification.objects.in_program()
        rows = months_ahead(entries, timezone.localdate())
        return Response(MonthSerializer(rows, many=True).data)

    @extend_schema(responses=RiskSerializer)
    @action(detail=True, methods=["get"])
    def risk(self, request, pk=None) -> Response:
        entry = self.get_object()
        scope = {entry.site_id: {c.code for c in entry.capabilities.all()}}
        risk = assess_sites(scope, scopes=scope)[entry.site_id]
        return Response(RiskSerializer(risk).data)


class NotifiedChangeSerializer(serializers.ModelSerializer):
    """A change a CMO notified about a site, and QA's assessment; written by QA and Admin."""

    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    change_reason = ChangeReasonField()

    class Meta:
        model = NotifiedChange
        fields = [
            "id",
            "site",
            "notified_on",
            "title",
            "category",
            "significance",
            "description",
            "assessment",
            "assessment_notes",
            "created_by",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]

    def validate(self, attrs) -> dict:
        if self.instance is not None and "site" in attrs and attrs["site"] != self.instance.site:
            raise serializers.ValidationError({"site": "A change cannot move to another site."})
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return notified_change_save(
            change=instance, user=self.context["request"].user, reason=reason
        )

    def create(self, validated_data) -> Model:
        return self._save(NotifiedChange(), validated_data)

    def update(self, instance, validated_data) -> Model:
        return self._save(instance, validated_data)


class NotifiedChangeViewSet(ApiViewSet):
    """Changes CMOs notified about their sites (equipment, process, materials, people…) and
    QA's assessment of each. A major change notified since a site's last approved audit weighs
    in its risk class. Filter by `site`, `cmo`, `significance` and `assessment`; an update needs
    a `change_reason`, kept in its history."""

    queryset = NotifiedChange.objects.select_related("site").order_by("-notified_on", "-pk")
    serializer_class = NotifiedChangeSerializer
    filterset_class = NotifiedChangeFilter
    write_perm = Perm.EDIT_REGULATORY
