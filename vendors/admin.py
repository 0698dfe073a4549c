from django.contrib import admin

from cmoselect.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin, ReadOnlyInline
from vendors.models import (
    Capability,
    Certificate,
    Citation,
    Cmo,
    Contact,
    Establishment,
    ImportRun,
    Notification,
    RegulatoryEvent,
    Site,
    SiteCapability,
    SiteType,
    StatusChange,
)


class SiteInline(ReadOnlyInline, admin.TabularInline):
    model = Site
    fields = ["name", "city", "country", "fei_number", "qualification_status"]
    readonly_fields = ["qualification_status"]
    extra = 0
    show_change_link = True


@admin.register(Cmo)
class CmoAdmin(ReadOnlyHistoryAdmin):
    list_display = ["legal_name", "headquarters_country", "qualification_status", "updated_at"]
    list_filter = ["qualification_status", "headquarters_country"]
    search_fields = ["legal_name", "aliases", "sites__fei_number"]
    readonly_fields = ["qualification_status"]
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "cmo", "country", "fei_number", "qualification_status"]
    list_filter = ["qualification_status", "country", "site_types"]
    search_fields = ["name", "fei_number", "cmo__legal_name"]
    list_select_related = ["cmo"]
    readonly_fields = ["qualification_status"]
    autocomplete_fields = ["cmo"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyHistoryAdmin):
    list_display = ["name", "role", "cmo", "email", "is_primary"]
    search_fields = ["name", "email", "cmo__legal_name"]
    list_select_related = ["cmo"]
    autocomplete_fields = ["cmo", "site"]


@admin.register(SiteType)
class SiteTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["cmo", "site", "from_status", "to_status", "changed_by", "changed_at"]
    list_select_related = ["cmo", "site", "changed_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    list_select_related = ["recipient"]


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "code", "position"]
    list_filter = ["category"]
    search_fields = ["name", "code"]


@admin.register(SiteCapability)
class SiteCapabilityAdmin(ReadOnlyHistoryAdmin):
    list_display = ["site", "capability", "level", "source", "last_verified"]
    list_filter = ["level", "source", "capability__category"]
    list_select_related = ["site", "capability"]
    autocomplete_fields = ["site"]
    search_fields = ["site__name", "capability__name"]


@admin.register(RegulatoryEvent)
class RegulatoryEventAdmin(ReadOnlyHistoryAdmin):
    list_display = ["site", "kind", "agency", "event_date", "classification", "reference", "source"]
    list_filter = ["kind", "agency", "classification", "source"]
    list_select_related = ["site"]
    autocomplete_fields = ["site"]
    search_fields = ["site__name", "site__fei_number", "reference"]
    date_hierarchy = "event_date"
    raw_id_fields = ["import_run", "establishment"]


@admin.register(Citation)
class CitationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["inspection", "act_cfr_number", "short_description"]
    list_select_related = ["inspection", "inspection__site"]
    raw_id_fields = ["inspection", "import_run"]
    search_fields = ["act_cfr_number", "short_description"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyHistoryAdmin):
    list_display = ["site", "kind", "reference", "issuer", "issued_on", "valid_until"]
    list_filter = ["kind"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "superseded_by", "created_by"]
    search_fields = ["reference", "issuer", "site__name"]


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "format", "status", "uploaded_by", "created_at"]
    list_filter = ["format", "status", "via"]


@admin.register(Establishment)
class EstablishmentAdmin(ReadOnlyHistoryAdmin):
    # Registry entries come from the FDA imports; the admin only reads them.
    list_display = ["firm_name", "fei", "country", "registered", "signal"]
    list_filter = ["registered", "country"]
    search_fields = ["firm_name", "registrant_name", "fei", "duns"]
