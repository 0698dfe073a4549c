from django.contrib.admin import apps as admin_apps


class CmoselectAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "cmoselect.admin.CmoselectAdminSite"
