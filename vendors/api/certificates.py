"""The certificate register of each site: record, correct, replace, remove, download."""

from django.db.models import Model
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils import html

from cmoselect.api import ApiViewSet
from cmoselect.downloads import file_download
from cmoselect.roles import Perm
from vendors.api.records import ChangeReasonField, removal_reason, removal_reason_parameter
from vendors.certificates import certificate_remove, certificate_replace, certificate_save
from vendors.filters import CertificateFilter
from vendors.models import Certificate, CertificateState, Site

# What a download answers with, by the file's stored type.
DOWNLOAD_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/msword",
)


class ExpiryDateField(serializers.DateField):
    """`valid_until`: a date, or null (JSON) for one that does not expire.

    An empty form value is refused rather than read as null, so a multipart request means what
    the schema says; leave the field out of a multipart request for no expiry date.
    """

    def get_value(self, dictionary) -> object:
        value = super().get_value(dictionary)
        if (
            value is None
            and html.is_html_input(dictionary)
            and dictionary.get(self.field_name) == ""
        ):
            return ""
        return value


def expiry_field() -> ExpiryDateField:
    return ExpiryDateField(
        required=False,
        allow_null=True,
        help_text="Empty (null) for a certificate that does not expire; for a review, when the "
        "next is due.",
    )


class CertificateSerializer(serializers.ModelSerializer):
    """A certificate; written through the services (QA and Admin), with who and why."""

    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    file = serializers.FileField(
        write_only=True,
        required=False,
        help_text="PDF, JPEG, PNG or Word file; required when recording a certificate.",
    )
    valid_until = expiry_field()
    file_name = serializers.CharField(source="original_name", read_only=True)
    download_url = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    change_reason = ChangeReasonField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "site",
            "kind",
            "reference",
            "issuer",
            "issued_on",
            "valid_until",
            "notes",
            "file",
            "file_name",
            "content_type",
            "size",
            "download_url",
            "status",
            "days_left",
            "superseded_by",
            "created_by",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = [
            "content_type",
            "size",
            "superseded_by",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_download_url(self, certificate) -> str | None:
        if not certificate.file:
            return None
        return self.context["request"].build_absolute_uri(
            f"/api/v1/certificates/{certificate.pk}/download/"
        )

    @extend_schema_field(serializers.ChoiceField(choices=[s.value for s in CertificateState]))
    def get_status(self, certificate) -> str:
        return certificate.status().state.value

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_left(self, certificate) -> int | None:
        return certificate.status().days_left

    def validate(self, attrs) -> dict:
        if self.instance is not None and "site" in attrs and attrs["site"] != self.instance.site:
            raise serializers.ValidationError(
                {"site": "A certificate cannot move to another site."}
            )
        issued, until = (
            attrs.get("issued_on", getattr(self.instance, "issued_on", None)),
            attrs.get("valid_until", getattr(self.instance, "valid_until", None)),
        )
        if issued and until and until < issued:
            raise serializers.ValidationError(
                {"valid_until": "The certificate cannot expire before it was issued."}
            )
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        upload = validated_data.pop("file", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return certificate_save(
            certificate=instance, user=self.context["request"].user, reason=reason, upload=upload
        )

    def create(self, validated_data) -> Model:
        return self._save(Certificate(), validated_data)

    def update(self, instance, validated_data) -> Model:
        return self._save(instance, validated_data)


class CertificateReplaceSerializer(serializers.ModelSerializer):
    """The new version of a certificate (renewed): its number, issuer, dates and file."""

    file = serializers.FileField(write_only=True)
    valid_until = expiry_field()
    change_reason = serializers.CharField(
        write_only=True, max_length=250, help_text="Why it is replaced; kept in both histories."
    )

    class Meta:
        model = Certificate
        fields = [
            "reference",
            "issuer",
            "issued_on",
            "valid_until",
            "notes",
            "file",
            "change_reason",
        ]

    def validate(self, attrs) -> dict:
        if attrs.get("valid_until") and attrs["valid_until"] < attrs["issued_on"]:
            raise serializers.ValidationError(
                {"valid_until": "The certificate cannot expire before it was issued."}
            )
        return attrs


class CertificateViewSet(mixins.DestroyModelMixin, ApiViewSet):
    """Sites' certificates (GMP, licences, ISO, DMF letters, quality agreement reviews).

    Filter by `site`, `cmo`, `kind`, `current` (not superseded) and `status`. A renewal is a
    replacement (`POST certificates/{id}/replace/`): the old version stays, superseded.
    Updating or removing one needs a `change_reason`; both are kept in its history.
    """

    queryset = Certificate.objects.select_related("site__cmo").order_by("site", "kind", "-pk")
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    write_perm = Perm.EDIT_REGULATORY
    action_perms = {"download": Perm.VIEW, "replace": Perm.EDIT_REGULATORY}

    @extend_schema(request=CertificateReplaceSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None) -> Response:
        data = CertificateReplaceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        reason = fields.pop("change_reason")
        upload = fields.pop("file")
        old = self.get_object()
        new = certificate_replace(
            old=old,
            new=Certificate(kind=old.kind, **fields),
            user=request.user,
            reason=reason,
            upload=upload,
        )
        new = self.get_queryset().get(pk=new.pk)
        return Response(self.get_serializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, kind): OpenApiTypes.BINARY for kind in DOWNLOAD_TYPES})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None) -> HttpResponse:
        certificate = self.get_object()
        if not certificate.file:
            raise Http404("This certificate has no file.")
        return file_download(
            certificate.file,
            filename=certificate.original_name or "certificate",
            content_type=certificate.content_type or None,
        )

    @extend_schema(parameters=[removal_reason_parameter("certificate")])
    def destroy(self, request, *args, **kwargs) -> Response:
        certificate = self.get_object()
        certificate_remove(
            certificate=certificate, user=request.user, reason=removal_reason(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
