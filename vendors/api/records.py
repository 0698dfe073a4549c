"""Serializer plumbing shared by the API's regulated records: who and why on every write."""

from collections.abc import Mapping

from django.db.models import Model
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from cmoselect.history import save_with_history


class ChangeReasonField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", "Why the record is changed. Required on update; kept in its history."
        )
        super().__init__(
            write_only=True, required=False, allow_blank=True, max_length=250, **kwargs
        )

    def to_internal_value(self, data) -> str:
        # A reason is words: a number (which DRF would turn into text) is refused like a list.
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RecordSerializer(serializers.ModelSerializer):
    """Saves through save_with_history, so API writes carry who and why like browser writes.

    An update without a `change_reason` is refused there, and answered as a 400 on that field.
    """

    change_reason = ChangeReasonField()

    def _save(self, instance, validated_data):
        reason = validated_data.pop("change_reason", "")
        m2m = {
            name: validated_data.pop(name)
            for name in list(validated_data)
            if instance._meta.get_field(name).many_to_many
        }
        for name, value in validated_data.items():
            setattr(instance, name, value)

        def save_m2m():
            for name, value in m2m.items():
                getattr(instance, name).set(value)

        return save_with_history(
            instance,
            user=self.context["request"].user,
            reason=reason,
            clean=True,
            save_m2m=save_m2m,
        )

    def create(self, validated_data) -> Model:
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data) -> Model:
        return self._save(instance, validated_data)


class RemovalSerializer(serializers.Serializer):
    change_reason = ChangeReasonField()


def removal_reason(request) -> str:
    """The reason for a DELETE, from `?change_reason=` or a JSON body; checked for length."""
    body = request.data if isinstance(request.data, Mapping) else {}
    data = RemovalSerializer(
        data={
            "change_reason": body.get(
                "change_reason", request.query_params.get("change_reason", "")
            )
        }
    )
    data.is_valid(raise_exception=True)
    return data.validated_data.get("change_reason", "")


def removal_reason_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(
        "change_reason",
        str,
        required=True,
        description=f"Why the {name} is removed; kept in its history.",
    )
