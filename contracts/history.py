"""One change history for a contract and the rows of its term tables."""

from dataclasses import dataclass

from cmoselect.history import HistoryRow, history_rows
from contracts.models import Contract, Kpi, Milestone, ResponsibilityItem, ScopeItem

# (model, label, how a historical row names its record without further queries)
ITEM_TABLES = (
    (ScopeItem, "Scope", lambda r: r.product),
    (Milestone, "Milestone", lambda r: r.name),
    (Kpi, "KPI", lambda r: r.name or Kpi.Kind(r.kind).label),
    (ResponsibilityItem, "Quality responsibility", lambda r: r.activity),
)


@dataclass
class TermsHistoryRow(HistoryRow):
    subject: str = ""


def _display(field, value):
    if field.choices and value not in (None, ""):
        return dict(field.flatchoices).get(value, value)
    return value


def _item_rows(model, label: str, name_of, contract: Contract) -> list[TermsHistoryRow]:
    records = list(
        model.history.filter(contract_id=contract.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    rows: list[TermsHistoryRow] = []
    created: dict[tuple, TermsHistoryRow] = {}
    previous = None
    for record in records:
        older = previous if previous is not None and previous.id == record.id else None
        previous = record
        if record.history_type == "+":
            # Rows added together (a pre-filled matrix, a new set of KPIs) read as one entry.
            key = (
                record.history_user_id,
                record.history_change_reason,
                record.history_date.replace(second=0, microsecond=0),
            )
            if key in created:
                created[key].subject += f"; {name_of(record)}"
                continue
            row = TermsHistoryRow(
                when=record.history_date,
                who=record.history_user,
                kind=f"{label} added",
                reason=record.history_change_reason or "",
                subject=name_of(record),
            )
            created[key] = row
            rows.append(row)
            continue
        changes = []
        if older is not None and record.history_type == "~":
            for change in record.diff_against(older, foreign_keys_are_objs=False).changes:
                field = model._meta.get_field(change.field)
                changes.append(
                    (
                        str(field.verbose_name),
                        _display(field, change.old),
                        _display(field, change.new),
                    )
                )
        rows.append(
            TermsHistoryRow(
                when=record.history_date,
                who=record.history_user,
                kind=f"{label} {'removed' if record.history_type == '-' else 'changed'}",
                reason=record.history_change_reason or "",
                changes=changes,
                subject=name_of(record),
            )
        )
    return rows


def terms_history(contract: Contract, *, limit: int = 100) -> list[TermsHistoryRow]:
    """Every change to the contract and its terms, newest first; two queries per table."""
    rows = [
        TermsHistoryRow(**vars(row), subject="")
        for row in history_rows(contract.history.all(), limit=limit)
    ]
    for model, label, name_of in ITEM_TABLES:
        rows.extend(_item_rows(model, label, name_of, contract))
    rows.sort(key=lambda row: row.when, reverse=True)
    return rows[:limit]
