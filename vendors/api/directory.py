"""CMOs, sites and contacts."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from vendors.api.merges import MergeRequestSerializer, MergeResultSerializer, merge_into
from vendors.api.records import RecordSerializer
from vendors.filters import CmoFilter, ContactFilter, SiteFilter
from vendors.merges import cmo_merge, site_merge
from vendors.models import Cmo, Contact, QualificationStatus, Site, SiteType, normalize_fei
from vendors.services import cmo_change_status, site_change_status


class CurrentListMixin:
    """The list leaves out records merged into another; reading one by id still finds it."""

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return queryset.current() if self.action == "list" else queryset


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
            "merged_into",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["qualification_status", "merged_into", "created_at", "updated_at"]


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
            "merged_into",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["qualification_status", "merged_into", "created_at", "updated_at"]

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

    def validate(self, attrs) -> dict:
        attrs = super().validate(attrs)
        cmo = attrs.get("cmo", getattr(self.instance, "cmo", None))
        site = attrs.get("site", getattr(self.instance, "site", None))
        if site is not None and cmo is not None and site.cmo_id != cmo.pk:
            raise serializers.ValidationError({"site": "The site belongs to another CMO."})
        return attrs


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=QualificationStatus.choices)
    reason = serializers.CharField(max_length=2000)


class CmoViewSet(CurrentListMixin, ApiViewSet):
    """CMOs in the directory. Changing the qualification status goes through `status`."""

    queryset = Cmo.objects.with_site_counts().order_by("legal_name")
    serializer_class = CmoSerializer
    filterset_class = CmoFilter
    write_perm = Perm.EDIT_DIRECTORY
    action_perms = {"status": Perm.CHANGE_STATUS}

    @extend_schema(request=StatusChangeSerializer, responses=CmoSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None) -> Response:
        cmo = self.get_object()
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cmo_change_status(cmo=cmo, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=cmo.pk)).data)

    @extend_schema(request=MergeRequestSerializer, responses=MergeResultSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None) -> Response:
        """Merge another CMO into this one: its sites, contacts, contracts, candidates and
        every other record referencing it move here; it is kept, marked merged into this."""
        return merge_into(self, request, merge=cmo_merge)


class SiteViewSet(CurrentListMixin, ApiViewSet):
    queryset = Site.objects.select_related("cmo").prefetch_related("site_types").order_by("pk")
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    write_perm = Perm.EDIT_DIRECTORY
    action_perms = {"status": Perm.CHANGE_STATUS}

    @extend_schema(request=StatusChangeSerializer, responses=SiteSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None) -> Response:
        site = self.get_object()
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site_change_status(site=site, user=request.user, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=site.pk)).data)

    @extend_schema(request=MergeRequestSerializer, responses=MergeResultSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None) -> Response:
        """Merge another site of the same CMO into this one: its capabilities, events, audits,
        contracts and contacts move here; it is kept, marked merged into this."""
        return merge_into(self, request, merge=site_merge)


class ContactViewSet(ApiViewSet):
    queryset = Contact.objects.order_by("pk")
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    write_perm = Perm.EDIT_DIRECTORY
