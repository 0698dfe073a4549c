from django.contrib import admin

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
from cmoselect.admin import ReadOnlyAdmin, ReadOnlyHistoryAdmin, ReadOnlyInline


class VersionInline(ReadOnlyInline, admin.TabularInline):
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
class TemplateVersionAdmin(ReadOnlyAdmin):
    list_display = ["template", "number", "status", "published_at"]
    list_filter = ["status"]
    readonly_fields = ["status", "published_at", "published_by", "created_from"]


@admin.register(Audit)
class AuditAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "audit_type", "status", "planned_start", "lead_auditor"]
    list_filter = ["status", "audit_type"]
    list_select_related = ["site__cmo", "lead_auditor"]
    search_fields = ["site__name", "site__cmo__legal_name"]
    readonly_fields = ["status", "revision", "score", "recommended_outcome", "decided_at"]
    raw_id_fields = ["site", "template_version", "lead_auditor"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyHistoryAdmin):
    list_display = ["audit", "question", "value", "version"]
    list_select_related = ["audit__site__cmo", "question"]
    readonly_fields = ["audit", "question", "value", "comment", "version"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyHistoryAdmin):
    list_display = ["__str__", "severity", "created_at"]
    list_filter = ["severity"]
    list_select_related = ["audit__site"]
    raw_id_fields = ["audit", "answer"]


@admin.register(Capa)
class CapaAdmin(ReadOnlyHistoryAdmin):
    list_display = ["finding", "status", "due_date"]
    list_filter = ["status"]
    list_select_related = ["finding__audit__site"]
    readonly_fields = ["status", "accepted_by", "accepted_at", "verified_by", "verified_at"]
    raw_id_fields = ["finding"]


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ["audit", "meaning", "decision", "printed_name", "signed_at"]
    list_select_related = ["audit__site"]


@admin.register(AuditReport)
class AuditReportAdmin(ReadOnlyAdmin):
    list_display = ["audit", "revision", "status", "requested_at"]
    list_select_related = ["audit__site"]
    list_filter = ["status"]
