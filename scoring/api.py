from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cmoselect.api import ApiViewSet
from cmoselect.downloads import rendered_report_download
from cmoselect.esign import request_address
from cmoselect.parsers import ObjectJSONParser
from cmoselect.roles import Perm
from scoring.models import (
    Candidate,
    ComparisonReport,
    Criterion,
    Decision,
    Evaluation,
    ScoringModel,
    Source,
)
from scoring.services import (
    FORWARD_STATUSES,
    approval_refusal,
    candidates_add,
    candidates_gate,
    decision_sign,
    entered_score_save,
    evaluation_request_recompute,
    evaluation_save,
    evaluation_version_move,
    evaluation_weights_save,
    model_version_create,
    report_request,
)
from vendors.models import Capability, CapabilityLevel, Cmo, QualificationStatus


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
    @action(detail=True, methods=["post"], parser_classes=[ObjectJSONParser])
    def weights(self, request: Request, pk: str | None = None) -> Response:
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
            *Evaluation.BRIEF_FIELDS,
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

    def to_representation(self, instance: Model) -> dict:
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

    def create(self, validated_data: dict) -> Model:
        return self._save(Evaluation(), validated_data)

    def update(self, instance: Model, validated_data: dict) -> Model:
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
            *Candidate.COMPUTED_FIELDS,
        ]
        read_only_fields = fields


class AddCandidatesSerializer(serializers.Serializer):
    cmos = serializers.PrimaryKeyRelatedField(queryset=Cmo.objects.all(), many=True)


class ScoresSerializer(serializers.Serializer):
    version = serializers.CharField(allow_null=True, help_text="The weights scored with.")
    scored_at = serializers.DateTimeField(allow_null=True)
    pending = serializers.BooleanField(help_text="A recomputation is on its way.")
    stability_note = serializers.CharField(allow_blank=True)
    candidates = CandidateSerializer(many=True)


class EvaluationWeightsSerializer(serializers.Serializer):
    weights = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        help_text="Criterion code → weight; the weights must add up to 100.",
    )
    note = serializers.CharField(max_length=250, help_text="Why the weights change.")


class MoveVersionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class SiteGateSerializer(serializers.Serializer):
    site = serializers.IntegerField(source="site_id")
    name = serializers.CharField(source="site_name")
    passes = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())


class CandidateGateSerializer(serializers.Serializer):
    candidate = serializers.IntegerField()
    cmo = serializers.IntegerField()
    cmo_name = serializers.CharField()
    approval_allowed = serializers.BooleanField(
        help_text="Whether a sign-off may move this CMO to approved; if not, conditionally "
        "approved is the most."
    )
    refusal = serializers.ListField(child=serializers.CharField())
    sites = SiteGateSerializer(many=True, help_text="The sites the CMO will use.")


class GateSerializer(serializers.Serializer):
    requalification_months = serializers.IntegerField()
    candidates = CandidateGateSerializer(many=True)


class DecideSerializer(serializers.Serializer):
    candidate = serializers.PrimaryKeyRelatedField(queryset=Candidate.objects.all())
    meaning = serializers.ChoiceField(choices=Decision.Meaning.choices)
    rationale = serializers.CharField()
    new_status = serializers.ChoiceField(
        choices=[(s, QualificationStatus(s).label) for s in FORWARD_STATUSES],
        required=False,
        allow_blank=True,
        default="",
        help_text="Move the CMO and the sites it will use forward to this status. Approved "
        "passes the QA gate only (see `gate/`); otherwise a 400 on this field says why.",
    )
    password = serializers.CharField(write_only=True, trim_whitespace=False)


class DecisionStatusChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cmo = serializers.IntegerField(source="cmo_id")
    site = serializers.IntegerField(source="site_id", allow_null=True)
    from_status = serializers.CharField()
    to_status = serializers.CharField()


class DecisionSerializer(serializers.ModelSerializer):
    signed_by = serializers.CharField(source="signed_name")
    status_changes = DecisionStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "evaluation",
            "candidate",
            "meaning",
            "rationale",
            "signed_by",
            "signed_at",
            "scores_hash",
            "new_status",
            "status_changes",
        ]


class EvaluationViewSet(ApiViewSet):
    """Evaluations; `candidates` adds CMOs, `scores` gives the breakdown, `recompute` asks for one,
    `weights` saves weights for this evaluation alone, `move_version` moves it to its shared
    model's newest version, `gate` says what keeps each candidate from Approved and `decide`
    signs the decision (managers). A decided or cancelled evaluation is read-only (400)."""

    queryset = (
        Evaluation.objects.select_related("scored_version")
        .prefetch_related("needs__capability", "team")
        .order_by("-pk")
    )
    serializer_class = EvaluationSerializer
    write_perm = Perm.EDIT_EVALUATIONS
    # Needs and weights are nested: a form-encoded body would drop them without a word.
    parser_classes = [ObjectJSONParser]
    action_perms = {"decide": Perm.SIGN_DECISIONS}
    filterset_fields = ["status"]

    @extend_schema(responses=GateSerializer)
    @action(detail=True, methods=["get"])
    def gate(self, request: Request, pk: str | None = None) -> Response:
        """The QA gate for each selectable candidate: the sites it will use, what blocks each."""
        evaluation = self.get_object()
        candidates = list(
            evaluation.candidates.select_related("cmo").filter(knocked_out=False).ranked()
        )
        gates = candidates_gate(evaluation=evaluation, candidates=candidates)
        rows = []
        for candidate in candidates:
            refusal = approval_refusal(candidate=candidate, gates=gates[candidate.pk])
            rows.append(
                {
                    "candidate": candidate.pk,
                    "cmo": candidate.cmo_id,
                    "cmo_name": candidate.cmo.legal_name,
                    "approval_allowed": not refusal,
                    "refusal": refusal,
                    "sites": gates[candidate.pk],
                }
            )
        data = {"requalification_months": settings.REQUALIFICATION_MONTHS, "candidates": rows}
        return Response(GateSerializer(data).data)

    @extend_schema(request=DecideSerializer, responses={201: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Sign off the decision (manager), as the sign-off page does."""
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = decision_sign(
            evaluation=self.get_object(),
            user=request.user,
            address=request_address(request),
            **data.validated_data,
        )
        return Response(DecisionSerializer(decision).data, status=201)

    @extend_schema(request=AddCandidatesSerializer, responses=CandidateSerializer(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def candidates(self, request: Request, pk: str | None = None) -> Response:
        evaluation = self.get_object()
        if request.method == "POST":
            data = AddCandidatesSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            candidates_add(
                evaluation=evaluation, cmos=data.validated_data["cmos"], user=request.user
            )
        rows = evaluation.candidates.select_related("cmo").ranked()
        return Response(CandidateSerializer(rows, many=True).data)

    @extend_schema(responses=ScoresSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def scores(self, request: Request, pk: str | None = None) -> Response:
        evaluation = self.get_object()
        rows = evaluation.candidates.select_related("cmo").ranked()
        return Response(
            ScoresSerializer(
                {
                    "version": str(evaluation.scored_version)
                    if evaluation.scored_version
                    else None,
                    "scored_at": evaluation.scored_at,
                    "pending": evaluation.is_pending,
                    "stability_note": evaluation.stability_note,
                    "candidates": rows,
                }
            ).data
        )

    @extend_schema(request=None, responses={202: EvaluationSerializer})
    @action(detail=True, methods=["post"])
    def recompute(self, request: Request, pk: str | None = None) -> Response:
        evaluation = self.get_object()
        evaluation_request_recompute(evaluation=evaluation, reason="requested through the API")
        return Response(self.get_serializer(evaluation).data, status=202)

    @extend_schema(request=EvaluationWeightsSerializer, responses={202: EvaluationSerializer})
    @action(detail=True, methods=["post"])
    def weights(self, request: Request, pk: str | None = None) -> Response:
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

    @extend_schema(request=MoveVersionSerializer, responses={202: EvaluationSerializer})
    @action(detail=True, methods=["post"], url_path="move-version")
    def move_version(self, request: Request, pk: str | None = None) -> Response:
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

    @extend_schema(request=EnteredScoreSerializer, responses={202: CandidateSerializer})
    @action(detail=True, methods=["post"])
    def entries(self, request: Request, pk: str | None = None) -> Response:
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
        """The PDF through the API (a token is enough), once it is ready."""
        if obj.status != ComparisonReport.Status.READY:
            return None
        return self.context["request"].build_absolute_uri(reverse("report-download", args=[obj.pk]))

    def create(self, validated_data: dict) -> Model:
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

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> Response:
        return rendered_report_download(self.get_object())
