"""Inspection citations from the Data Dashboard, each attached to its inspection.

An inspection a citation names but the database lacks is created from the citation row.
"""

from dataclasses import dataclass, field

from django.db.models import F

from cmoselect.bulk import AnyOf, insert_with_history
from vendors.fda.context import (
    CitationKey,
    Context,
    InspectionKey,
    NewRow,
    Preview,
    Rows,
    Sites,
    Tally,
    find_sites,
    imported_event,
    site_key,
)
from vendors.fda.records import CitationRecord
from vendors.models import Agency, Citation, EventKind, RegulatoryEvent
from vendors.models.regulatory import Source


@dataclass
class CitationPlan:
    sites: Sites
    inspections: dict[InspectionKey, NewRow] = field(default_factory=dict)
    # The inspection of each new citation: its pk, or the key of an inspection planned here.
    citations: dict[CitationKey, tuple[int | InspectionKey | None, dict]] = field(
        default_factory=dict
    )

    def write(self, ctx: Context, tally: Tally) -> None:
        self.sites.write(ctx, tally)
        rows = [new.row() for new in self.inspections.values()]
        created = insert_with_history(RegulatoryEvent, rows, **ctx.history)
        ids = dict(zip(self.inspections, created, strict=True))
        insert_with_history(
            Citation,
            [
                {"inspection_id": ids.get(inspection, inspection), **values}
                for inspection, values in self.citations.values()
            ],
            **ctx.history,
        )

    def remember(self, preview: Preview) -> None:
        self.sites.remember(preview)
        preview.inspections.update(self.inspections)
        preview.citations.update(self.citations)


def plan_citations(chunk: Rows, ctx: Context, tally: Tally) -> CitationPlan:
    """Which citations of a chunk are new, and which inspections they need created."""
    sites, rows = find_sites(chunk, ctx, tally)
    plan = CitationPlan(sites=sites)
    inspections = _Inspections(sites, rows)
    existing = set(
        Citation.objects.filter(
            AnyOf(F("inspection_id"), inspections.ids()),
            AnyOf(F("key"), {record.key for _, record in rows}),
        ).values_list("inspection_id", "key")
    )
    for number, record in rows:
        site = sites[record.fei]
        inspection = InspectionKey(site_key(site), record.inspection_id)
        inspection_id = inspections.of(inspection, record)
        if inspection_id is None:
            _plan_inspection(plan, inspection, site, number, record, ctx)
        key = CitationKey(site_key(site), record.inspection_id, record.key)
        if (
            key in plan.citations
            or key in ctx.preview.citations
            or (inspection_id, key.key) in existing
        ):
            tally.unchanged += 1
            continue
        target = inspection if inspection in plan.inspections else inspection_id
        plan.citations[key] = (target, _new_citation(record, number, ctx))
        tally.created += 1
        if site.cmo_id:
            tally.cmo_ids.add(site.cmo_id)
    return plan


class _Inspections:
    """The FDA inspections in the database the rows of a chunk may cite."""

    def __init__(self, sites: Sites, rows: Rows):
        self.found: dict[
            tuple, list[tuple[int, str]]
        ] = {}  # (establishment, ID) → [(pk, area)], newest first
        for pk, establishment_id, reference, area in (
            RegulatoryEvent.objects.filter(
                AnyOf(F("establishment_id"), sites.ids()),
                AnyOf(F("reference"), {record.inspection_id for _, record in rows}),
                kind=EventKind.INSPECTION,
                agency=Agency.FDA,
            )
            .order_by("-event_date", "-pk")
            .values_list("pk", "establishment_id", "reference", "project_area")
        ):
            self.found.setdefault((establishment_id, reference), []).append((pk, area))

    def ids(self) -> set[int]:
        return {pk for found in self.found.values() for pk, _ in found}

    def of(self, key: InspectionKey, record: CitationRecord) -> int | None:
        """The inspection of the citation's program area, else the newest of that ID."""
        found = self.found.get(key)
        if not found:
            return None
        return next((pk for pk, area in found if area == record.program_area), found[0][0])


def _plan_inspection(plan, key: InspectionKey, site, number: int, record, ctx: Context) -> None:
    if key in plan.inspections or key in ctx.preview.inspections:
        return
    plan.inspections[key] = NewRow(
        site,
        imported_event(
            number,
            ctx,
            kind=EventKind.INSPECTION,
            reference=record.inspection_id,
            project_area=record.program_area,
            event_date=record.end_date,
            citations_posted=True,
        ),
    )


def _new_citation(record: CitationRecord, number: int, ctx: Context) -> dict:
    return {
        "act_cfr_number": record.act_cfr_number,
        "short_description": record.short_description,
        "long_description": record.long_description,
        "program_area": record.program_area,
        "key": record.key,
        "source": Source.IMPORT,
        "import_run_id": ctx.run.pk,
        "source_row": number,
    }
