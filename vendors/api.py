from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from vendors.filters import CmoFilter, ContactFilter, SiteFilter
from vendors.models import Cmo, Contact, QualificationStatus, Site, SiteType, normalize_fei
from vendors.services import cmo_change_status, record_save, site_change_status


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
    """Saves through record_save, so API writes carry who and why like browser writes."""

    change_reason = ChangeReasonField()

    def validate(self, attrs):
        if self.instance is not None and not attrs.get("change_reason", "").strip():
            raise serializers.ValidationError(
                {"change_reason": "Say why this record is being changed."}
            )
        return attrs

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

        with transaction.atomic():
            record_save(
                instance=instance,
                user=self.context["request"].user,
                reason=reason,
                save_m2m=save_m2m,
            )
        return instance

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


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
