"""The FDA registry in the API: search establishments, read their history, add them to the
directory. Read-only but for the add action, which goes through the registry's service."""

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.roles import Perm
from vendors.compliance import compliance_for_establishments
from vendors.filters import EstablishmentFilter
from vendors.models import Cmo, Establishment, RegulatoryEvent, Site
from vendors.registry import establishments_add_to_directory


class EstablishmentSerializer(serializers.ModelSerializer):
    operations = serializers.ListField(
        source="operation_list", child=serializers.CharField(), read_only=True
    )
    country = serializers.CharField(source="country.code", read_only=True)
    in_directory = serializers.BooleanField(read_only=True)
    site = serializers.IntegerField(
        source="site_id", read_only=True, allow_null=True, help_text="The directory site, if any."
    )

    class Meta:
        model = Establishment
        fields = [
            "id",
            "fei",
            "duns",
            "firm_name",
            "registrant_name",
            "registrant_duns",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "operations",
            "registration_expires",
            "registered",
            "signal",
            "recent_oai_or_warning",
            "in_directory",
            "site",
            "updated_at",
        ]
        read_only_fields = fields


class RegistryEventSerializer(serializers.ModelSerializer):
    # Imported rows often carry no classification or link: an empty string, not a choice or URI.
    classification = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True)

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
            "description",
            "status",
            "url",
            "closed_on",
        ]
        read_only_fields = fields


class EstablishmentHistorySerializer(serializers.Serializer):
    signal = serializers.IntegerField(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())
    events = RegistryEventSerializer(many=True)


class AddToDirectorySerializer(serializers.Serializer):
    establishments = serializers.PrimaryKeyRelatedField(
        queryset=Establishment.objects.all(), many=True, allow_empty=False
    )
    cmo = serializers.PrimaryKeyRelatedField(
        queryset=Cmo.objects.all(),
        required=False,
        allow_null=True,
        help_text="Add them under this CMO; empty: each registrant's CMO, made when missing.",
    )
    reason = serializers.CharField(help_text="Why they are added; kept in their history.")


class AddedSiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = ["id", "name", "cmo", "fei_number"]
        read_only_fields = fields


class EstablishmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The FDA registry: every establishment by FEI. Filter by name, FEI or DUNS (`q`), country,
    registered operation, signal range, recent OAI / warning letter, current registration."""

    queryset = (
        Establishment.objects.with_directory()
        .annotate(
            site_id=Subquery(Site.objects.filter(fei_number=OuterRef("fei")).values("pk")[:1])
        )
        .order_by("firm_name", "fei")
    )
    serializer_class = EstablishmentSerializer
    filterset_class = EstablishmentFilter
    read_perm = Perm.VIEW
    write_perm = Perm.EDIT_DIRECTORY
    action_perms = {"add_to_directory": Perm.EDIT_DIRECTORY}

    @extend_schema(responses=EstablishmentHistorySerializer)
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None) -> Response:
        """The establishment's regulatory events, newest first, and its compliance signal."""
        establishment = self.get_object()
        summary = compliance_for_establishments([establishment.pk])[establishment.pk]
        events = establishment.regulatory_events.order_by("-event_date", "-pk")
        data = {"signal": summary.signal, "flags": list(summary.flags), "events": events}
        return Response(EstablishmentHistorySerializer(data).data)

    @extend_schema(
        request=AddToDirectorySerializer, responses={201: AddedSiteSerializer(many=True)}
    )
    @action(detail=False, methods=["post"], url_path="add-to-directory", filterset_class=None)
    def add_to_directory(self, request) -> Response:
        """Add establishments to the directory: a site each (with its claimed capabilities and
        its history), under the given CMO or its registrant's; one already there is kept."""
        given = AddToDirectorySerializer(data=request.data)
        given.is_valid(raise_exception=True)
        sites = establishments_add_to_directory(
            establishments=given.validated_data["establishments"],
            user=request.user,
            reason=given.validated_data["reason"],
            cmo=given.validated_data.get("cmo"),
        )
        return Response(AddedSiteSerializer(sites, many=True).data, status=status.HTTP_201_CREATED)
