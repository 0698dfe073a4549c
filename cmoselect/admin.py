from django.contrib import admin

from cmoselect.models import SignatureFailure
from cmoselect.roles import ADMIN, user_roles


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
