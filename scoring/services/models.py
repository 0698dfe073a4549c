"""Shared scoring models and their versions: criteria, weights and why they changed."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from cmoselect.roles import Perm, check_perm
from scoring.models import Criterion, Evaluation, ModelVersion, ScoringModel, Source
from scoring.services.recompute import _enqueue_cmo_scores


def criteria_validate(criteria: Sequence[dict]) -> None:
    """Check a set of criteria: distinct codes, weights 0–100 that add up to exactly 100."""
    if not criteria:
        raise ValidationError({"weights": "A scoring model needs at least one criterion."})
    codes = [c["code"] for c in criteria]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationError(
            {"criteria": f"Each criterion needs its own code: {', '.join(duplicates)}."}
        )
    bad = [c["name"] for c in criteria if not 0 <= int(c["weight"]) <= 100]
    if bad:
        raise ValidationError({"weights": f"Weights run from 0 to 100 ({', '.join(bad)})."})
    total = sum(int(c["weight"]) for c in criteria)
    if total != 100:
        raise ValidationError(
            {"weights": f"The weights add up to {total}; they must add up to exactly 100."}
        )
    unknown = [c["source"] for c in criteria if c["source"] not in Source.values]
    if unknown:
        raise ValidationError({"criteria": f"Unknown source: {', '.join(unknown)}."})


WEIGHTS_REASON_REQUIRED = "Say why the weights change; it is kept in the history."


def model_version_create(
    *, scoring_model: ScoringModel, criteria: Sequence[dict], user, note: str
) -> ModelVersion:
    """Save a new version of a shared scoring model; its evaluations keep the version they use.

    Only the directory's qualification scores follow the default model at once: an open
    evaluation moves to the new version when someone chooses to (`evaluation_version_move`).
    """
    check_perm(user, Perm.EDIT_EVALUATIONS)
    if not scoring_model.is_shared:
        raise ValidationError(
            "These weights belong to one evaluation; change them on that evaluation's page."
        )
    with transaction.atomic():
        # Evaluations that never pinned a version stay on the one they were scored with.
        current = scoring_model.current_version
        if current is not None:
            Evaluation.objects.filter(
                scoring_model=scoring_model, model_version__isnull=True
            ).update(model_version=current)
        version = _version_write(
            scoring_model=scoring_model, criteria=criteria, user=user, note=note
        )
        if scoring_model.is_default:
            _enqueue_cmo_scores(None)
    return version


def _version_write(
    *, scoring_model: ScoringModel, criteria: Sequence[dict], user, note: str
) -> ModelVersion:
    criteria_validate(criteria)
    if not note.strip():
        raise ValidationError({"note": WEIGHTS_REASON_REQUIRED})
    with transaction.atomic():
        ScoringModel.objects.select_for_update().get(pk=scoring_model.pk)
        top = scoring_model.versions.aggregate(top=Max("number"))["top"] or 0
        version = ModelVersion.objects.create(
            scoring_model=scoring_model, number=top + 1, note=note.strip(), created_by=user
        )
        Criterion.objects.bulk_create(
            Criterion(
                version=version,
                code=c["code"],
                name=c["name"],
                source=c["source"],
                weight=int(c["weight"]),
                knockout=bool(c.get("knockout")),
                position=position,
            )
            for position, c in enumerate(criteria)
        )
    return version


def scoring_model_create(
    *, name: str, description: str, based_on: ScoringModel, user
) -> ScoringModel:
    """Create a scoring model starting from another model's current criteria."""
    if ScoringModel.objects.shared().filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": "A scoring model with this name exists already."})
    criteria = [criterion_dict(c) for c in based_on.current_version.criteria.all()]
    with transaction.atomic():
        scoring_model = ScoringModel.objects.create(name=name.strip(), description=description)
        model_version_create(
            scoring_model=scoring_model,
            criteria=criteria,
            user=user,
            note=f"Created from {based_on.name} v{based_on.current_version.number}",
        )
    return scoring_model


def criterion_dict(criterion: Criterion) -> dict:
    return {
        "code": criterion.code,
        "name": criterion.name,
        "source": criterion.source,
        "weight": criterion.weight,
        "knockout": criterion.knockout,
    }
