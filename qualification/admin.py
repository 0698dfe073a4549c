from django.contrib import admin

from cmoselect.admin import ReadOnlyHistoryAdmin
from qualification.models import SiteQualification


@admin.register(SiteQualification)
class SiteQualificationAdmin(ReadOnlyHistoryAdmin):
    list_display = ["site", "status", "risk_class", "valid_until"]
    list_filter = ["status", "risk_class"]
    search_fields = ["site__name", "site__cmo__legal_name"]
    list_select_related = ["site"]
