import django_filters
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from vendors.models import Cmo, Contact, QualificationStatus, Site, SiteType, normalize_fei


@extend_schema_field(OpenApiTypes.STR)
class SiteTypeFilter(django_filters.ModelMultipleChoiceFilter):
    """Site types by code (api, sterile, ...); repeat the parameter to match any of several."""


class CmoFilter(django_filters.FilterSet):
    """The CMO list's search, filters and sort, shared by the browser page and the API."""

    q = django_filters.CharFilter(method="filter_q", label="Search name, alias or FEI")
    status = django_filters.MultipleChoiceFilter(
        field_name="qualification_status", choices=QualificationStatus.choices, label="Status"
    )
    country = django_filters.MultipleChoiceFilter(
        field_name="headquarters_country", choices=list(countries), label="Country"
    )
    site_type = SiteTypeFilter(
        field_name="sites__site_types__code",
        to_field_name="code",
        queryset=SiteType.objects.all(),
        label="Site type",
        distinct=True,
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("legal_name", "name"),
            ("headquarters_country", "country"),
            ("qualification_status", "status"),
            ("site_count", "sites"),
            ("updated_at", "updated"),
            ("qualification_score__total", "score"),
        ),
        label="Sort",
    )

    class Meta:
        model = Cmo
        fields = ["q", "status", "country", "site_type"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class SiteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    cmo = django_filters.NumberFilter(field_name="cmo_id")
    fei_number = django_filters.CharFilter(method="filter_fei")
    country = django_filters.MultipleChoiceFilter(choices=list(countries))
    status = django_filters.MultipleChoiceFilter(
        field_name="qualification_status", choices=QualificationStatus.choices
    )
    site_type = SiteTypeFilter(
        field_name="site_types__code",
        to_field_name="code",
        queryset=SiteType.objects.all(),
        distinct=True,
    )

    class Meta:
        model = Site
        fields = ["q", "cmo", "fei_number", "country", "status", "site_type"]

    def filter_fei(self, queryset, name, value):
        return queryset.filter(fei_number=normalize_fei(value))


class ContactFilter(django_filters.FilterSet):
    cmo = django_filters.NumberFilter(field_name="cmo_id")
    site = django_filters.NumberFilter(field_name="site_id")

    class Meta:
        model = Contact
        fields = ["cmo", "site"]
