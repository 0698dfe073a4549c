import django_filters
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cmoselect.countries import CountryChoices
from cmoselect.filters import BooleanFilter, IdFilter, IntegerFilter
from cmoselect.widgets import QuickSelect
from vendors.fda.formats import OPERATIONS
from vendors.models import (
    Agency,
    Capability,
    CapabilityLevel,
    Certificate,
    CertificateState,
    Citation,
    Classification,
    Cmo,
    Contact,
    Establishment,
    EventKind,
    ImportRun,
    QualificationStatus,
    RegulatoryEvent,
    Site,
    SiteCapability,
    SiteType,
    normalize_fei,
)
from vendors.models.certificates import EXPIRING_WITHIN_DAYS


@extend_schema_field(OpenApiTypes.STR)
class SiteTypeFilter(django_filters.ModelMultipleChoiceFilter):
    """Site types by code (api, sterile, ...); repeat the parameter to match any of several."""


def _by_score(*, descending: bool) -> list:
    # A CMO excluded by a knock-out goes after every other, whichever the direction: its total
    # (often high) is no recommendation. CMOs without a score come after those with one.
    excluded = Case(When(qualification_score__knocked_out=True, then=Value(1)), default=Value(0))
    total = F("qualification_score__total")
    by_total = total.desc(nulls_last=True) if descending else total.asc(nulls_last=True)
    return [excluded, by_total, "legal_name"]


class CmoOrderingFilter(django_filters.OrderingFilter):
    """The CMO list's sort; `score` keeps excluded CMOs last."""

    def filter(self, qs, value) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if param in EMPTY_VALUES:
                continue
            if param.lstrip("-") == "score":
                ordering += _by_score(descending=param.startswith("-"))
            else:
                ordering.append(self.get_ordering_value(param))
        return qs.order_by(*ordering)


class CmoFilter(django_filters.FilterSet):
    """The CMO list's search, filters and sort, shared by the browser page and the API."""

    q = django_filters.CharFilter(method="filter_q", label="Search name, alias or FEI")
    # No joins behind these filters, so no DISTINCT (which costs a sort of every row).
    status = django_filters.MultipleChoiceFilter(
        field_name="qualification_status",
        choices=QualificationStatus.choices,
        label="Status",
        distinct=False,
    )
    country = django_filters.MultipleChoiceFilter(
        field_name="headquarters_country",
        choices=CountryChoices(),
        label="Country",
        distinct=False,
    )
    site_type = SiteTypeFilter(
        to_field_name="code",
        queryset=SiteType.objects.all(),
        label="Site type",
        method="filter_site_type",
        distinct=False,
    )
    ordering = CmoOrderingFilter(
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

    def filter_q(self, queryset, name, value) -> QuerySet:
        return queryset.search(value)

    def filter_site_type(self, queryset, name, value) -> QuerySet:
        return queryset.with_site_type([t.code for t in value]) if value else queryset


class SiteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    cmo = IdFilter(field_name="cmo_id")
    fei_number = django_filters.CharFilter(method="filter_fei")
    country = django_filters.MultipleChoiceFilter(choices=CountryChoices())
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

    def filter_fei(self, queryset, name, value) -> QuerySet:
        return queryset.filter(fei_number=normalize_fei(value))


class ContactFilter(django_filters.FilterSet):
    cmo = IdFilter(field_name="cmo_id")
    site = IdFilter(field_name="site_id")

    class Meta:
        model = Contact
        fields = ["cmo", "site"]


class SiteCapabilityFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    cmo = IdFilter(field_name="site__cmo_id")
    capability = IdFilter(field_name="capability_id")
    capability_code = django_filters.CharFilter(field_name="capability__code")
    category = django_filters.ChoiceFilter(
        field_name="capability__category", choices=Capability.Category.choices
    )
    # Levels run from 1 (claimed) to 3 (verified); another number is a 400, not an empty list.
    min_level = IntegerFilter(
        field_name="level",
        lookup_expr="gte",
        label="At least this level (1–3)",
        min_value=CapabilityLevel.CLAIMED,
        max_value=CapabilityLevel.VERIFIED,
    )
    level = IntegerFilter(
        field_name="level", min_value=CapabilityLevel.CLAIMED, max_value=CapabilityLevel.VERIFIED
    )

    class Meta:
        model = SiteCapability
        fields = ["site", "cmo", "capability", "capability_code", "category", "min_level", "level"]


class RegulatoryEventFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    cmo = IdFilter(field_name="site__cmo_id")
    fei_number = django_filters.CharFilter(method="filter_fei")
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices)
    agency = django_filters.MultipleChoiceFilter(choices=Agency.choices)
    classification = django_filters.MultipleChoiceFilter(choices=Classification.choices)
    date_from = django_filters.DateFilter(field_name="event_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="event_date", lookup_expr="lte")
    import_run = IdFilter(
        field_name="import_run_id", help_text="The import that created or last updated the event."
    )

    class Meta:
        model = RegulatoryEvent
        fields = [
            "site",
            "cmo",
            "kind",
            "agency",
            "classification",
            "date_from",
            "date_to",
            "import_run",
        ]

    def filter_fei(self, queryset, name, value) -> QuerySet:
        return queryset.filter(site__fei_number=normalize_fei(value))


class CitationFilter(django_filters.FilterSet):
    inspection = IdFilter(field_name="inspection_id")
    site = IdFilter(field_name="inspection__site_id")
    cmo = IdFilter(field_name="inspection__site__cmo_id")

    class Meta:
        model = Citation
        fields = ["inspection", "site", "cmo"]


class ImportRunFilter(django_filters.FilterSet):
    format = django_filters.ChoiceFilter(choices=ImportRun.Format.choices)
    status = django_filters.ChoiceFilter(choices=ImportRun.Status.choices)

    class Meta:
        model = ImportRun
        fields = ["format", "status"]


class EstablishmentFilter(django_filters.FilterSet):
    """The registry search, shared by the browser page and the API."""

    q = django_filters.CharFilter(method="filter_q", label="Name, FEI or DUNS")
    country = django_filters.ChoiceFilter(choices=CountryChoices(), label="Country")
    operation = django_filters.ChoiceFilter(
        choices=[(op, op.capitalize()) for op in OPERATIONS],
        method="filter_operation",
        label="Registered operation",
        empty_label="Any",
        widget=QuickSelect,
    )
    signal_min = IntegerFilter(
        field_name="signal", lookup_expr="gte", label="Signal from", min_value=0, max_value=100
    )
    signal_max = IntegerFilter(
        field_name="signal", lookup_expr="lte", label="Signal to", min_value=0, max_value=100
    )
    recent_oai_or_warning = BooleanFilter(label="OAI inspection / warning letter within 5 years")
    current = BooleanFilter(method="filter_current", label="Registration current")

    class Meta:
        model = Establishment
        fields = ["q", "country", "operation", "signal_min", "signal_max"]

    def filter_q(self, queryset, name, value) -> QuerySet:
        return queryset.search(value)

    def filter_operation(self, queryset, name, value) -> QuerySet:
        return queryset.with_operation(value) if value else queryset

    def filter_current(self, queryset, name, value) -> QuerySet:
        if value is None:
            return queryset
        current = Q(registered=True) & (
            Q(registration_expires=None) | Q(registration_expires__gte=timezone.localdate())
        )
        return queryset.filter(current) if value else queryset.exclude(current)


class CertificateFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    cmo = IdFilter(field_name="site__cmo_id")
    kind = django_filters.ChoiceFilter(choices=Certificate.Kind.choices)
    current = BooleanFilter(
        field_name="superseded_by", lookup_expr="isnull", label="Only versions in force"
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.value) for s in CertificateState],
        method="filter_status",
        label="valid, expiring (within 60 days), expired or superseded, as of today",
    )

    class Meta:
        model = Certificate
        fields = ["site", "cmo", "kind", "current", "status"]

    def filter_status(self, queryset, name, value) -> QuerySet:
        today = timezone.localdate()
        if value == CertificateState.SUPERSEDED:
            return queryset.filter(superseded_by__isnull=False)
        if value == CertificateState.EXPIRED:
            return queryset.expired(today)
        if value == CertificateState.EXPIRING:
            return queryset.expiring_within(EXPIRING_WITHIN_DAYS, today)
        return queryset.valid(today).exclude(
            pk__in=queryset.expiring_within(EXPIRING_WITHIN_DAYS, today).values("pk")
        )
