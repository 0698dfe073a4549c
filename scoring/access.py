"""Permission-checked getters, one per entity: fetch and authorize in one call (403 or 404).

Candidates and comparison reports follow their evaluation's rule.
"""

from django.contrib.auth.models import User

from cmoselect.roles import Perm, get_for
from scoring.models import Candidate, ComparisonReport, Evaluation, ScoringModel

EVALUATION_WRITE = Perm.EDIT_EVALUATIONS


def get_evaluation_for(user: User, pk: int, *, write: bool = False) -> Evaluation:
    queryset = Evaluation.objects.select_related(
        "scoring_model", "scored_version", "modality", "model_version__scoring_model"
    )
    return get_for(user, queryset, pk, write=write, write_perm=EVALUATION_WRITE)


def get_candidate_for(user: User, pk: int, *, write: bool = False) -> Candidate:
    queryset = Candidate.objects.select_related("cmo", "evaluation__scoring_model")
    return get_for(user, queryset, pk, write=write, write_perm=EVALUATION_WRITE)


def get_comparison_report_for(user: User, pk: int, *, write: bool = False) -> ComparisonReport:
    queryset = ComparisonReport.objects.select_related("evaluation")
    return get_for(user, queryset, pk, write=write, write_perm=EVALUATION_WRITE)


def get_scoring_model_for(user: User, pk: int, *, write: bool = False) -> ScoringModel:
    # An evaluation's own weights change on the evaluation's page, never as a shared model.
    queryset = ScoringModel.objects.shared() if write else ScoringModel.objects.all()
    queryset = queryset.select_related("owner")
    return get_for(user, queryset, pk, write=write, write_perm=EVALUATION_WRITE)
