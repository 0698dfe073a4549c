from django.contrib import admin

from cmoselect.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin, ReadOnlyInline
from contracts.models import (
    Amendment,
    Contract,
    ContractDocument,
    Kpi,
    Milestone,
    ResponsibilityItem,
    ScopeItem,
)


class MilestoneInline(ReadOnlyInline, admin.TabularInline):
    model = Milestone


@admin.register(Contract)
class ContractAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "cmo", "contract_type", "status", "effective_date", "expiry_date"]
    list_filter = ["contract_type", "status"]
    search_fields = ["title", "reference", "cmo__legal_name"]
    list_select_related = ["cmo"]
    autocomplete_fields = ["cmo", "parent", "sites"]
    readonly_fields = ["status", "terminated_on"]
    inlines = [MilestoneInline]


@admin.register(ResponsibilityItem)
class ResponsibilityItemAdmin(ReadOnlyHistoryAdmin):
    list_display = ["activity", "contract", "responsible"]
    list_select_related = ["contract"]
    list_filter = ["responsible"]


@admin.register(ScopeItem)
class ScopeItemAdmin(ReadOnlyHistoryAdmin):
    list_display = ["product", "capability", "contract", "site"]
    list_select_related = ["contract", "capability", "site"]


@admin.register(Kpi)
class KpiAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "kind", "target", "unit"]
    list_select_related = ["contract"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "contract", "planned_date", "actual_date"]
    list_select_related = ["contract"]


@admin.register(ContractDocument)
class ContractDocumentAdmin(ReadOnlyAdmin):
    list_display = ["contract", "kind", "title", "uploaded_by", "uploaded_at"]
    list_select_related = ["contract", "uploaded_by"]
    readonly_fields = ["size", "uploaded_by", "uploaded_at"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ["contract", "number", "status", "effective_date", "raised_by", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["contract", "raised_by", "decided_by"]
