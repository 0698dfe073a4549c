from django.contrib import admin

from cmoselect.admin import ReadOnlyHistoryAdmin
from qualification.models import NotifiedChange, SiteQualification


@admin.register(SiteQualification)
class SiteQualificationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["site", "status", "risk_class", "valid_until"]
    list_filter = ["status", "risk_class"]
    search_fields = ["site__name", "site__cmo__legal_name"]
    list_select_related = ["site"]


@admin.register(NotifiedChange)
class NotifiedChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["title", "site", "notified_on", "significance", "assessment"]
    list_filter = ["significance", "assessment", "category"]
    search_fields = ["title", "site__name", "site__cmo__legal_name"]
    list_select_related = ["site"]
