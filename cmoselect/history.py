"""Change history of regulated records: writing it (who and why) and reading it back.

Every service, importer and seed writes a regulated record through `save_with_history` or
`delete_with_history`, so the "say why" rule lives here once. `stamp` only marks an instance for
the bulk writers (`bulk_create_with_history`, `cmoselect.bulk`), which save many rows at once.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from simple_history.utils import get_m2m_reverse_field_name

CHANGE_REASON_REQUIRED = "Say why this record is being changed."
STATUS_REASON_REQUIRED = "A reason is required for a status change."
CREATED = "Created"


def require_reason(
    reason: str | None,
    *,
    field_name: str = "change_reason",
    message: str = CHANGE_REASON_REQUIRED,
) -> str:
    """The reason trimmed, or a ValidationError on `field_name` when there is none."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field_name: message})
    return reason


def stamp(instance: models.Model, *, user: User | None, reason: str) -> models.Model:
    """Mark `instance` so the history row its next save (or bulk write) makes names who and why."""
    instance._history_user = user
    instance._change_reason = reason
    return instance


def save_with_history(
    instance: models.Model,
    *,
    user: User | None,
    reason: str = "",
    clean: bool = False,
    save_m2m: Callable[[], None] | None = None,
    update_fields: list[str] | None = None,
) -> models.Model:
    """Save `instance` with a history entry naming `user` and `reason`, in one transaction.

    A change to an existing record needs a reason; a new one defaults to "Created". With
    `clean`, the model's own validation runs first (forms and serializers that have not run it).
    """
    if instance.pk is not None and not instance._state.adding:
        # The message names the record, as it shows beside the form's reason field.
        reason = require_reason(
            reason, message=f"Say why this {instance._meta.verbose_name} is being changed."
        )
    else:
        reason = (reason or "").strip() or CREATED
    stamp(instance, user=user, reason=reason)
    with transaction.atomic():
        if clean:
            instance.full_clean(validate_unique=True)
        instance.save(update_fields=update_fields)
        if save_m2m is not None:
            save_m2m()
    return instance


def delete_with_history(instance: models.Model, *, user: User | None, reason: str) -> None:
    """Delete `instance`, leaving a history entry of the removal with who and why."""
    reason = require_reason(
        reason, message=f"Say why this {instance._meta.verbose_name} is removed."
    )
    stamp(instance, user=user, reason=reason)
    with transaction.atomic():
        instance.delete()


@dataclass
class HistoryRow:
    when: object
    who: object
    kind: str
    reason: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    subject: str = ""  # which row of a child table the entry is about (a milestone, a citation)
    # Many-to-many fields changed in this entry: (label, added, removed), each a list of labels.
    set_changes: list[tuple[str, list[str], list[str]]] = field(default_factory=list)

    @property
    def who_name(self) -> str:
        return display_name(self.who)


def display_name(user: User | None) -> str:
    """A person as the app names them: the full name, or the username when there is none."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _label(related: models.Model) -> str:
    # A user's str() is the username; history names people the way the rest of the app does.
    if isinstance(related, AbstractBaseUser):
        return display_name(related)
    return str(related)


_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}
_SAME_SAVE_SECONDS = 2


def history_rows(history_qs, *, limit: int = 50) -> list[HistoryRow]:
    """The newest `limit` entries, each with its field changes.

    One query for the entries, and two for each many-to-many field the history tracks (which
    related rows each entry held, and their names), however many entries there are.
    """
    records = list(history_qs.select_related("history_user").order_by("-history_date")[: limit + 1])
    if not records:  # a record bulk-created or imported before its history was kept
        return []
    rows = []
    model = history_qs.model.instance_type
    m2m_fields = list(getattr(history_qs.model, "_history_m2m_fields", []))
    excluded = [m2m.name for m2m in m2m_fields]
    members = _m2m_members(history_qs.model, m2m_fields, records)
    set_changes = _set_changes(m2m_fields, members, records)
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(rows) == limit:
            break
        changes = field_changes(newer, older, model=model, excluded=excluded)
        rows.append(
            HistoryRow(
                when=newer.history_date,
                who=newer.history_user,
                kind=_KINDS.get(newer.history_type, newer.history_type),
                reason=newer.history_change_reason or "",
                changes=changes,
                set_changes=set_changes.get(newer.history_id, []),
            )
        )
    return _merge_set_steps(rows)


def field_changes(
    newer, older, *, model: type[models.Model], excluded: list[str] | None = None
) -> list[tuple[str, object, object]]:
    """What changed from one history entry of a record to the next: (field label, old, new).

    Values are shown as the pages show them (a choice by its label); no query is made.
    """
    if older is None:
        return []
    delta = newer.diff_against(older, excluded_fields=excluded or [], foreign_keys_are_objs=False)
    changes = []
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
    return changes


def _merge_set_steps(rows: list[HistoryRow]) -> list[HistoryRow]:
    """Fold a many-to-many-only entry into the entry just before it from the same save.

    Saving a form writes the record, then replaces its many-to-many rows in two steps (remove,
    add), each one a history entry; together they are one change.
    """
    merged: list[HistoryRow] = []
    for row in reversed(rows):  # oldest first
        last = merged[-1] if merged else None
        if (
            last is not None
            and row.set_changes
            and not row.changes
            and (row.who, row.reason) == (last.who, last.reason)
            and (row.when - last.when).total_seconds() < _SAME_SAVE_SECONDS
        ):
            last.set_changes = _combine(last.set_changes, row.set_changes)
            continue
        merged.append(row)
    merged.reverse()
    return merged


def _combine(first: list[tuple], then: list[tuple]) -> list[tuple]:
    combined = {label: (set(added), set(removed)) for label, added, removed in first}
    for label, added, removed in then:
        before_added, before_removed = combined.get(label, (set(), set()))
        combined[label] = (
            (before_added - set(removed)) | set(added),
            (before_removed - set(added)) | set(removed),
        )
    return [
        (label, sorted(added), sorted(removed))
        for label, (added, removed) in combined.items()
        if added or removed
    ]


def _m2m_members(history_model, m2m_fields, records) -> dict[str, dict[int, set]]:
    """For each many-to-many field, the related pks each history entry held; one query a field."""
    history_ids = [record.history_id for record in records]
    members: dict[str, dict[int, set]] = {}
    for m2m in m2m_fields:
        through = getattr(history_model, m2m.name).model
        target = through._meta.get_field(get_m2m_reverse_field_name(m2m)).attname
        held: dict[int, set] = defaultdict(set)
        rows = through.objects.filter(history_id__in=history_ids).values_list("history_id", target)
        for history_id, related_id in rows:
            held[history_id].add(related_id)
        members[m2m.name] = held
    return members


def _set_changes(m2m_fields, members, records) -> dict[int, list[tuple[str, list, list]]]:
    """Per history entry, the related rows added to and removed from each many-to-many field."""
    deltas: dict[int, list[tuple]] = defaultdict(list)
    for m2m in m2m_fields:
        held = members[m2m.name]
        pairs = []
        for newer, older in zip(records, records[1:], strict=False):
            new, old = held[newer.history_id], held[older.history_id]
            if new != old:
                pairs.append((newer.history_id, new - old, old - new))
        ids = set().union(*(added | removed for _, added, removed in pairs))
        found = m2m.related_model._default_manager.in_bulk(ids) if ids else {}

        def labels(pks, found=found) -> list[str]:
            return sorted(_label(found[pk]) if pk in found else f"#{pk} (deleted)" for pk in pks)

        for history_id, added, removed in pairs:
            deltas[history_id].append((str(m2m.verbose_name), labels(added), labels(removed)))
    return deltas


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
            changes = field_changes(record, older, model=model)
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
