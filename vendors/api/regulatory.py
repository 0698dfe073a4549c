"""A site's regulatory history: events and Form 483 citations."""

from django.db.models import Model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from vendors.api.records import (
    ChangeReasonField,
    RecordSerializer,
    removal_reason,
    removal_reason_parameter,
)
from vendors.filters import CitationFilter, RegulatoryEventFilter
from vendors.models import Citation, RegulatoryEvent, Site
from vendors.services import citation_remove, citation_save, regulatory_event_save


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

    def validate(self, attrs) -> dict:
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

    def create(self, validated_data) -> Model:
        return self._save(Citation(), validated_data)

    def update(self, instance, validated_data) -> Model:
        return self._save(instance, validated_data)


class RegulatoryEventSerializer(RecordSerializer):
    # An event entered here is a site's; an imported one may belong to its establishment only.
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    citations = CitationSerializer(many=True, read_only=True)
    source_row = serializers.IntegerField(read_only=True, allow_null=True)

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
    def destroy(self, request, *args, **kwargs) -> Response:
        citation = self.get_object()
        citation_remove(citation=citation, user=request.user, reason=removal_reason(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
