"""Regulatory events from the Data Dashboard: inspections, compliance actions, 483s, recalls."""

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from cmoselect.bulk import AnyOf, insert_with_history
from vendors.fda.context import (
    Context,
    EventKey,
    NewRow,
    Preview,
    Rows,
    Sites,
    Tally,
    find_sites,
    imported_event,
    site_key,
)
from vendors.fda.records import EventRecord
from vendors.models import Agency, RegulatoryEvent
from vendors.models.regulatory import Source


@dataclass
class EventPlan:
    sites: Sites
    creates: dict[EventKey, NewRow] = field(default_factory=dict)
    changes: dict[int, dict] = field(default_factory=dict)  # event pk → {field: new value}
    names: list[str] = field(default_factory=list)  # the fields the rows give, sorted
    # In a preview, the events this chunk changes → fingerprint of the values they would hold.
    held: dict[EventKey, int] = field(default_factory=dict)

    def write(self, ctx: Context, tally: Tally) -> None:
        self.sites.write(ctx, tally)
        rows = [new.row() for new in self.creates.values()]
        insert_with_history(RegulatoryEvent, rows, **ctx.history)
        if self.changes:
            _update_events(self.changes, ctx)

    def remember(self, preview: Preview) -> None:
        self.sites.remember(preview)
        for key, new in self.creates.items():
            preview.events[key] = _fingerprint(new.values, self.names)
        preview.events.update(self.held)


def plan_events(chunk: Rows, ctx: Context, tally: Tally) -> EventPlan:
    """Which events of a chunk are new, which changed; the same event twice: the later row wins."""
    sites, rows = find_sites(chunk, ctx, tally)
    names = sorted({"event_date", *(n for _, record in rows for n in record.fields)})
    plan = EventPlan(sites=sites, names=names)
    existing = _existing_events(sites, rows, names)
    for number, record in rows:
        site = sites[record.fei]
        key = EventKey(site_key(site), *record.key)
        values = {"event_date": record.event_date, **record.fields}
        if key in plan.creates:
            pending = plan.creates[key].values
            changed = {n: v for n, v in values.items() if pending[n] != v}
            pending.update(changed, source_row=number)
            _count(tally, changed=bool(changed))
            continue
        held = plan.held.get(key, ctx.preview.events.get(key))
        if held is not None:  # created or changed by an earlier row of this preview
            now = _fingerprint(values, names)
            plan.held[key] = now
            _count(tally, changed=now != held)
            continue
        found = existing.get(key)
        if found is None:
            plan.creates[key] = NewRow(site, _new_event(record, number, ctx, values))
            tally.created += 1
        elif not _plan_change(plan, existing, key, values, names=names, number=number, ctx=ctx):
            tally.unchanged += 1
            continue
        else:
            tally.updated += 1
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    return plan


_KEY_FIELDS = EventKey._fields[1:]  # the key's other fields, after the establishment


def _existing_events(sites: Sites, rows: Rows, names: list[str]) -> dict[tuple, tuple]:
    """Event key → (pk, source, *values of `names`) for the FDA events the rows may match.

    Plain values, not model instances: most rows of a re-import are unchanged.
    """
    columns = ("establishment_id", *_KEY_FIELDS)
    return {
        values[: len(columns)]: values[len(columns) :]
        for values in RegulatoryEvent.objects.filter(
            AnyOf(F("establishment_id"), sites.ids()),
            AnyOf(F("reference"), {record.reference for _, record in rows}),
            agency=Agency.FDA,
        ).values_list(*columns, "pk", "source", *names)
    }


def _new_event(record: EventRecord, number: int, ctx: Context, values: dict) -> dict:
    return imported_event(
        number,
        ctx,
        kind=record.kind,
        reference=record.reference,
        project_area=record.project_area,
        product_id=record.product_id,
        **values,
    )


def _plan_change(plan, existing, key, values, *, names, number, ctx) -> bool:
    """Plan the change of an existing event to the row's values; False when nothing differs."""
    pk, source, *current = existing[key]
    now = dict(zip(names, current, strict=True))
    changed = {n: v for n, v in values.items() if now[n] != v}
    if not changed:
        return False
    # A later row of the same event in this file compares with what this row leaves.
    existing[key] = (pk, source, *(changed.get(n, now[n]) for n in names))
    if source == Source.IMPORT:
        changed.update(import_run_id=ctx.run.pk, source_row=number)
    plan.changes[pk] = {**plan.changes.get(pk, {}), **changed}
    if not ctx.commit:
        plan.held[key] = _fingerprint({**now, **changed}, names)
    return True


def _fingerprint(values: dict, names: list[str]) -> int:
    """Which values of `names` an event holds, told apart by a hash: a preview keeps no more."""
    return hash(tuple(values.get(name) for name in names))


def _count(tally: Tally, *, changed: bool) -> None:
    if changed:
        tally.updated += 1
    else:
        tally.unchanged += 1


def _update_events(changes: dict[int, dict], ctx: Context) -> None:
    events = list(RegulatoryEvent.objects.filter(pk__in=changes))
    fields = {"updated_at"}
    now = timezone.now()
    for event in events:
        for name, value in changes[event.pk].items():
            setattr(event, name, value)
            fields.add(name)
        event.updated_at = now
    bulk_update_with_history(
        events,
        RegulatoryEvent,
        fields=sorted(fields),
        default_user=ctx.user,
        default_change_reason=ctx.reason,
    )
