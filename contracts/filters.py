import django_filters
from django.db.models import Q, QuerySet

from cmoselect.filters import BooleanFilter, IdFilter
from contracts.models import Contract, Kpi, Milestone, ResponsibilityItem, ScopeItem, today
from vendors.forms import cmo_picker, pickable_cmos

EXPIRING_CHOICES = [("30", "Within 30 days"), ("60", "Within 60 days"), ("90", "Within 90 days")]


class ContractFilter(django_filters.FilterSet):
    """The contract list's search, filters and sort, shared by the browser page and the API."""

    q = django_filters.CharFilter(
        method="filter_q", label="Search title, reference, CMO, product or service"
    )
    cmo = django_filters.ModelChoiceFilter(
        queryset=pickable_cmos(), label="CMO", widget=cmo_picker(empty_label="All CMOs")
    )
    type = django_filters.MultipleChoiceFilter(
        field_name="contract_type", choices=Contract.Type.choices, label="Type"
    )
    status = django_filters.MultipleChoiceFilter(choices=Contract.Status.choices, label="Status")
    expiring = django_filters.ChoiceFilter(
        method="filter_expiring", choices=EXPIRING_CHOICES, label="Expiring", empty_label="Any time"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("title", "title"),
            ("cmo__legal_name", "cmo"),
            ("contract_type", "type"),
            ("status", "status"),
            ("expiry_date", "expiry"),
            ("updated_at", "updated"),
        ),
        label="Sort",
    )

    class Meta:
        model = Contract
        fields = ["q", "cmo", "type", "status", "expiring"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)

    def filter_expiring(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.expiring_within(int(value))


class ContractItemFilter(django_filters.FilterSet):
    contract = IdFilter(field_name="contract_id")
    cmo = IdFilter(field_name="contract__cmo_id", label="CMO")
    contract_type = django_filters.MultipleChoiceFilter(
        field_name="contract__contract_type", choices=Contract.Type.choices
    )
    contract_status = django_filters.MultipleChoiceFilter(
        field_name="contract__status", choices=Contract.Status.choices
    )


class MilestoneFilter(ContractItemFilter):
    late = BooleanFilter(method="filter_late", label="Late")

    class Meta:
        model = Milestone
        fields = ["contract", "cmo", "contract_type", "contract_status", "late"]

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        late = Q(actual_date__isnull=True, planned_date__lt=today())
        return queryset.filter(late) if value else queryset.exclude(late)


class ScopeItemFilter(ContractItemFilter):
    product = django_filters.CharFilter(lookup_expr="icontains")
    capability = django_filters.CharFilter(field_name="capability__code", label="Service code")
    site = IdFilter(field_name="site_id")

    class Meta:
        model = ScopeItem
        fields = ["contract", "cmo", "contract_type", "contract_status", "product", "capability"]


class ResponsibilityFilter(ContractItemFilter):
    responsible = django_filters.MultipleChoiceFilter(choices=ResponsibilityItem.Party.choices)

    class Meta:
        model = ResponsibilityItem
        fields = ["contract", "cmo", "contract_status", "responsible"]


class KpiFilter(ContractItemFilter):
    kind = django_filters.MultipleChoiceFilter(choices=Kpi.Kind.choices)

    class Meta:
        model = Kpi
        fields = ["contract", "cmo", "contract_type", "contract_status", "kind"]
