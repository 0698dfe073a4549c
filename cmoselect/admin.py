from django.contrib import admin

from cmoselect.roles import ADMIN, user_roles


class CmoselectAdminSite(admin.AdminSite):
    site_header = "CMOselect administration"
    site_title = "CMOselect admin"

    def has_permission(self, request) -> bool:
        return ADMIN in user_roles(request.user)
