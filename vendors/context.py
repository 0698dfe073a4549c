"""Template context every page gets from the vendors app: the header's unread count."""

from django.http import HttpRequest

from vendors.models import Notification


def unread_notifications(request: HttpRequest) -> dict:
    """The signed-in user's unread count, counted once a request and only if a page shows it."""

    def count() -> int:
        if not hasattr(request, "_unread_notifications"):
            user = getattr(request, "user", None)
            request._unread_notifications = (
                Notification.objects.filter(recipient=user).unread().count()
                if user is not None and user.is_authenticated
                else 0
            )
        return request._unread_notifications

    return {"unread_notifications": count}
