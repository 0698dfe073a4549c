"""One change history for a contract and the rows of its term tables."""

from cmoselect.history import HistoryRow, child_history_rows, history_rows
from contracts.models import Contract, Kpi, Milestone, ResponsibilityItem, ScopeItem

# (model, label, how a historical row names its record without further queries)
ITEM_TABLES = (
    (ScopeItem, "Scope", lambda r: r.product),
    (Milestone, "Milestone", lambda r: r.name),
    (Kpi, "KPI", lambda r: r.name or Kpi.Kind(r.kind).label),
    (ResponsibilityItem, "Quality responsibility", lambda r: r.activity),
)


def terms_history(contract: Contract, *, limit: int = 100) -> list[HistoryRow]:
    """Every change to the contract and its terms, newest first; two queries per table."""
    rows = history_rows(contract.history.all(), limit=limit)
    for model, label, name_of in ITEM_TABLES:
        rows.extend(
            child_history_rows(
                model.history.filter(contract_id=contract.pk), label=label, name_of=name_of
            )
        )
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit]
