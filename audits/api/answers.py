"""Checklist answers, saved against the version the client read."""

from django.db.models import Model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from audits.models import Answer
from audits.services import AnswerConflict, answer_save
from cmoselect.roles import Perm


class AnswerSerializer(serializers.ModelSerializer):
    question_text = serializers.CharField(source="question.text", read_only=True)
    answer_type = serializers.CharField(source="question.answer_type", read_only=True)

    class Meta:
        model = Answer
        fields = [
            "id",
            "audit",
            "question",
            "question_text",
            "answer_type",
            "value",
            "comment",
            "version",
            "answered_by",
            "answered_at",
        ]
        read_only_fields = ["audit", "question", "answered_by", "answered_at"]
        extra_kwargs = {
            "version": {
                "read_only": False,
                "help_text": "The version you read. A save over a newer version is refused (409).",
            }
        }

    def update(self, instance, validated_data) -> Model:
        return answer_save(
            answer=instance,
            user=self.context["request"].user,
            value=validated_data.get("value", instance.value),
            comment=validated_data.get("comment", instance.comment),
            expected_version=validated_data.get("version", -1),
        )


class YoursSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="As sent.")
    comment = serializers.JSONField(help_text="As sent.")
    version = serializers.JSONField(help_text="As sent: the version you read.")


class AnswerConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = AnswerSerializer(help_text="The answer as it is now saved.")
    yours = YoursSerializer(help_text="What you sent.")


CONFLICT = OpenApiResponse(
    AnswerConflictSerializer,
    description="Someone else saved this answer since you read it: both values.",
)


@extend_schema_view(
    update=extend_schema(responses={200: AnswerSerializer, 409: CONFLICT}),
    partial_update=extend_schema(responses={200: AnswerSerializer, 409: CONFLICT}),
)
class AnswerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Checklist answers. Send the `version` you read; a stale one gets 409 with both values."""

    queryset = Answer.objects.select_related("question", "audit").order_by(
        "audit", "question__section__position", "question__position"
    )
    serializer_class = AnswerSerializer
    filterset_fields = ["audit"]
    write_perm = Perm.PERFORM_AUDITS

    def update(self, request, *args, **kwargs) -> Response:
        if "version" not in request.data:
            return Response(
                {"version": ["Send the version of the answer you read."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            return super().update(request, *args, **kwargs)
        except AnswerConflict as conflict:
            return Response(
                {
                    "detail": "Someone else saved this answer since you read it.",
                    "current": AnswerSerializer(conflict.current).data,
                    "yours": {
                        "value": request.data.get("value"),
                        "comment": request.data.get("comment"),
                        "version": request.data.get("version"),
                    },
                },
                status=status.HTTP_409_CONFLICT,
            )
