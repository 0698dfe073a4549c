from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CmoselectAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "cmoselect.admin.CmoselectAdminSite"


class CmoselectConfig(AppConfig):
    default = True
    name = "cmoselect"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from cmoselect.middleware import start_idle_clock

        user_logged_in.connect(start_idle_clock, dispatch_uid="cmoselect.idle_clock")
