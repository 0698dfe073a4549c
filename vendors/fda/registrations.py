"""Establishment registrations (DECRS): the registry's entries, one per FEI.

A registration creates or updates the registry entry of its FEI; the sponsor's directory is
left as it was (a directory site is linked to its entry by FEI). The DECRS export lists an
establishment once per registration, so the rows of one FEI are merged into one entry: read
once over the file, they are applied at the FEI's first row, and its later rows change nothing.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from cmoselect.bulk import AnyOf, insert_objects_with_history
from vendors.fda.context import Context, Preview, Rows, Tally
from vendors.fda.formats import Format
from vendors.fda.records import RegistrationRecord, RowError
from vendors.models import Establishment, ImportRun

# The fields of an entry a registration sets, as the record names them.
REGISTERED_FIELDS = {
    "firm_name": "firm_name",
    "duns": "duns",
    "registrant_name": "registrant_name",
    "registrant_duns": "registrant_duns",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
    "registration_expires": "expires",
}


@dataclass
class RegistrationPlan:
    new: list[Establishment] = field(default_factory=list)
    changed: list[Establishment] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)  # pks of the existing entries the rows list
    fields: set[str] = field(default_factory=lambda: {"updated_at"})

    def write(self, ctx: Context, tally: Tally) -> None:
        insert_objects_with_history(self.new, **ctx.history)
        if self.changed:
            now = timezone.now()
            for establishment in self.changed:
                establishment.updated_at = now
            bulk_update_with_history(
                self.changed,
                Establishment,
                fields=sorted(self.fields),
                default_user=ctx.user,
                default_change_reason=ctx.reason,
            )
        # Where it was last seen is bookkeeping, not a change of the entry: no history row.
        Establishment.objects.filter(pk__in=self.seen).update(last_seen_run=ctx.run)

    def remember(self, preview: Preview) -> None:
        """Nothing to remember: every FEI is planned once, at its first row."""


def plan_registrations(chunk: Rows, ctx: Context, tally: Tally) -> RegistrationPlan:
    """Which registry entries of a chunk are new and which changed; repeated FEIs merged."""
    repeats = ctx.registrations
    records: list[RegistrationRecord] = []
    for number, record in chunk:
        merged = repeats.get(record.fei)
        if merged is not None:
            first, record = merged
            if number != first:  # merged into the entry at the FEI's first row
                tally.unchanged += 1
                continue
        records.append(record)
    existing = {
        e.fei: e for e in Establishment.objects.filter(AnyOf(F("fei"), {r.fei for r in records}))
    }
    plan = RegistrationPlan()
    for record in records:
        establishment = existing.get(record.fei)
        if establishment is None:
            plan.new.append(_new_establishment(record, ctx.run))
            tally.created += 1
            continue
        plan.seen.add(establishment.pk)
        if _update(plan, establishment, record):
            plan.changed.append(establishment)
            tally.updated += 1
        else:
            tally.unchanged += 1
    return plan


def _new_establishment(record: RegistrationRecord, run: ImportRun) -> Establishment:
    establishment = Establishment(
        fei=record.fei,
        registered=True,
        last_seen_run=run,
        **{name: getattr(record, attr) for name, attr in REGISTERED_FIELDS.items()},
    )
    establishment.set_operations(record.operations)
    return establishment


def _update(plan: RegistrationPlan, establishment: Establishment, record: RegistrationRecord):
    """Bring an entry up to its registration; False when it already is."""
    changed = False
    wanted = {name: getattr(record, attr) for name, attr in REGISTERED_FIELDS.items()}
    wanted["registered"] = True
    for name, value in wanted.items():
        current = getattr(establishment, name)
        if name == "country":
            current = current.code if current else ""
        if current != value:
            setattr(establishment, name, value)
            plan.fields.add(name)
            changed = True
    operations, key = establishment.operations, establishment.operations_key
    establishment.set_operations(record.operations)
    if (establishment.operations, establishment.operations_key) != (operations, key):
        plan.fields.update({"operations", "operations_key"})
        changed = True
    return changed


def prepare_registrations(
    rows: list[tuple[int, tuple]], fmt: Format, columns: dict[str, int], ctx: Context
) -> None:
    """Before the first chunk is planned: FEI → (its first row, its rows merged) for each FEI
    the file lists more than once, from the rows of the one reading of the file."""
    first: dict[str, tuple[int, RegistrationRecord]] = {}
    repeated: set[str] = set()
    for number, values in rows:
        row = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
        try:
            record = fmt.parse(row)
        except RowError:
            continue
        if record.fei in first:
            repeated.add(record.fei)
            first[record.fei] = (first[record.fei][0], merge(first[record.fei][1], record))
        else:
            first[record.fei] = (number, record)
    ctx.registrations = {fei: first[fei] for fei in repeated}


def merge(one: RegistrationRecord, other: RegistrationRecord) -> RegistrationRecord:
    """Two registrations of one establishment as one: the first non-blank value of each field,
    every operation of both, the later expiry."""
    values = {}
    for name in RegistrationRecord.__dataclass_fields__:
        mine, theirs = getattr(one, name), getattr(other, name)
        values[name] = mine if mine else theirs
    values["operations"] = sorted(set(one.operations) | set(other.operations))
    dates = [d for d in (one.expires, other.expires) if d]
    values["expires"] = max(dates) if dates else None
    return RegistrationRecord(**values)


def establishments_mark_unlisted(*, run: ImportRun, user) -> int:
    """Mark the registered entries a committed DECRS import did not list as no longer
    registered (never deleted: their history and events stay); returns how many."""
    unlisted = list(Establishment.objects.filter(registered=True).exclude(last_seen_run=run))
    if not unlisted:
        return 0
    now = timezone.now()
    for establishment in unlisted:
        establishment.registered, establishment.updated_at = False, now
    bulk_update_with_history(
        unlisted,
        Establishment,
        fields=["registered", "updated_at"],
        default_user=user,
        default_change_reason=f"Not listed in {run.original_name}",
    )
    return len(unlisted)
