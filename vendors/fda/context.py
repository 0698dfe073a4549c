"""What the appliers of every format share: the run, the tally, a preview's memory, and where
the events of an FEI go (its registry entry, and its directory site if any).

Each applier plans a chunk of rows (reads the database, decides what is new or changed, counts)
and returns a plan; a commit then writes the plan, a preview only remembers it, so that later
chunks count what the file's earlier rows would have created.
"""

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.db.models import F

from cmoselect.bulk import AnyOf, insert_objects_with_history
from cmoselect.history import save_with_history
from vendors.fda.records import SiteHint
from vendors.models import Agency, Cmo, Establishment, ImportRun, ProblemReason, Site
from vendors.models.imports import MAX_STORED_ERRORS
from vendors.models.regulatory import Source

# An establishment's primary key, or "new:<FEI>" for one only planned so far.
SiteKey = int | str


class EventKey(NamedTuple):
    """What makes a regulatory event the same event on a re-import."""

    site: SiteKey
    kind: str
    agency: str
    reference: str
    project_area: str
    product_id: str


class InspectionKey(NamedTuple):
    site: SiteKey
    reference: str  # the FDA's inspection ID


class CitationKey(NamedTuple):
    site: SiteKey
    inspection: str  # the FDA's inspection ID
    key: str  # `citation_key` of the citation's text


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
    # Every problem not yet stored as an ImportProblem (`errors` keeps only the first few):
    # a commit stores them with the checkpoint of the rows they belong to.
    problems: list = field(default_factory=list)

    def error(
        self,
        row: int,
        message: str,
        *,
        reason: str = ProblemReason.OTHER,
        field: str = "",
        value: str = "",
    ) -> None:
        self.skipped += 1
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "message": message, "reason": str(reason)})
        self.problems.append(
            {"row": row, "reason": reason, "field": field, "value": value[:200], "message": message}
        )

    def add(self, other: "Tally") -> None:
        for name, value in other.counts().items():
            setattr(self, name, getattr(self, name) + value)
        room = MAX_STORED_ERRORS - len(self.errors)
        self.errors.extend(other.errors[:room])
        self.cmo_ids |= other.cmo_ids
        self.problems.extend(other.problems)

    def state(self, *, up_to_row: int) -> dict:
        """What a checkpoint keeps of the tally: counts, the errors of rows up to `up_to_row`."""
        return {
            **self.counts(),
            "errors": [e for e in self.errors if e["row"] <= up_to_row],
            "cmo_ids": sorted(self.cmo_ids),
        }

    @classmethod
    def from_state(cls, state: dict) -> "Tally":
        tally = cls(errors=list(state.get("errors", [])), cmo_ids=set(state.get("cmo_ids", [])))
        for name in cls().counts():
            setattr(tally, name, int(state.get(name, 0)))
        return tally

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "sites_created": self.sites_created,
            "error_count": self.error_count,
        }


@dataclass
class Preview:
    """What a preview would have written so far; nothing is, so later chunks look here."""

    cmos: dict[str, Cmo] = field(default_factory=dict)  # casefolded legal name → CMO
    anchors: dict[str, "Anchor"] = field(default_factory=dict)  # FEI → planned entry / site
    # What each event the preview created or changed would hold (a fingerprint of its values),
    # so that a later row of the same event counts as the commit will count it.
    events: dict[EventKey, int] = field(default_factory=dict)
    inspections: set[InspectionKey] = field(default_factory=set)
    citations: set[CitationKey] = field(default_factory=set)


@dataclass
class Context:
    run: ImportRun
    commit: bool
    create_missing: bool
    user: object = None
    capability_ids: dict[str, int] = field(default_factory=dict)  # capability code → pk
    preview: Preview = field(default_factory=Preview)
    # DECRS: FEI → (first row, merged record) of the FEIs the file lists more than once.
    registrations: dict | None = None

    @property
    def reason(self) -> str:
        return f"Imported from {self.run.original_name}"

    @property
    def history(self) -> dict:
        """The keyword arguments of the bulk writers: who imports, and why."""
        return {"user": self.user, "reason": self.reason}


class Plan(Protocol):
    """What one chunk of rows would create and change, as its applier planned it."""

    def write(self, ctx: Context, tally: Tally) -> None: ...

    def remember(self, preview: Preview) -> None: ...


Rows = list[tuple[int, object]]  # (row number in the file, parsed record)


# ---------------------------------------------------------------- establishments


@dataclass
class Anchor:
    """Where the events of one FEI go: its registry entry, and its directory site if any.

    Either may be planned here (a new instance, given its pk when the plan is written).
    """

    fei: str
    establishment_id: int | None = None
    site_id: int | None = None
    cmo_id: int | None = None
    new_establishment: Establishment | None = None
    new_site: Site | None = None

    @property
    def pk(self) -> int | None:
        """The establishment's primary key, once it is in the database."""
        if self.establishment_id:
            return self.establishment_id
        return self.new_establishment.pk if self.new_establishment else None

    @property
    def fei_number(self) -> str:
        return self.fei

    def ids(self) -> dict:
        """The foreign keys of an event row at this FEI."""
        site_id = self.site_id or (self.new_site.pk if self.new_site else None)
        return {"establishment_id": self.pk, "site_id": site_id}


def site_key(anchor: Anchor) -> SiteKey:
    """The establishment's pk, or "new:<FEI>" for one only planned so far."""
    return anchor.establishment_id or f"new:{anchor.fei}"


@dataclass
class Sites:
    """The establishments the rows of a chunk name by FEI, and the missing ones to create."""

    by_fei: dict[str, Anchor]
    new_cmos: dict[str, Cmo] = field(default_factory=dict)  # casefolded legal name → CMO
    new_establishments: list[Establishment] = field(default_factory=list)
    new_sites: list[Site] = field(default_factory=list)

    def __getitem__(self, fei: str) -> Anchor:
        return self.by_fei[fei]

    def ids(self) -> set[int]:
        """The primary keys of the establishments already in the database."""
        return {a.establishment_id for a in self.by_fei.values() if a.establishment_id}

    def create_establishment(self, fei: str, hint: SiteHint) -> Anchor:
        """Plan a registry entry for an FEI no registration listed (yet): not registered."""
        establishment = Establishment(
            fei=fei,
            firm_name=hint.legal_name or f"FEI {fei}",
            city=hint.city,
            state=hint.state,
            postal_code=hint.postal_code,
            country=hint.country,
        )
        self.new_establishments.append(establishment)
        anchor = self.by_fei.setdefault(fei, Anchor(fei=fei))
        anchor.new_establishment = establishment
        return anchor

    def create_site(self, anchor: Anchor, hint: SiteHint, ctx: Context) -> Site:
        """Plan a prospect site (and its CMO, unless one has its name) for an unknown FEI."""
        name = hint.legal_name or f"FEI {anchor.fei}"
        key = name.casefold()
        cmo = (
            self.new_cmos.get(key)
            or ctx.preview.cmos.get(key)
            or Cmo.objects.filter(legal_name__iexact=name).first()
        )
        if cmo is None:
            cmo = self.new_cmos[key] = Cmo(legal_name=name, headquarters_country=hint.country)
        site = Site(
            cmo=cmo,
            name=name,
            city=hint.city,
            state=hint.state,
            postal_code=hint.postal_code,
            country=hint.country,
            fei_number=anchor.fei,
            notes=f"Created by the import of {ctx.run.original_name}.",
        )
        anchor.new_site = site
        self.new_sites.append(site)
        return site

    def write(self, ctx: Context, tally: Tally) -> None:
        insert_objects_with_history(self.new_establishments, **ctx.history)
        for cmo in self.new_cmos.values():
            save_with_history(cmo, user=ctx.user, reason=ctx.reason)
        for site in self.new_sites:
            site.cmo_id = site.cmo.pk
            save_with_history(site, user=ctx.user, reason=ctx.reason)
            tally.cmo_ids.add(site.cmo_id)

    def remember(self, preview: Preview) -> None:
        preview.cmos.update(self.new_cmos)
        preview.anchors.update(
            {a.fei: a for a in self.by_fei.values() if a.new_establishment or a.new_site}
        )


def find_sites(chunk: Rows, ctx: Context, tally: Tally) -> tuple[Sites, Rows]:
    """The registry entries of a chunk's rows by FEI (with their directory sites), and the rows.

    An FEI the registry lacks gets an entry planned from the row (not registered); with
    `create_missing` an FEI without a directory site gets a prospect site planned too.
    """
    feis = {record.fei for _, record in chunk}
    sites = Sites(
        by_fei={
            fei: Anchor(fei=fei, establishment_id=pk)
            for pk, fei in Establishment.objects.filter(AnyOf(F("fei"), feis)).values_list(
                "pk", "fei"
            )
        }
    )
    for pk, cmo_id, fei in Site.objects.filter(AnyOf(F("fei_number"), feis)).values_list(
        "pk", "cmo_id", "fei_number"
    ):
        anchor = sites.by_fei.get(fei) or sites.by_fei.setdefault(fei, Anchor(fei=fei))
        anchor.site_id, anchor.cmo_id = pk, cmo_id
    for fei, planned in ctx.preview.anchors.items():
        if fei in feis:
            sites.by_fei[fei] = planned
    for _number, record in chunk:
        anchor = sites.by_fei.get(record.fei)
        if anchor is None or (anchor.pk is None and anchor.new_establishment is None):
            anchor = sites.create_establishment(record.fei, record.hint)
        if ctx.create_missing and not anchor.site_id and anchor.new_site is None:
            sites.create_site(anchor, record.hint, ctx)
            tally.sites_created += 1
    return sites, list(chunk)


class NewRow(NamedTuple):
    """A row to insert at an establishment (and site) a commit may have to create first."""

    site: Anchor
    values: dict

    def row(self) -> dict:
        return {**self.site.ids(), **self.values}


def imported_event(number: int, ctx: Context, **values) -> dict:
    """The values of a new FDA event from line `number` of the file being imported."""
    return {
        "agency": Agency.FDA,
        "source": Source.IMPORT,
        "import_run_id": ctx.run.pk,
        "source_row": number,
        **values,
    }
