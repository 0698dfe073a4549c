from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cmoselect.pdf import RenderedReport
from vendors.models import Capability, CapabilityLevel, Cmo


class Source(models.TextChoices):
    """Where a criterion's raw value comes from; the mapping rules live in scoring/rules.py."""

    CAPABILITY_FIT = "capability_fit", "Capability fit"
    COMPLIANCE = "compliance", "Regulatory compliance"
    AUDIT_OUTCOME = "audit_outcome", "Audit outcome"
    QUALITY_AGREEMENT = "quality_agreement", "Quality agreement in force"
    CAPACITY_FIT = "capacity_fit", "Capacity fit"
    SUPPLY_RISK = "supply_risk", "Geographic / supply risk"
    COST = "cost", "Cost per unit (entered)"
    RATING = "rating", "Rating 1–5 (entered)"


ENTERED_SOURCES = frozenset({Source.COST, Source.RATING})


class ScoringModelQuerySet(models.QuerySet):
    def shared(self) -> Self:
        """The models anyone may choose; an evaluation's own weights are not among them."""
        return self.filter(owner__isnull=True)


class ScoringModel(models.Model):
    """A named set of weighted criteria, kept in versions.

    A shared model (no owner) is chosen by evaluations and scores the directory. A model with an
    owner holds the weights one evaluation saved for itself, so no other evaluation moves with it.
    """

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Used for the qualification score shown in the CMO list."
    )
    owner = models.ForeignKey(
        "Evaluation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_models",
        help_text="The evaluation these weights belong to; empty for a shared model.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScoringModelQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_model"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(owner__isnull=True), name="shared_model_name_once"
            ),
            models.UniqueConstraint(
                fields=["owner"], condition=Q(owner__isnull=False), name="one_own_model"
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(is_default=False),
                name="own_model_never_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("scoring:scoringmodel_detail", args=[self.pk])

    @property
    def current_version(self) -> "ModelVersion":
        return self.versions.order_by("-number").first()

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class ModelVersion(models.Model):
    """One saved set of weights: never edited, a change of weights makes the next version."""

    scoring_model = models.ForeignKey(
        ScoringModel, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    note = models.CharField(max_length=250, help_text="Why the weights changed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scoring_model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scoring_model", "number"], name="model_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.scoring_model.name} v{self.number}"


class Criterion(models.Model):
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    source = models.CharField(max_length=30, choices=Source)
    weight = models.PositiveSmallIntegerField()
    knockout = models.BooleanField(
        "knock-out",
        default=False,
        help_text="Exclude a candidate that fails this criterion's knock-out rule.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="criterion_code_once"),
            models.CheckConstraint(condition=Q(weight__lte=100), name="criterion_weight_max_100"),
        ]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"

    @property
    def is_entered(self) -> bool:
        """A price or rating a person enters per candidate, not a figure computed from data."""
        return self.source in ENTERED_SOURCES


class Phase(models.TextChoices):
    PRECLINICAL = "preclinical", "Preclinical"
    PHASE_1 = "phase_1", "Phase I"
    PHASE_2 = "phase_2", "Phase II"
    PHASE_3 = "phase_3", "Phase III"
    COMMERCIAL = "commercial", "Commercial"


class EvaluationQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(status=Evaluation.Status.OPEN)


class Evaluation(models.Model):
    """A sourcing project: what is needed, how candidates are scored, and who was chosen."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=150)
    product = models.CharField(max_length=150, help_text="Product or programme, e.g. ABX-101.")
    modality = models.ForeignKey(
        Capability,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"category": Capability.Category.MODALITIES},
    )
    phase = models.CharField(max_length=20, choices=Phase)
    annual_volume = models.DecimalField(
        "needed annual volume", max_digits=16, decimal_places=2, null=True, blank=True
    )
    volume_unit = models.CharField(
        max_length=20, blank=True, help_text="Compared with the sites' annual capacity unit."
    )
    needed_from = models.DateField("supply needed from", null=True, blank=True)
    timeline = models.CharField(max_length=200, blank=True, help_text="Milestones, in a line.")
    scoring_model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    # The weights the evaluation is scored with: a version of its shared model, or of its own
    # weights. A newer shared version reaches it only when someone moves it there, with a reason.
    model_version = models.ForeignKey(
        "ModelVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="weights",
    )
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The computed scores: which model version, when, and whether a newer computation is due.
    scored_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(null=True, blank=True)
    stability_note = models.TextField(blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_token = models.CharField(max_length=32, blank=True)
    history = HistoricalRecords(
        excluded_fields=[
            "scored_version",
            "scored_at",
            "stability_note",
            "pending_since",
            "pending_token",
            "updated_at",
        ]
    )

    # What the sourcing project needs, as the form and the API edit it.
    BRIEF_FIELDS = (
        "name",
        "product",
        "modality",
        "phase",
        "annual_volume",
        "volume_unit",
        "needed_from",
        "timeline",
    )

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("scoring:evaluation_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_pending(self) -> bool:
        return self.pending_since is not None

    def version_in_use(self) -> "ModelVersion":
        """The model version the evaluation is scored with (its shared model's newest if unset)."""
        if self.model_version_id is not None:
            return self.model_version
        return (
            ModelVersion.objects.filter(scoring_model_id=self.scoring_model_id)
            .order_by("-number")
            .first()
        )


class EvaluationNeed(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="needs")
    capability = models.ForeignKey(Capability, on_delete=models.PROTECT, related_name="+")
    min_level = models.PositiveSmallIntegerField(
        "minimum level", choices=CapabilityLevel, default=CapabilityLevel.CLAIMED
    )

    class Meta:
        ordering = ["capability__category", "capability__position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "capability"], name="need_once")
        ]

    def __str__(self) -> str:
        return f"{self.capability} (at least {self.get_min_level_display()})"


class CandidateQuerySet(models.QuerySet):
    def ranked(self) -> Self:
        """Ranked candidates first, then the excluded and unranked, by name."""
        return self.order_by(F("rank").asc(nulls_last=True), "cmo__legal_name")


class Candidate(models.Model):
    """A CMO under evaluation, with its latest computed score."""

    class Origin(models.TextChoices):
        MANUAL = "manual", "Added by hand"
        NEEDS_SEARCH = "needs_search", "Needs search"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="candidates")
    cmo = models.ForeignKey(Cmo, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=20, choices=Origin, default=Origin.MANUAL)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    total = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    knocked_out = models.BooleanField(default=False)
    knockout_reasons = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    # [{"code", "name", "source", "weight", "raw", "score", "note", "url", "knockout"}, ...]
    breakdown = models.JSONField(default=list, blank=True)
    # What each rescore writes: read-only in the API, and not kept in the history.
    COMPUTED_FIELDS = (
        "total",
        "rank",
        "knocked_out",
        "knockout_reasons",
        "explanation",
        "breakdown",
    )
    # Additions and removals are kept; the computed score is not (it changes on every rescore).
    history = HistoricalRecords(
        excluded_fields=[
            *COMPUTED_FIELDS,
            "added_at",
        ]
    )

    objects = CandidateQuerySet.as_manager()

    class Meta:
        ordering = ["evaluation", F("rank").asc(nulls_last=True), "cmo__legal_name"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "cmo"], name="candidate_once")]

    def __str__(self) -> str:
        return f"{self.cmo} in {self.evaluation}"

    def get_absolute_url(self) -> str:
        return reverse("scoring:candidate_detail", args=[self.pk])

    def score_of(self, code: str) -> float | None:
        return next((f["score"] for f in self.breakdown if f["code"] == code), None)


class EnteredScore(models.Model):
    """A value entered by the team: a quoted price, or a 1–5 rating with its justification."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="entries")
    criterion_code = models.SlugField(max_length=40)
    value = models.DecimalField(max_digits=14, decimal_places=4)
    justification = models.TextField()
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["candidate", "criterion_code"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "criterion_code"], name="entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_code}: {self.value}"


class Decision(models.Model):
    """A manager's signed choice, bound by a hash to the scores as they were when signed."""

    class Meaning(models.TextChoices):
        SELECTED = "selected", "I select this CMO for the evaluation's product"
        SELECTED_CONDITIONALLY = (
            "selected_conditionally",
            "I select this CMO subject to the conditions stated",
        )

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="decision")
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="+")
    meaning = models.CharField(max_length=30, choices=Meaning)
    rationale = models.TextField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    scores_hash = models.CharField(max_length=64)
    scores_snapshot = models.JSONField()
    new_status = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"{self.candidate.cmo} selected by {self.signed_by}"

    def signed_name(self) -> str:
        full, username = self.signed_by.get_full_name(), self.signed_by.get_username()
        return f"{full} ({username})" if full else username


class ComparisonReport(RenderedReport):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reports")
    candidates = models.ManyToManyField(Candidate, related_name="+")
    with_decision = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Comparison report {self.pk} for {self.evaluation}"

    def get_absolute_url(self) -> str:
        return reverse("scoring:comparisonreport_download", args=[self.pk])

    @property
    def filename(self) -> str:
        return f"comparison-{self.evaluation_id}-{self.pk}.pdf"

    def storage_folder(self) -> str:
        return "scoring/reports"


class CmoScore(models.Model):
    """A CMO's qualification score outside any evaluation: the default model, no needs."""

    cmo = models.OneToOneField(Cmo, on_delete=models.CASCADE, related_name="qualification_score")
    total = models.FloatField(null=True, blank=True)
    knocked_out = models.BooleanField(default=False)
    breakdown = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField()
    # Derived from the CMO's inputs: a merge of two CMOs leaves it (the kept CMO's is recomputed).
    recomputed_after_merge = True

    class Meta:
        ordering = ["-total"]

    def __str__(self) -> str:
        return f"{self.cmo}: {self.total}"

    @property
    def knockout_reasons(self) -> list[str]:
        """Why the CMO is excluded: the knock-outs its breakdown records, in criterion order."""
        return [row["knockout"] for row in self.breakdown if row.get("knockout")]
