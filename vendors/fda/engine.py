"""Apply an FDA export to the database, chunk by chunk, or only count what it would do.

Rows are parsed and checked in Python first; each chunk is then written in one transaction
with bulk inserts and updates (history included). Should a chunk still fail in the database,
its rows are retried one by one, so one bad row never takes its neighbours down with it and
never leaves half a record behind. A preview runs the same planning without writing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from cmoselect.bulk import AnyOf, insert_objects_with_history, insert_with_history
from vendors.fda.formats import (
    OPERATION_CAPABILITIES,
    Format,
    RowError,
    SiteHint,
    detect,
)
from vendors.fda.tables import open_table
from vendors.models import (
    Agency,
    Capability,
    CapabilityLevel,
    Citation,
    Cmo,
    EventKind,
    ImportRun,
    RegulatoryEvent,
    Site,
    SiteCapability,
)
from vendors.models.imports import MAX_STORED_ERRORS
from vendors.models.regulatory import Source

CHUNK_SIZE = 1000


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    sites_created: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    cmo_ids: set = field(default_factory=set)

    def error(self, row: int, message: str) -> None:
        self.skipped += 1
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "message": message})

    def add(self, other: "Tally") -> None:
        for name in ("created", "updated", "unchanged", "skipped", "sites_created", "error_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        room = MAX_STORED_ERRORS - len(self.errors)
        self.errors.extend(other.errors[:room])
        self.cmo_ids |= other.cmo_ids

    def counts(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "sites_created": self.sites_created,
            "error_count": self.error_count,
        }


@dataclass
class Context:
    run: ImportRun
    commit: bool
    create_missing: bool
    user: object = None
    # In a preview nothing is written, so sites and CMOs the file would create live here.
    pending_sites: dict = field(default_factory=dict)
    pending_cmos: dict = field(default_factory=dict)
    pending_keys: set = field(default_factory=set)
    capability_ids: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return f"Imported from {self.run.original_name}"

    def stamp(self, obj):
        obj._history_user = self.user
        obj._change_reason = self.reason
        return obj


ProgressFn = Callable[[int, int | None], None]


def import_file(
    *, run: ImportRun, path: Path, commit: bool, progress: ProgressFn | None = None
) -> tuple[Format, Tally]:
    """Read every row of the file; raises HeaderProblem or FileProblem for an unusable file."""
    ctx = Context(run=run, commit=commit, create_missing=run.create_missing, user=run.uploaded_by)
    ctx.capability_ids = dict(
        Capability.objects.filter(code__in=set(OPERATION_CAPABILITIES.values())).values_list(
            "code", "pk"
        )
    )
    tally = Tally()
    with open_table(path, run.original_name) as table:
        fmt = detect(table.header)
        columns = fmt.column_map(table.header)
        apply = APPLIERS[fmt.code]
        if progress:
            progress(0, table.total)
        chunk: list = []
        seen = 0
        for number, values in table.rows:
            seen += 1
            row = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
            try:
                chunk.append((number, fmt.parse(row)))
            except RowError as error:
                tally.error(number, str(error))
            if len(chunk) >= CHUNK_SIZE:
                _apply_chunk(apply, chunk, ctx, tally)
                chunk = []
                if progress:
                    progress(seen, table.total)
        if chunk:
            _apply_chunk(apply, chunk, ctx, tally)
        if progress:
            progress(seen, seen)
    return fmt, tally


def _apply_chunk(apply, chunk: list, ctx: Context, tally: Tally) -> None:
    if not ctx.commit:
        local = Tally()
        apply(chunk, ctx, local)
        tally.add(local)
        return
    if _write(apply, chunk, ctx, tally) is None:
        return
    for item in chunk:  # the chunk failed in the database: find the row(s) to blame
        error = _write(apply, [item], ctx, tally)
        if error is not None:
            tally.error(item[0], f"could not be saved: {error}")


def _write(apply, items: list, ctx: Context, tally: Tally) -> DatabaseError | None:
    """Apply rows in one transaction; their counts join the tally only if it commits."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The chunks of an import need not wait for the disk one by one: the import's
                # final save (its status and counts) waits, and with it every chunk before it.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            local = Tally()
            apply(list(items), ctx, local)  # a copy: appliers drop the rows they report
    except DatabaseError as error:
        return error
    tally.add(local)
    return None


# ---------------------------------------------------------------- sites


class SiteRef(NamedTuple):
    """What an event row needs of an existing site (cheaper than a model instance)."""

    pk: int
    cmo_id: int
    fei_number: str


def _find_sites(chunk: list, ctx: Context, tally: Tally) -> dict[str, "Site | SiteRef"]:
    """FEI → site for the rows of a chunk; reports (or creates) the ones that match no site."""
    feis = {record.fei for _, record in chunk}
    sites = {
        fei: SiteRef(pk, cmo_id, fei)
        for pk, cmo_id, fei in Site.objects.filter(AnyOf(F("fei_number"), feis)).values_list(
            "pk", "cmo_id", "fei_number"
        )
    }
    sites.update({f: s for f, s in ctx.pending_sites.items() if f in feis})
    kept = []
    for number, record in chunk:
        if record.fei not in sites:
            if not ctx.create_missing:
                tally.error(
                    number,
                    f"FEI {record.fei} ({record.hint.legal_name or 'no name'}) matches no site; "
                    "choose 'create missing sites' to add it as a prospect",
                )
                continue
            sites[record.fei] = _create_site(record.fei, record.hint, ctx, tally)
        kept.append((number, record))
    chunk[:] = kept
    return sites


def _create_site(fei: str, hint: SiteHint, ctx: Context, tally: Tally) -> Site:
    name = hint.legal_name or f"FEI {fei}"
    cmo = (
        ctx.pending_cmos.get(name.casefold()) or Cmo.objects.filter(legal_name__iexact=name).first()
    )
    if cmo is None:
        cmo = Cmo(legal_name=name, headquarters_country=hint.country)
        if ctx.commit:
            ctx.stamp(cmo).save()
        else:
            ctx.pending_cmos[name.casefold()] = cmo
    site = Site(
        cmo=cmo,
        name=name,
        city=hint.city,
        state=hint.state,
        postal_code=hint.postal_code,
        country=hint.country,
        fei_number=fei,
        notes=f"Created by the import of {ctx.run.original_name}.",
    )
    if ctx.commit:
        ctx.stamp(site).save()
    else:
        ctx.pending_sites[fei] = site
    tally.sites_created += 1
    return site


def _site_key(site: Site):
    return site.pk or f"new:{site.fei_number}"


# ---------------------------------------------------------------- regulatory events


EVENT_KEY = ("site_id", "kind", "agency", "reference", "project_area", "product_id")


def _imported_event(site, number: int, ctx: Context, **values) -> dict:
    """The row of a new FDA event from line `number` of the file being imported."""
    return {
        "site_id": site.pk,
        "agency": Agency.FDA,
        "source": Source.IMPORT,
        "import_run_id": ctx.run.pk,
        "source_row": number,
        **values,
    }


def apply_events(chunk: list, ctx: Context, tally: Tally) -> None:
    sites = _find_sites(chunk, ctx, tally)
    site_ids = {s.pk for s in sites.values() if s.pk}
    references = {record.reference for _, record in chunk}
    names = sorted({"event_date", *(n for _, record in chunk for n in record.fields)})
    # Plain values, not model instances: most rows of a re-import are unchanged.
    existing = {
        values[: len(EVENT_KEY)]: values[len(EVENT_KEY) :]
        for values in RegulatoryEvent.objects.filter(
            AnyOf(F("site_id"), site_ids), AnyOf(F("reference"), references), agency=Agency.FDA
        ).values_list(*EVENT_KEY, "pk", "source", *names)
    }
    to_create: dict = {}
    changes: dict = {}  # event pk → {field: new value}
    for number, record in chunk:
        site = sites[record.fei]
        key = (_site_key(site), *record.key)
        values = {"event_date": record.event_date, **record.fields}
        if key in to_create:  # the same event twice in one chunk: the later row wins
            pending = to_create[key]
            changed = {n: v for n, v in values.items() if pending[n] != v}
            pending.update(changed, source_row=number)
            if changed:
                tally.updated += 1
            else:
                tally.unchanged += 1
            continue
        if key in ctx.pending_keys and key not in existing:
            tally.unchanged += 1  # already counted earlier in this preview
            continue
        found = existing.get(key)
        if found is None:
            to_create[key] = _imported_event(
                site,
                number,
                ctx,
                kind=record.kind,
                reference=record.reference,
                project_area=record.project_area,
                product_id=record.product_id,
                **values,
            )
            tally.created += 1
        else:
            pk, source, *current = found
            now = dict(zip(names, current, strict=True))
            changed = {n: v for n, v in values.items() if now[n] != v}
            if not changed:
                tally.unchanged += 1
                continue
            existing[key] = (pk, source, *(changed.get(n, now[n]) for n in names))
            if source == Source.IMPORT:
                changed.update(import_run_id=ctx.run.pk, source_row=number)
            changes[pk] = {**changes.get(pk, {}), **changed}
            tally.updated += 1
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    if not ctx.commit:
        ctx.pending_keys.update(to_create)
        return
    if to_create:
        insert_with_history(
            RegulatoryEvent, list(to_create.values()), user=ctx.user, reason=ctx.reason
        )
    if changes:
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


def apply_citations(chunk: list, ctx: Context, tally: Tally) -> None:
    """Citations attach to their inspection (created from the citation row when missing)."""
    sites = _find_sites(chunk, ctx, tally)
    inspections: dict = {}  # (site key, inspection ID) → [(pk, project area)], newest first
    for pk, site_id, reference, area in (
        RegulatoryEvent.objects.filter(
            AnyOf(F("site_id"), {s.pk for s in sites.values() if s.pk}),
            AnyOf(F("reference"), {record.inspection_id for _, record in chunk}),
            kind=EventKind.INSPECTION,
            agency=Agency.FDA,
        )
        .order_by("-event_date", "-pk")
        .values_list("pk", "site_id", "reference", "project_area")
    ):
        inspections.setdefault((site_id, reference), []).append((pk, area))

    def inspection_of(site, record) -> int | None:
        found = inspections.get((_site_key(site), record.inspection_id))
        if not found:
            return None
        return next((pk for pk, area in found if area == record.program_area), found[0][0])

    new_inspections: dict = {}
    for number, record in chunk:
        site = sites[record.fei]
        key = (_site_key(site), record.inspection_id)
        if inspection_of(site, record) is None and ("inspection", *key) not in ctx.pending_keys:
            new_inspections.setdefault(
                key,
                _imported_event(
                    site,
                    number,
                    ctx,
                    kind=EventKind.INSPECTION,
                    reference=record.inspection_id,
                    project_area=record.program_area,
                    event_date=record.end_date,
                    citations_posted=True,
                ),
            )
    if not ctx.commit:
        ctx.pending_keys.update(("inspection", *key) for key in new_inspections)
    elif new_inspections:
        rows = list(new_inspections.values())
        ids = insert_with_history(RegulatoryEvent, rows, user=ctx.user, reason=ctx.reason)
        for key, pk, row in zip(new_inspections, ids, rows, strict=True):
            inspections[key] = [(pk, row["project_area"])]

    inspection_ids = {pk for found in inspections.values() for pk, _ in found}
    existing = set(
        Citation.objects.filter(
            AnyOf(F("inspection_id"), inspection_ids),
            AnyOf(F("key"), {record.key for _, record in chunk}),
        ).values_list("inspection_id", "key")
    )
    new_citations: dict = {}
    for number, record in chunk:
        site = sites[record.fei]
        inspection_id = inspection_of(site, record)
        key = ("citation", _site_key(site), record.inspection_id, record.key)
        if (
            key in new_citations
            or key in ctx.pending_keys
            or (inspection_id, record.key) in existing
        ):
            tally.unchanged += 1
            continue
        new_citations[key] = {
            "inspection_id": inspection_id,
            "act_cfr_number": record.act_cfr_number,
            "short_description": record.short_description,
            "long_description": record.long_description,
            "program_area": record.program_area,
            "key": record.key,
            "source": Source.IMPORT,
            "import_run_id": ctx.run.pk,
            "source_row": number,
        }
        tally.created += 1
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    if not ctx.commit:
        ctx.pending_keys.update(new_citations)
    elif new_citations:
        insert_with_history(
            Citation, list(new_citations.values()), user=ctx.user, reason=ctx.reason
        )


# ---------------------------------------------------------------- registrations (DECRS)

FILLED_FROM_REGISTRATION = (
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "duns_number",
)


def apply_registrations(chunk: list, ctx: Context, tally: Tally) -> None:
    feis = {record.fei for _, record in chunk}
    sites = {s.fei_number: s for s in Site.objects.filter(AnyOf(F("fei_number"), feis))}
    sites.update({f: s for f, s in ctx.pending_sites.items() if f in feis})
    have = set(
        SiteCapability.objects.filter(
            AnyOf(F("site_id"), [s.pk for s in sites.values() if s.pk])
        ).values_list("site_id", "capability_id")
    )
    have |= {k for k in ctx.pending_keys if isinstance(k, tuple) and len(k) == 2}
    names = {r.registrant_name.casefold() for _, r in chunk if r.fei not in sites}
    cmos = {
        c.legal_name.casefold(): c
        for c in Cmo.objects.annotate(lower_name=Lower("legal_name")).filter(lower_name__in=names)
    }
    cmos.update(ctx.pending_cmos)
    new_cmos, new_sites, new_caps, updated_sites = [], [], [], {}
    fields = {"fda_operations", "fda_registration_expires", "updated_at"}
    for _number, r in chunk:
        operations = "; ".join(r.operations)
        site = sites.get(r.fei)
        created = site is None
        changed = False
        if created:
            cmo = cmos.get(r.registrant_name.casefold())
            if cmo is None:
                cmo = Cmo(
                    legal_name=r.registrant_name,
                    headquarters_country=r.country,
                    duns_number=r.registrant_duns,
                )
                cmos[r.registrant_name.casefold()] = cmo
                new_cmos.append(cmo)
            site = Site(
                cmo=cmo,
                name=r.firm_name,
                fei_number=r.fei,
                duns_number=r.duns,
                address_line1=r.address_line1,
                address_line2=r.address_line2,
                city=r.city,
                state=r.state,
                postal_code=r.postal_code,
                country=r.country,
                fda_operations=operations,
                fda_registration_expires=r.expires,
            )
            sites[r.fei] = site
            new_sites.append(site)
        else:
            updates = {"fda_operations": operations, "fda_registration_expires": r.expires}
            # Registration data only fills gaps: what a user typed is never overwritten.
            for name in FILLED_FROM_REGISTRATION:
                value = r.duns if name == "duns_number" else getattr(r, name)
                if value and not getattr(site, name):
                    updates[name] = value
            for name, value in updates.items():
                if getattr(site, name) != value:
                    setattr(site, name, value)
                    fields.add(name)
                    changed = True
            if changed and site.pk:
                updated_sites[site.pk] = site
        for op in r.operations:
            capability_id = ctx.capability_ids.get(OPERATION_CAPABILITIES.get(op, ""))
            cell = (_site_key(site), capability_id)
            if capability_id is None or cell in have:
                continue
            have.add(cell)
            changed = True
            new_caps.append(
                SiteCapability(
                    site=site,
                    capability_id=capability_id,
                    level=CapabilityLevel.CLAIMED,
                    source=SiteCapability.Source.FDA_REGISTRATION,
                    notes=f"Registered operation: {op}",
                )
            )
        if created:
            tally.created += 1
        elif changed:
            tally.updated += 1
        else:
            tally.unchanged += 1
            continue
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    if not ctx.commit:
        ctx.pending_cmos.update({c.legal_name.casefold(): c for c in new_cmos})
        ctx.pending_sites.update({s.fei_number: s for s in new_sites})
        ctx.pending_keys.update((_site_key(c.site), c.capability_id) for c in new_caps)
        return
    history = {"user": ctx.user, "reason": ctx.reason}
    insert_objects_with_history(new_cmos, **history)
    tally.cmo_ids.update(c.pk for c in new_cmos)
    for site in new_sites:
        site.cmo_id = site.cmo.pk
    insert_objects_with_history(new_sites, **history)
    tally.cmo_ids.update(s.cmo_id for s in new_sites)
    for cell in new_caps:
        cell.site_id = cell.site.pk
    insert_objects_with_history(new_caps, **history)
    if updated_sites:
        now = timezone.now()
        for site in updated_sites.values():
            site.updated_at = now
        bulk_update_with_history(
            list(updated_sites.values()),
            Site,
            fields=sorted(fields),
            default_user=ctx.user,
            default_change_reason=ctx.reason,
        )


APPLIERS = {
    "decrs": apply_registrations,
    "inspections": apply_events,
    "citations": apply_citations,
    "compliance_actions": apply_events,
    "published_483s": apply_events,
    "recalls": apply_events,
}
