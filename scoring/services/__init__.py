"""Scoring workflows. Views, the API, tasks and commands call these; they never save state."""

from scoring.services.computation import (
    cmo_scores_compute,
    evaluation_compute,
    evaluation_scores_content,
    evaluation_scores_hash,
)
from scoring.services.decisions import (
    FORWARD_STATUSES,
    approval_refusal,
    candidates_gate,
    decision_sign,
)
from scoring.services.evaluations import (
    candidate_remove,
    candidates_add,
    entered_score_save,
    evaluation_cancel,
    evaluation_save,
    evaluation_start,
    evaluation_version_move,
    evaluation_weights_save,
)
from scoring.services.models import (
    WEIGHTS_REASON_REQUIRED,
    criteria_validate,
    criterion_dict,
    model_version_create,
    scoring_model_create,
)
from scoring.services.recompute import evaluation_request_recompute, scores_inputs_changed
from scoring.services.reports import (
    report_context,
    report_render,
    report_request,
    scores_csv,
    scores_xlsx,
)

__all__ = [
    "FORWARD_STATUSES",
    "WEIGHTS_REASON_REQUIRED",
    "approval_refusal",
    "candidate_remove",
    "candidates_add",
    "candidates_gate",
    "cmo_scores_compute",
    "criteria_validate",
    "criterion_dict",
    "decision_sign",
    "entered_score_save",
    "evaluation_cancel",
    "evaluation_compute",
    "evaluation_request_recompute",
    "evaluation_save",
    "evaluation_scores_content",
    "evaluation_scores_hash",
    "evaluation_start",
    "evaluation_version_move",
    "evaluation_weights_save",
    "model_version_create",
    "report_context",
    "report_render",
    "report_request",
    "scores_csv",
    "scores_inputs_changed",
    "scores_xlsx",
    "scoring_model_create",
]
