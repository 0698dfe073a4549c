"""Readable change history of a regulated record, from django-simple-history rows."""

from dataclasses import dataclass, field


@dataclass
class HistoryRow:
    when: object
    who: object
    kind: str
    reason: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)


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
                    label = model._meta.get_field(change.field).verbose_name
                except Exception:  # noqa: BLE001 - a removed field still shows by name
                    label = change.field
                changes.append((str(label), change.old, change.new))
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
