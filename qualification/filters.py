"""The approved supplier list's filters, shared by the page, its exports and the API."""

from datetime import timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from cmoselect.countries import countries_in, country_options
from cmoselect.filters import IdFilter
from cmoselect.widgets import QuickSelect
from qualification.models import NotifiedChange, RiskClass, SiteQualification
from vendors.models import Capability, Site

DUE_CHOICES = [
    ("overdue", "Overdue"),
    ("30", "Due within 30 days"),
    ("90", "Due within 90 days"),
    ("365", "Due within a year"),
]


def _countries():
    return country_options(
        countries_in(Site, within=Site.objects.filter(qualification__isnull=False))
    )


class QualificationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search site or CMO")
    capability = django_filters.ModelChoiceFilter(
        field_name="capabilities",
        queryset=Capability.objects.only("name"),
        label="Approved for",
        empty_label="Any capability",
        widget=QuickSelect,
    )
    product = django_filters.CharFilter(field_name="products", lookup_expr="icontains")
    country = django_filters.ChoiceFilter(
        field_name="site__country",
        choices=_countries,
        empty_label="Any country",
        widget=QuickSelect,
    )
    status = django_filters.MultipleChoiceFilter(choices=SiteQualification.Status.choices)
    risk = django_filters.MultipleChoiceFilter(
        field_name="risk_class", choices=RiskClass.choices, label="Risk"
    )
    due = django_filters.ChoiceFilter(
        method="filter_due",
        choices=DUE_CHOICES,
        label="Due",
        empty_label="Any time",
        widget=QuickSelect,
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("valid_until", "due"),
            ("site__name", "site"),
            ("risk_points", "risk"),
            ("status", "status"),
        ),
        label="Sort",
    )

    class Meta:
        model = SiteQualification
        fields = ["q", "capability", "product", "country", "status", "risk", "due"]

    def filter_q(self, queryset, name, value) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(site__name__icontains=value) | Q(site__cmo__legal_name__icontains=value)
        )

    def filter_due(self, queryset, name, value) -> QuerySet:
        today = timezone.localdate()
        if value == "overdue":
            return queryset.filter(valid_until__lt=today)
        return queryset.filter(valid_until__lte=today + timedelta(days=int(value)))


class NotifiedChangeFilter(django_filters.FilterSet):
    site = IdFilter(field_name="site_id")
    cmo = IdFilter(field_name="site__cmo_id")
    significance = django_filters.ChoiceFilter(choices=NotifiedChange.Significance.choices)
    assessment = django_filters.ChoiceFilter(choices=NotifiedChange.Assessment.choices)

    class Meta:
        model = NotifiedChange
        fields = ["site", "cmo", "significance", "assessment"]
