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
        _text_fields_take_text_as_sent()


def _text_fields_take_text_as_sent() -> None:
    """Make the API's text fields take a JSON string, as sent, or refuse it.

    DRF trims surrounding whitespace before it checks the length, so " " + 2,000 characters
    passed a 2,000-character limit that the schema states for the text as sent; and it turns a
    number into text, so `"description": 0` was saved as "0" where the schema says a string.
    One rule for every text field of every serializer (declared or generated from a model).
    """
    from rest_framework.fields import CharField, empty

    if getattr(CharField, "_text_as_sent", False):
        return
    run_validation = CharField.run_validation

    def run_validation_as_sent(self, data=empty):
        if data is not empty and data is not None and not isinstance(data, str):
            self.fail("invalid")
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return run_validation(self, data)

    CharField.run_validation = run_validation_as_sent
    CharField._text_as_sent = True
