from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task to send to the broker, written in the same transaction as the work it starts.

    The task is sent once that transaction commits; if the broker cannot be reached then, the row
    stays unsent and the outbox sweep sends it when the broker is back, so work a user was told
    had started is never lost, and nothing is sent for a transaction that rolled back.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    countdown = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_unsent", condition=models.Q(sent_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class SignatureFailure(models.Model):
    """A signature attempt refused for a wrong password: who, when, on what, from where.

    Kept for inspection (21 CFR 11.300(d)); repeated failures lock the user's signing for a while.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signature_failures"
    )
    attempted_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=100)
    record = models.CharField(max_length=200, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    locked_signing = models.BooleanField(
        default=False, help_text="This failure locked the user's signing."
    )
    while_locked = models.BooleanField(
        default=False,
        help_text="Attempted while signing was locked (refused unchecked; not counted again).",
    )

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} · {self.record or self.action} · {self.attempted_at:%Y-%m-%d %H:%M}"
