"""One change history for an evaluation: its own fields, its candidates and their entered scores."""

from cmoselect.history import HistoryRow, child_history_rows, history_rows
from scoring.models import Candidate, EnteredScore, Evaluation, ModelVersion

WEIGHTS_LABEL = str(Evaluation._meta.get_field("model_version").verbose_name)


def evaluation_history(evaluation: Evaluation, *, limit: int = 100) -> list[HistoryRow]:
    """Every change to the evaluation, its candidates, entered scores and weights, newest first."""
    rows = history_rows(evaluation.history.all(), limit=limit)
    history = Candidate.history.filter(evaluation_id=evaluation.pk)
    # Removed candidates are named too, so the names come from the history, not the table.
    cmo_of = dict(history.values_list("id", "cmo__legal_name").distinct())
    rows += child_history_rows(history, label="Candidate", name_of=lambda r: cmo_of.get(r.id, ""))
    rows += child_history_rows(
        EnteredScore.history.filter(candidate_id__in=list(cmo_of)),
        label="Entered score",
        name_of=lambda r: (
            f"{r.criterion_code.replace('_', ' ')} of {cmo_of.get(r.candidate_id, '')}"
            f" = {r.value.normalize():f}"
        ),
    )
    _name_versions(rows)
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit]


def _name_versions(rows: list[HistoryRow]) -> None:
    # The evaluation's history keeps the version's id; a reader needs "Model v2".
    ids = {
        value
        for row in rows
        for label, *values in row.changes
        if label == WEIGHTS_LABEL
        for value in values
        if value
    }
    if not ids:
        return
    names = {
        v.pk: str(v)
        for v in ModelVersion.objects.filter(pk__in=ids).select_related("scoring_model")
    }
    for row in rows:
        row.changes = [
            (label, names.get(old, old), names.get(new, new))
            if label == WEIGHTS_LABEL
            else (label, old, new)
            for label, old, new in row.changes
        ]
