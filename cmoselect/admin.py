from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from cmoselect.models import SignatureFailure
from cmoselect.roles import ADMIN, user_roles

# Records that carry history, a signature or a decision. They are written only through their
# services (which check the rules, ask for a reason and sign), so the admin shows them and
# nothing more: an admin edit would skip every rule, and a forged row could never be removed.
REGULATED_MODELS = frozenset(
    {
        "vendors.Cmo",
        "vendors.Site",
        "vendors.Contact",
        "vendors.StatusChange",
        "vendors.SiteCapability",
        "vendors.ImportRun",
        "vendors.RegulatoryEvent",
        "vendors.Citation",
        "vendors.Certificate",
        "vendors.Establishment",
        "audits.TemplateVersion",
        "audits.Audit",
        "audits.Answer",
        "audits.Finding",
        "audits.Capa",
        "audits.Signature",
        "audits.AuditReport",
        "contracts.Contract",
        "contracts.ScopeItem",
        "contracts.ResponsibilityItem",
        "contracts.Milestone",
        "contracts.Kpi",
        "contracts.KpiMeasurement",
        "contracts.ContractDocument",
        "contracts.Amendment",
        "qualification.SiteQualification",
        "qualification.NotifiedChange",
        "scoring.ScoringModel",
        "scoring.ModelVersion",
        "scoring.Evaluation",
        "scoring.Candidate",
        "scoring.EnteredScore",
        "scoring.Decision",
    }
)


class SignatureFailureAdmin(admin.ModelAdmin):
    """The failed e-signature log: for inspection only, never edited or deleted."""

    list_display = [
        "attempted_at",
        "user",
        "action",
        "record",
        "address",
        "locked_signing",
        "while_locked",
    ]
    list_filter = ["locked_signing", "while_locked", "action"]
    search_fields = ["user__username", "record", "address"]
    date_hierarchy = "attempted_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CmoselectAdminSite(admin.AdminSite):
    site_header = "CMOselect administration"
    site_title = "CMOselect admin"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # This module is imported to build the site, before autodiscovery could register
        # the project's own models on it; so the site registers them itself.
        self.register(SignatureFailure, SignatureFailureAdmin)

    def has_permission(self, request) -> bool:
        return ADMIN in user_roles(request.user)


class _NoWrites:
    """Refuses adding, changing and removing: those happen in the app, through the services."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """Shows a regulated record in the admin; adding, changing and removing happen in the app."""


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """A read-only regulated record with its history list, which offers no revert."""

    def history_form_view(self, request, object_id, version_id, extra_context=None) -> HttpResponse:
        # simple-history saves a POSTed revert without asking for change permission.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None) -> bool:
        return True


class ReadOnlyInline(_NoWrites):
    """An inline of a regulated record, shown and never edited."""

    can_delete = False
    extra = 0
