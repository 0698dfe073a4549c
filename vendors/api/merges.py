"""Likely duplicates and merges in the API: the same finder and services as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from cmoselect.roles import Perm
from cmoselect.schema import OneObjectSchema
from vendors.duplicates import cmo_duplicates, site_duplicates
from vendors.models import Cmo


class DuplicatePairSerializer(serializers.Serializer):
    first = serializers.IntegerField(source="first.pk", help_text="The id of one record.")
    first_name = serializers.CharField(source="first.__str__")
    second = serializers.IntegerField(source="second.pk", help_text="The id of the other.")
    second_name = serializers.CharField(source="second.__str__")
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Which rules matched (DUNS, FEI, names)."
    )
    mergeable = serializers.BooleanField(
        source="same_cmo", help_text="False for sites of two CMOs: merge the CMOs first."
    )


class DuplicatesSerializer(serializers.Serializer):
    cmos = DuplicatePairSerializer(many=True)
    sites = DuplicatePairSerializer(many=True)


class MergeRequestSerializer(serializers.Serializer):
    merged = serializers.IntegerField(
        min_value=1,
        max_value=2_147_483_647,
        help_text="The id of the record merged into this one (it is kept, marked).",
    )
    reason = serializers.CharField(max_length=500, help_text="Why they are the same; kept.")


class MergeResultSerializer(serializers.Serializer):
    kept = serializers.IntegerField(source="kept.pk")
    merged = serializers.IntegerField(source="merged.pk")
    moved = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many rows of each kind moved."
    )
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="Rows that clashed, and how each was settled."
    )
    filled = serializers.ListField(
        child=serializers.CharField(), help_text="Empty fields of the kept record filled in."
    )


def merge_into(view, request: Request, *, merge) -> Response:
    """Merge the record named in the body into the one in the URL, through `merge`."""
    kept = view.get_object()
    given = MergeRequestSerializer(data=request.data)
    given.is_valid(raise_exception=True)
    merged = type(kept)._default_manager.filter(pk=given.validated_data["merged"]).first()
    if merged is None:
        noun = type(kept)._meta.verbose_name
        raise serializers.ValidationError({"merged": [f"No {noun} has this id."]})
    result = merge(
        kept=kept, merged=merged, user=request.user, reason=given.validated_data["reason"]
    )
    return Response(MergeResultSerializer(result).data)


class DuplicatesViewSet(viewsets.ViewSet):
    """Likely duplicate CMOs and sites: the same DUNS, FEI, or names that normalise the same."""

    queryset = Cmo.objects.none()
    read_perm = Perm.VIEW
    schema = OneObjectSchema()

    @extend_schema(responses=DuplicatesSerializer)
    def list(self, request: Request) -> Response:
        data = {"cmos": cmo_duplicates(), "sites": site_duplicates()}
        return Response(DuplicatesSerializer(data).data)
