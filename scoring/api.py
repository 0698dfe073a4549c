from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.roles import Perm
from scoring.models import (
    Candidate,
    ComparisonReport,
    Criterion,
    Evaluation,
    ScoringModel,
    Source,
)
from scoring.services import (
    candidates_add,
    entered_score_save,
    evaluation_request_recompute,
    evaluation_save,
    evaluation_version_move,
    evaluation_weights_save,
    model_version_create,
    report_request,
)
from vendors.models import Capability, CapabilityLevel, Cmo


class CriterionSerializer(serializers.ModelSerializer):
    code = serializers.SlugField(max_length=40)
    source = serializers.ChoiceField(choices=Source.choices)

    class Meta:
        model = Criterion
        fields = ["code", "name", "source", "weight", "knockout"]


class ScoringModelSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()

    class Meta:
        model = ScoringModel
        fields = ["id", "name", "description", "is_default", "version", "criteria"]

    def get_version(self, obj) -> int:
        return obj.current_version.number

    def get_criteria(self, obj) -> list[dict]:
        return CriterionSerializer(obj.current_version.criteria.all(), many=True).data


class WeightsSerializer(serializers.Serializer):
    criteria = CriterionSerializer(many=True)
    note = serializers.CharField(max_length=250)


class ScoringModelViewSet(viewsets.ReadOnlyModelViewSet):
    """Shared scoring models with their current criteria. `weights` saves a new version, which
    the directory score uses at once and open evaluations only once moved to it."""

    queryset = ScoringModel.objects.shared().order_by("pk")
    serializer_class = ScoringModelSerializer
    action_perms = {"weights": Perm.EDIT_EVALUATIONS}

    @extend_schema(request=WeightsSerializer, responses=ScoringModelSerializer)
    @action(detail=True, methods=["post"])
    def weights(self, request, pk=None):
        scoring_model = self.get_object()
        data = WeightsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model_version_create(
            scoring_model=scoring_model,
            criteria=data.validated_data["criteria"],
            user=request.user,
            note=data.validated_data["note"],
        )
        return Response(self.get_serializer(scoring_model).data)


class NeedSerializer(serializers.Serializer):
    capability = serializers.SlugRelatedField(slug_field="code", queryset=Capability.objects.all())
    min_level = serializers.ChoiceField(choices=CapabilityLevel.choices)


class EvaluationSerializer(serializers.ModelSerializer):
    needs = NeedSerializer(many=True, required=False)
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=100
    )
    pending = serializers.BooleanField(source="is_pending", read_only=True)
    scoring_model = serializers.PrimaryKeyRelatedField(queryset=ScoringModel.objects.shared())
    model_version = serializers.StringRelatedField(
        source="version_in_use", read_only=True, help_text="The weights the evaluation uses."
    )

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "name",
            "product",
            "modality",
            "phase",
            "annual_volume",
            "volume_unit",
            "needed_from",
            "timeline",
            "scoring_model",
            "model_version",
            "team",
            "status",
            "needs",
            "scored_version",
            "scored_at",
            "pending",
            "stability_note",
            "change_reason",
        ]
        read_only_fields = ["status", "scored_version", "scored_at", "stability_note"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["needs"] = [
            {"capability": n.capability.code, "min_level": n.min_level}
            for n in instance.needs.all()
        ]
        return data

    def _save(self, instance, validated_data):
        needs = validated_data.pop("needs", None)
        team = validated_data.pop("team", None)
        reason = validated_data.pop("change_reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if needs is None:
            needs = (
                list(instance.needs.values_list("capability_id", "min_level"))
                if instance.pk
                else []
            )
        else:
            needs = [(n["capability"].pk, n["min_level"]) for n in needs]
        with transaction.atomic():
            return evaluation_save(
                evaluation=instance,
                user=self.context["request"].user,
                needs=needs,
                team=team,
                reason=reason,
            )

    def create(self, validated_data):
        return self._save(Evaluation(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class CandidateSerializer(serializers.ModelSerializer):
    cmo_name = serializers.CharField(source="cmo.legal_name", read_only=True)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "evaluation",
            "cmo",
            "cmo_name",
            "origin",
            "total",
            "rank",
            "knocked_out",
            "knockout_reasons",
            "explanation",
            "breakdown",
        ]
        read_only_fields = fields


class AddCandidatesSerializer(serializers.Serializer):
    cmos = serializers.PrimaryKeyRelatedField(queryset=Cmo.objects.all(), many=True)


class EvaluationWeightsSerializer(serializers.Serializer):
    weights = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        help_text="Criterion code → weight; the weights must add up to 100.",
    )
    note = serializers.CharField(max_length=250, help_text="Why the weights change.")


class MoveVersionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class EvaluationViewSet(ApiViewSet):
    """Evaluations; `candidates` adds CMOs, `scores` gives the breakdown, `recompute` asks for one,
    `weights` saves weights for this evaluation alone, `move_version` moves it to its shared
    model's newest version. A decided or cancelled evaluation is read-only (400)."""

    queryset = (
        Evaluation.objects.select_related("scored_version")
        .prefetch_related("needs__capability", "team")
        .order_by("-pk")
    )
    serializer_class = EvaluationSerializer
    write_perm = Perm.EDIT_EVALUATIONS
    filterset_fields = ["status"]

    @extend_schema(request=AddCandidatesSerializer, responses=CandidateSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def candidates(self, request, pk=None):
        evaluation = self.get_object()
        if request.method == "POST":
            data = AddCandidatesSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            candidates_add(
                evaluation=evaluation, cmos=data.validated_data["cmos"], user=request.user
            )
        rows = evaluation.candidates.select_related("cmo").ranked()
        return Response(CandidateSerializer(rows, many=True).data)

    @extend_schema(responses=CandidateSerializer(many=True))
    @action(detail=True, methods=["get"])
    def scores(self, request, pk=None):
        evaluation = self.get_object()
        rows = evaluation.candidates.select_related("cmo").ranked()
        return Response(
            {
                "version": str(evaluation.scored_version) if evaluation.scored_version else None,
                "scored_at": evaluation.scored_at,
                "pending": evaluation.is_pending,
                "stability_note": evaluation.stability_note,
                "candidates": CandidateSerializer(rows, many=True).data,
            }
        )

    @extend_schema(request=None, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        evaluation = self.get_object()
        evaluation_request_recompute(evaluation=evaluation, reason="requested through the API")
        return Response(self.get_serializer(evaluation).data, status=202)

    @extend_schema(request=EvaluationWeightsSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def weights(self, request, pk=None):
        evaluation = self.get_object()
        data = EvaluationWeightsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation_weights_save(
            evaluation=evaluation,
            weights=data.validated_data["weights"],
            user=request.user,
            reason=data.validated_data["note"],
        )
        return Response(self.get_serializer(evaluation).data, status=202)

    @extend_schema(request=MoveVersionSerializer, responses=EvaluationSerializer)
    @action(detail=True, methods=["post"], url_path="move-version")
    def move_version(self, request, pk=None):
        evaluation = self.get_object()
        data = MoveVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation_version_move(
            evaluation=evaluation, user=request.user, reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(evaluation).data, status=202)


class EnteredScoreSerializer(serializers.Serializer):
    criterion = serializers.SlugField(max_length=40, help_text="The code of an entered criterion.")
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    justification = serializers.CharField(max_length=2000)


class CandidateViewSet(viewsets.ReadOnlyModelViewSet):
    """Candidates with their scores; `entries` records a price or a 1–5 rating."""

    queryset = Candidate.objects.select_related("cmo", "evaluation").order_by(
        "evaluation", "rank", "pk"
    )
    serializer_class = CandidateSerializer
    filterset_fields = ["evaluation", "cmo"]
    action_perms = {"entries": Perm.EDIT_EVALUATIONS}

    @extend_schema(request=EnteredScoreSerializer, responses=CandidateSerializer)
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        candidate = self.get_object()
        data = EnteredScoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code = data.validated_data["criterion"]
        criterion = next(
            (c for c in candidate.evaluation.version_in_use().criteria.all() if c.code == code),
            None,
        )
        if criterion is None:
            raise ValidationError({"criterion": f"The evaluation has no criterion {code}."})
        entered_score_save(
            candidate=candidate,
            criterion=criterion,
            value=data.validated_data["value"],
            justification=data.validated_data["justification"],
            user=request.user,
        )
        return Response(self.get_serializer(candidate).data, status=202)


class ComparisonReportSerializer(serializers.ModelSerializer):
    candidates = serializers.PrimaryKeyRelatedField(queryset=Candidate.objects.all(), many=True)
    rendered_at = serializers.DateTimeField(source="finished_at", read_only=True, allow_null=True)
    scores_hash = serializers.CharField(source="fingerprint", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ComparisonReport
        fields = [
            "id",
            "evaluation",
            "candidates",
            "status",
            "error",
            "requested_at",
            "rendered_at",
            "scores_hash",
            "with_decision",
            "download_url",
        ]
        read_only_fields = ["status", "error", "requested_at", "with_decision"]

    def get_download_url(self, obj) -> str | None:
        return obj.get_absolute_url() if obj.status == ComparisonReport.Status.READY else None

    def create(self, validated_data):
        return report_request(
            evaluation=validated_data["evaluation"],
            candidates=validated_data["candidates"],
            user=self.context["request"].user,
        )


class ComparisonReportViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """PDF comparison reports: create one for 2–10 candidates, then poll its status."""

    queryset = ComparisonReport.objects.prefetch_related("candidates").order_by("-pk")
    serializer_class = ComparisonReportSerializer
    write_perm = Perm.VIEW
    filterset_fields = ["evaluation", "status"]
