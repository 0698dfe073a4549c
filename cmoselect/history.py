"""Readable change history of a regulated record, from django-simple-history rows."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class HistoryRow:
    when: object
    who: object
    kind: str
    reason: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    subject: str = ""  # which row of a child table the entry is about (a milestone, a citation)


_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def history_rows(history_qs, *, limit: int = 50) -> list[HistoryRow]:
    """The newest `limit` entries, each with its field changes; two queries in all."""
    records = list(history_qs.select_related("history_user").order_by("-history_date")[: limit + 1])
    rows = []
    model = history_qs.model.instance_type
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(rows) == limit:
            break
        changes = []
        if older is not None:
            delta = newer.diff_against(older, foreign_keys_are_objs=False)
            for change in delta.changes:
                try:
                    model_field = model._meta.get_field(change.field)
                except Exception:  # noqa: BLE001 - a removed field still shows by name
                    changes.append((change.field, change.old, change.new))
                    continue
                changes.append(
                    (
                        str(model_field.verbose_name),
                        _display(model_field, change.old),
                        _display(model_field, change.new),
                    )
                )
        rows.append(
            HistoryRow(
                when=newer.history_date,
                who=newer.history_user,
                kind=_KINDS.get(newer.history_type, newer.history_type),
                reason=newer.history_change_reason or "",
                changes=changes,
            )
        )
    return rows


def _display(model_field, value):
    if model_field.choices and value not in (None, ""):
        return dict(model_field.flatchoices).get(value, value)
    return value


def child_history_rows(
    history_qs, *, label: str, name_of: Callable[[object], str]
) -> list[HistoryRow]:
    """Every addition, change and removal of the rows of a child table, each named by `name_of`.

    `history_qs` holds the historical rows under one parent (a contract's milestones, an
    inspection's citations), removed rows included; one query. Rows added together (same person,
    reason and minute: a pre-filled matrix, an imported file) read as one entry.
    """
    model = history_qs.model.instance_type
    records = list(
        history_qs.select_related("history_user").order_by("id", "history_date", "history_id")
    )
    rows: list[HistoryRow] = []
    created: dict[tuple, HistoryRow] = {}
    previous = None
    for record in records:
        older = previous if previous is not None and previous.id == record.id else None
        previous = record
        if record.history_type == "+":
            key = (
                record.history_user_id,
                record.history_change_reason,
                record.history_date.replace(second=0, microsecond=0),
            )
            if key in created:
                created[key].subject += f"; {name_of(record)}"
                continue
            row = HistoryRow(
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
                model_field = model._meta.get_field(change.field)
                changes.append(
                    (
                        str(model_field.verbose_name),
                        _display(model_field, change.old),
                        _display(model_field, change.new),
                    )
                )
        rows.append(
            HistoryRow(
                when=record.history_date,
                who=record.history_user,
                kind=f"{label} {'removed' if record.history_type == '-' else 'changed'}",
                reason=record.history_change_reason or "",
                changes=changes,
                subject=name_of(record),
            )
        )
    return rows
