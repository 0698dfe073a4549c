from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audits.models import (
    Answer,
    Audit,
    AuditReport,
    Capa,
    ChecklistTemplate,
    Finding,
    Signature,
    TemplateVersion,
)


class VersionInline(admin.TabularInline):
    model = TemplateVersion
    fields = ["number", "status", "published_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [VersionInline]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(admin.ModelAdmin):
    list_display = ["template", "number", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "published_at", "published_by", "created_from"]


@admin.register(Audit)
class AuditAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "audit_type", "status", "planned_start", "lead_auditor"]
    list_filter = ["status", "audit_type"]
    list_select_related = ["site__cmo", "lead_auditor"]
    search_fields = ["site__name", "site__cmo__legal_name"]
    readonly_fields = ["status", "revision", "score", "recommended_outcome", "decided_at"]
    raw_id_fields = ["site", "template_version", "lead_auditor"]


@admin.register(Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    list_display = ["audit", "question", "value", "version"]
    list_select_related = ["audit__site__cmo", "question"]
    readonly_fields = ["audit", "question", "value", "comment", "version"]


@admin.register(Finding)
class FindingAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "severity", "created_at"]
    list_filter = ["severity"]
    list_select_related = ["audit__site"]
    raw_id_fields = ["audit", "answer"]


@admin.register(Capa)
class CapaAdmin(SimpleHistoryAdmin):
    list_display = ["finding", "status", "due_date"]
    list_filter = ["status"]
    list_select_related = ["finding__audit__site"]
    readonly_fields = ["status", "accepted_by", "accepted_at", "verified_by", "verified_at"]
    raw_id_fields = ["finding"]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["audit", "meaning", "decision", "printed_name", "signed_at"]
    list_select_related = ["audit__site"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a signature is never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditReport)
class AuditReportAdmin(admin.ModelAdmin):
    list_display = ["audit", "revision", "status", "requested_at"]
    list_select_related = ["audit__site"]
    list_filter = ["status"]
