"""The capability taxonomy, the capability matrix cells and the needs search."""

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from cmoselect.schema import OneObjectSchema
from vendors.api.records import ChangeReasonField, removal_reason, removal_reason_parameter
from vendors.capabilities import NeedsRule, needs_search, registry_needs_search
from vendors.filters import SiteCapabilityFilter
from vendors.models import Capability, CapabilityLevel, SiteCapability
from vendors.services import site_capability_set


class CapabilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Capability
        fields = ["id", "category", "code", "name", "description", "position"]


class CapabilityViewSet(ApiViewSet):
    """The capability taxonomy (the matrix's columns). Admins may add entries."""

    queryset = Capability.objects.all()
    serializer_class = CapabilitySerializer
    write_perm = Perm.ADMINISTER
    pagination_class = None


class SiteCapabilitySerializer(serializers.ModelSerializer):
    change_reason = ChangeReasonField(
        help_text="Why the cell is added or changed. Required on both; kept in its history."
    )

    class Meta:
        model = SiteCapability
        fields = [
            "id",
            "site",
            "capability",
            "level",
            "max_batch_size",
            "batch_size_unit",
            "annual_capacity",
            "annual_capacity_unit",
            "available_from",
            "notes",
            "source",
            "last_verified",
            "verified_by_audit",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["source", "verified_by_audit", "updated_at"]
        validators = []  # one cell per site and capability: setting it again updates it

    def validate(self, attrs) -> dict:
        if self.instance is not None:
            for name in ("site", "capability"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise serializers.ValidationError(
                        {name: f"A cell cannot move to another {name}; set that cell instead."}
                    )
        return attrs

    def _save(self, validated_data, instance=None):
        data = dict(validated_data)
        site = data.pop("site", getattr(instance, "site", None))
        capability = data.pop("capability", getattr(instance, "capability", None))
        # A missing level keeps the cell's own (a new cell's is "claimed"): setting a cell never
        # removes it, only DELETE does.
        level = data.pop("level", getattr(instance, "level", None))
        if level is None:
            existing = SiteCapability.objects.filter(site=site, capability=capability).first()
            level = existing.level if existing else CapabilityLevel.CLAIMED
        reason = data.pop("change_reason", "")
        return site_capability_set(
            site=site,
            capability=capability,
            level=level,
            user=self.context["request"].user,
            reason=reason,
            **data,
        )

    def create(self, validated_data) -> Model:
        return self._save(validated_data)

    def update(self, instance, validated_data) -> Model:
        return self._save(validated_data, instance)


class SiteCapabilityViewSet(mixins.DestroyModelMixin, ApiViewSet):
    """Cells of the capability matrix: filter by site, CMO, capability and (minimum) level.

    Adding or updating a cell needs a `change_reason`; so does removing one, given as a query parameter
    (or in a JSON body). Both are kept in the cell's history.
    """

    queryset = SiteCapability.objects.select_related("capability").order_by("pk")
    serializer_class = SiteCapabilitySerializer
    filterset_class = SiteCapabilityFilter
    write_perm = Perm.EDIT_CAPABILITIES

    @extend_schema(parameters=[removal_reason_parameter("capability")])
    def destroy(self, request, *args, **kwargs) -> Response:
        cell = self.get_object()
        site_capability_set(
            site=cell.site,
            capability=cell.capability,
            level=None,
            user=request.user,
            reason=removal_reason(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class NeedAskedSerializer(serializers.Serializer):
    capability = serializers.IntegerField()
    capability_name = serializers.CharField()
    minimum_level = serializers.IntegerField()


class SiteLevelSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    site_name = serializers.CharField()
    level = serializers.IntegerField()


class ShortfallSerializer(serializers.Serializer):
    capability = serializers.IntegerField()
    minimum_level = serializers.IntegerField(help_text="The level asked for.")
    below = SiteLevelSerializer(
        many=True,
        help_text="Sites that have the capability below the level asked, best first; "
        "empty when no site has it at all.",
    )


class NeedLevelSerializer(serializers.Serializer):
    capability = serializers.IntegerField()
    level = serializers.IntegerField()


class SiteCoverageSerializer(serializers.Serializer):
    site = serializers.IntegerField(source="site.pk")
    site_name = serializers.CharField(source="site.name")
    needs_met = serializers.SerializerMethodField(
        help_text="The needs this site meets at the level asked: capability id and its level."
    )

    @extend_schema_field(NeedLevelSerializer(many=True))
    def get_needs_met(self, coverage) -> list[dict]:
        return [{"capability": c, "level": level} for c, level in coverage.levels.items()]


class NeedsMatchSerializer(serializers.Serializer):
    cmo = serializers.IntegerField(source="cmo.pk")
    cmo_name = serializers.CharField(source="cmo.legal_name")
    rule = serializers.ChoiceField(NeedsRule.choices, help_text="The rule `coverage` counts by.")
    coverage = serializers.FloatField(
        help_text="Share of the needs met: by its best site (one_site) or by all its sites."
    )
    coverage_across_sites = serializers.FloatField(
        help_text="Share of the needs that some site of the CMO meets."
    )
    sites = SiteCoverageSerializer(
        many=True, help_text="Each site meeting a need, most needs first: which needs it meets."
    )
    covered = serializers.SerializerMethodField()
    missing = serializers.SerializerMethodField()
    shortfalls = serializers.SerializerMethodField(
        help_text="Each missing need: the level asked and the sites that have it lower, if any."
    )

    def get_covered(self, match) -> dict[str, list[dict]]:
        return {
            str(capability_id): [
                {"site": site.pk, "site_name": site.name, "level": level} for site, level in entries
            ]
            for capability_id, entries in match.covered.items()
        }

    def get_missing(self, match) -> list[int]:
        return [capability.pk for capability in match.missing]

    @extend_schema_field(ShortfallSerializer(many=True))
    def get_shortfalls(self, match) -> list[dict]:
        asked = self.context.get("asked", {})
        return [
            {
                "capability": capability.pk,
                "minimum_level": asked.get(capability.pk),
                "below": [
                    {"site": site.pk, "site_name": site.name, "level": level}
                    for site, level in match.below.get(capability.pk, [])
                ],
            }
            for capability in match.missing
        ]


class RegistryClaimSerializer(serializers.Serializer):
    capability = serializers.IntegerField()
    operations = serializers.ListField(
        child=serializers.CharField(), help_text="The registered operations that claim it."
    )


class RegistryMatchSerializer(serializers.Serializer):
    establishment = serializers.IntegerField(source="establishment.pk")
    fei = serializers.CharField(source="establishment.fei")
    firm_name = serializers.CharField(source="establishment.firm_name")
    country = serializers.CharField(source="establishment.country.code")
    signal = serializers.IntegerField(source="establishment.signal", allow_null=True)
    coverage = serializers.FloatField(help_text="Share of the needs its operations claim.")
    claimed = serializers.SerializerMethodField(
        help_text="Each need its registered operations claim (a claim, whatever level asked)."
    )

    @extend_schema_field(RegistryClaimSerializer(many=True))
    def get_claimed(self, match) -> list[dict]:
        return [{"capability": c.pk, "operations": ops} for c, ops in match.claimed]


class RegistryNeedsSerializer(serializers.Serializer):
    full_count = serializers.IntegerField(help_text="Establishments claiming every need.")
    partial_count = serializers.IntegerField(help_text="Establishments claiming some needs.")
    unsearchable = serializers.SerializerMethodField(
        help_text="Needs no registered operation speaks of: the registry cannot say who has them."
    )
    matches = RegistryMatchSerializer(many=True, help_text="Most needs claimed first.")

    def get_unsearchable(self, result) -> list[int]:
        return [capability.pk for capability in result.unsearchable]


class NeedsResultSerializer(serializers.Serializer):
    needs = serializers.SerializerMethodField(help_text="What was searched for.")
    rule = serializers.ChoiceField(NeedsRule.choices)
    full_count = serializers.IntegerField(help_text="CMOs meeting every need, all of them.")
    partial_count = serializers.IntegerField(help_text="CMOs meeting some needs, all of them.")
    full = NeedsMatchSerializer(many=True)
    partial = NeedsMatchSerializer(many=True)
    registry = serializers.SerializerMethodField(
        help_text="With `registry=true`: registered establishments not in the directory whose "
        "operations claim the needs; null otherwise."
    )

    @extend_schema_field(RegistryNeedsSerializer(allow_null=True))
    def get_registry(self, result) -> dict | None:
        found = self.context.get("registry")
        return None if found is None else RegistryNeedsSerializer(found).data

    @extend_schema_field(NeedAskedSerializer(many=True))
    def get_needs(self, result) -> list[dict]:
        return [
            {"capability": c.pk, "capability_name": c.name, "minimum_level": level}
            for c, level in result.needs
        ]


class NeedsQuerySerializer(serializers.Serializer):
    need = serializers.ListField(child=serializers.CharField(), required=False)
    rule = serializers.ChoiceField(NeedsRule.choices, default=NeedsRule.ONE_SITE)
    registry = serializers.BooleanField(default=False)

    def validate_need(self, values: list[str]) -> list[tuple[int, int]]:
        known = set(Capability.objects.values_list("pk", flat=True))
        needs = []
        for raw in values:
            capability, _, level = raw.partition(":")
            if not capability.isdigit() or (level and not level.isdigit()):
                raise serializers.ValidationError(f"'{raw}' is not <id>:<level>.")
            capability_id, minimum = int(capability), int(level or CapabilityLevel.CLAIMED)
            if capability_id not in known:
                raise serializers.ValidationError(f"No capability has the id {capability_id}.")
            if minimum not in CapabilityLevel.values:
                raise serializers.ValidationError(
                    f"'{raw}': the level is 1 (claimed), 2 (demonstrated) or 3 (verified)."
                )
            needs.append((capability_id, minimum))
        return needs


class NeedsViewSet(viewsets.ViewSet):
    """The needs search: `?need=<capability id>:<minimum level>`, repeated for each need, and
    `rule`: `one_site` (the default: one site meets every need) or `across_sites`."""

    queryset = Capability.objects.none()
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "need", str, many=True, description="capability id and minimum level, e.g. 12:2"
            ),
            OpenApiParameter(
                "rule",
                str,
                enum=NeedsRule.values,
                description="one_site (default): a full match has one site meeting every need; "
                "across_sites: its sites together do.",
            ),
            OpenApiParameter(
                "registry",
                bool,
                description="Also search the FDA registry: registered establishments not in the "
                "directory whose operations claim the needs.",
            ),
        ],
        responses=NeedsResultSerializer,
    )
    def list(self, request) -> Response:
        query = NeedsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        needs = query.validated_data.get("need", [])
        result = needs_search(needs, rule=query.validated_data["rule"])
        context = {"asked": {capability.pk: level for capability, level in result.needs}}
        if query.validated_data["registry"]:
            context["registry"] = registry_needs_search(needs, limit=100)
        return Response(NeedsResultSerializer(result, context=context).data)
