from collections.abc import Mapping

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.history import save_with_history
from cmoselect.roles import Perm
from vendors.capabilities import needs_search
from vendors.filters import (
    CitationFilter,
    CmoFilter,
    ContactFilter,
    ImportRunFilter,
    RegulatoryEventFilter,
    SiteCapabilityFilter,
    SiteFilter,
)
from vendors.models import (
    Capability,
    CapabilityLevel,
    Citation,
    Cmo,
    Contact,
    ImportRun,
    QualificationStatus,
    RegulatoryEvent,
    Site,
    SiteCapability,
    SiteType,
    normalize_fei,
)
from vendors.services import (
    citation_remove,
    citation_save,
    cmo_change_status,
    import_run_commit,
    import_run_create,
    import_run_retry,
    regulatory_event_save,
    site_capability_set,
    site_change_status,
)


class ChangeReasonField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            write_only=True,
            required=False,
            allow_blank=True,
            max_length=250,
            help_text="Why the record is changed. Required on update; kept in its history.",
            **kwargs,
        )


class RecordSerializer(serializers.ModelSerializer):
    """Saves through save_with_history, so API writes carry who and why like browser writes.

    An update without a `change_reason` is refused there, and answered as a 400 on that field.
    """

    change_reason = ChangeReasonField()

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        m2m = {
            name: validated_data.pop(name)
            for name in list(validated_data)
            if instance._meta.get_field(name).many_to_many
        }
        for name, value in validated_data.items():
            setattr(instance, name, value)

        def save_m2m():
            for name, value in m2m.items():
                getattr(instance, name).set(value)

        return save_with_history(
            instance,
            user=self.context["request"].user,
            reason=reason,
            clean=True,
            save_m2m=save_m2m,
        )

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class RemovalSerializer(serializers.Serializer):
    change_reason = ChangeReasonField()


def removal_reason(request) -> str:
    """The reason for a DELETE, from `?change_reason=` or a JSON body; checked for length."""
    body = request.data if isinstance(request.data, Mapping) else {}
    data = RemovalSerializer(
        data={
            "change_reason": body.get(
                "change_reason", request.query_params.get("change_reason", "")
            )
        }
    )
    data.is_valid(raise_exception=True)
    return data.validated_data.get("change_reason", "")


def removal_reason_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(
        "change_reason",
        str,
        required=True,
        description=f"Why the {name} is removed; kept in its history.",
    )


class CmoSerializer(RecordSerializer):
    site_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cmo
        fields = [
            "id",
            "legal_name",
            "aliases",
            "headquarters_country",
            "website",
            "ownership_type",
            "parent_company",
            "description",
            "employee_range",
            "duns_number",
            "qualification_status",
            "site_count",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["qualification_status", "created_at", "updated_at"]


class SiteSerializer(RecordSerializer):
    site_types = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=SiteType.objects.all(), required=False
    )

    class Meta:
        model = Site
        fields = [
            "id",
            "cmo",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "fei_number",
            "duns_number",
            "site_types",
            "headcount",
            "qualification_status",
            "notes",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["qualification_status", "created_at", "updated_at"]

    def validate_fei_number(self, value: str) -> str:
        value = normalize_fei(value)
        if Site.objects.fei_in_use(value, exclude_pk=getattr(self.instance, "pk", None)):
            raise serializers.ValidationError("Another site already has this FEI number.")
        return value


class ContactSerializer(RecordSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "cmo",
            "site",
            "name",
            "role",
            "email",
            "phone",
            "is_primary",
            "change_reason",
        ]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        cmo = attrs.get("cmo", getattr(self.instance, "cmo", None))
        site = attrs.get("site", getattr(self.instance, "site", None))
        if site is not None and cmo is not None and site.cmo_id != cmo.pk:
            raise serializers.ValidationError({"site": "The site belongs to another CMO."})
        return attrs


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=QualificationStatus.choices)
    reason = serializers.CharField(max_length=2000)


class CmoViewSet(ApiViewSet):
    """CMOs in the directory. Changing the qualification status goes through `status`."""

    queryset = Cmo.objects.with_site_counts().order_by("legal_name")
    serializer_class = CmoSerializer
    filterset_class = CmoFilter
    write_perm = Perm.EDIT_DIRECTORY
    action_perms = {"status": Perm.CHANGE_STATUS}

    @extend_schema(request=StatusChangeSerializer, responses=CmoSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        cmo = self.get_object()
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cmo_change_status(cmo=cmo, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=cmo.pk)).data)


class SiteViewSet(ApiViewSet):
    queryset = Site.objects.select_related("cmo").prefetch_related("site_types").order_by("pk")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    write_perm = Perm.EDIT_DIRECTORY
    action_perms = {"status": Perm.CHANGE_STATUS}

    @extend_schema(request=StatusChangeSerializer, responses=SiteSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        site = self.get_object()
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site_change_status(site=site, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=site.pk)).data)


class ContactViewSet(ApiViewSet):
    queryset = Contact.objects.order_by("pk")
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    write_perm = Perm.EDIT_DIRECTORY


# ---------------------------------------------------------------- capabilities


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
    change_reason = ChangeReasonField()

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

    def validate(self, attrs):
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
        level = data.pop("level", getattr(instance, "level", None))
        reason = data.pop("change_reason", "")
        return site_capability_set(
            site=site,
            capability=capability,
            level=level,
            user=self.context["request"].user,
            reason=reason,
            **data,
        )

    def create(self, validated_data):
        return self._save(validated_data)

    def update(self, instance, validated_data):
        return self._save(validated_data, instance)


class SiteCapabilityViewSet(mixins.DestroyModelMixin, ApiViewSet):
    """Cells of the capability matrix: filter by site, CMO, capability and (minimum) level.

    Updating a cell needs a `change_reason`; so does removing one, given as a query parameter
    (or in a JSON body). Both are kept in the cell's history.
    """

    queryset = SiteCapability.objects.select_related("capability").order_by("pk")
    serializer_class = SiteCapabilitySerializer
    filterset_class = SiteCapabilityFilter
    write_perm = Perm.EDIT_CAPABILITIES

    @extend_schema(parameters=[removal_reason_parameter("capability")])
    def destroy(self, request, *args, **kwargs):
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


class NeedsMatchSerializer(serializers.Serializer):
    cmo = serializers.IntegerField(source="cmo.pk")
    cmo_name = serializers.CharField(source="cmo.legal_name")
    coverage = serializers.FloatField()
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


class NeedsResultSerializer(serializers.Serializer):
    needs = serializers.SerializerMethodField(help_text="What was searched for.")
    full = NeedsMatchSerializer(many=True)
    partial = NeedsMatchSerializer(many=True)

    @extend_schema_field(NeedAskedSerializer(many=True))
    def get_needs(self, result) -> list[dict]:
        return [
            {"capability": c.pk, "capability_name": c.name, "minimum_level": level}
            for c, level in result.needs
        ]


class NeedsQuerySerializer(serializers.Serializer):
    need = serializers.ListField(child=serializers.CharField(), required=False)

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
    """The needs search: `?need=<capability id>:<minimum level>`, repeated for each need."""

    queryset = Capability.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "need", str, many=True, description="capability id and minimum level, e.g. 12:2"
            )
        ],
        responses=NeedsResultSerializer,
    )
    def list(self, request):
        query = NeedsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        needs = query.validated_data.get("need", [])
        result = needs_search(needs)
        asked = {capability.pk: level for capability, level in result.needs}
        return Response(NeedsResultSerializer(result, context={"asked": asked}).data)


# ---------------------------------------------------------------- regulatory history


class CitationSerializer(serializers.ModelSerializer):
    """A Form 483 citation; saved and removed through the services, with who and why."""

    inspection = serializers.PrimaryKeyRelatedField(
        queryset=RegulatoryEvent.objects.all(), help_text="The inspection (event) cited."
    )
    change_reason = ChangeReasonField()

    class Meta:
        model = Citation
        fields = [
            "id",
            "inspection",
            "act_cfr_number",
            "short_description",
            "long_description",
            "program_area",
            "source",
            "import_run",
            "source_row",
            "change_reason",
        ]
        read_only_fields = ["source", "import_run", "source_row"]

    def validate(self, attrs):
        moved = "inspection" in attrs and attrs["inspection"] != getattr(
            self.instance, "inspection", None
        )
        if self.instance is not None and moved:
            raise serializers.ValidationError(
                {"inspection": "A citation cannot move to another inspection."}
            )
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return citation_save(citation=instance, user=self.context["request"].user, reason=reason)

    def create(self, validated_data):
        return self._save(Citation(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class RegulatoryEventSerializer(RecordSerializer):
    citations = CitationSerializer(many=True, read_only=True)
    source_row = serializers.IntegerField(read_only=True)

    class Meta:
        model = RegulatoryEvent
        fields = [
            "id",
            "site",
            "kind",
            "agency",
            "event_date",
            "reference",
            "classification",
            "project_area",
            "product_type",
            "product_id",
            "citations_posted",
            "description",
            "reason",
            "status",
            "url",
            "closed_on",
            "notes",
            "source",
            "import_run",
            "source_row",
            "citations",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["source", "import_run", "created_at", "updated_at"]

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return regulatory_event_save(
            event=instance, user=self.context["request"].user, reason=reason
        )


class RegulatoryEventViewSet(ApiViewSet):
    """A site's regulatory history: filter by site, CMO, kind, agency, date and classification."""

    queryset = (
        RegulatoryEvent.objects.select_related("site")
        .prefetch_related("citations")
        .order_by("-event_date", "-pk")
    )
    serializer_class = RegulatoryEventSerializer
    filterset_class = RegulatoryEventFilter
    write_perm = Perm.EDIT_REGULATORY


class CitationViewSet(mixins.DestroyModelMixin, ApiViewSet):
    """Form 483 citations of inspections: filter by inspection, site or CMO.

    Updating one needs a `change_reason`; so does removing one, given as a query parameter
    (or in a JSON body). Both are kept in the citation's history.
    """

    queryset = Citation.objects.order_by("inspection", "act_cfr_number", "pk")
    serializer_class = CitationSerializer
    filterset_class = CitationFilter
    write_perm = Perm.EDIT_REGULATORY

    @extend_schema(parameters=[removal_reason_parameter("citation")])
    def destroy(self, request, *args, **kwargs):
        citation = self.get_object()
        citation_remove(citation=citation, user=request.user, reason=removal_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- imports


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

    def create(self, validated_data):
        upload = validated_data["file"]
        return import_run_create(
            file=upload,
            name=upload.name,
            user=self.context["request"].user,
            via=ImportRun.Via.API,
            create_missing=validated_data.get("create_missing", False),
        )


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

    @extend_schema(request=None, responses=ImportRunSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        run = import_run_commit(run=self.get_object(), user=request.user)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data)

    @extend_schema(request=None, responses=ImportRunSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Take up an import that stopped part-way: a commit resumes where it stopped."""
        run = import_run_retry(run=self.get_object(), user=request.user)
        run.refresh_from_db()
        return Response(self.get_serializer(run).data)
