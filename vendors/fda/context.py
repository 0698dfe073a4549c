"""What the appliers of every format share: the run, the tally, a preview's memory, the sites.

Each applier plans a chunk of rows (reads the database, decides what is new or changed, counts)
and returns a plan; a commit then writes the plan, a preview only remembers it, so that later
chunks count what the file's earlier rows would have created.
"""

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django.db.models import F

from cmoselect.bulk import AnyOf
from cmoselect.history import save_with_history
from vendors.fda.records import SiteHint
from vendors.models import Agency, Cmo, ImportRun, Site
from vendors.models.imports import MAX_STORED_ERRORS
from vendors.models.regulatory import Source

# A site's primary key, or "new:<FEI>" for a site only a preview has created.
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


class CapabilityCell(NamedTuple):
    site: SiteKey
    capability_id: int


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
        for name, value in other.counts().items():
            setattr(self, name, getattr(self, name) + value)
        room = MAX_STORED_ERRORS - len(self.errors)
        self.errors.extend(other.errors[:room])
        self.cmo_ids |= other.cmo_ids

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
    sites: dict[str, Site] = field(default_factory=dict)  # FEI → site
    # What each event the preview created or changed would hold (a fingerprint of its values),
    # so that a later row of the same event counts as the commit will count it.
    events: dict[EventKey, int] = field(default_factory=dict)
    inspections: set[InspectionKey] = field(default_factory=set)
    citations: set[CitationKey] = field(default_factory=set)
    cells: set[CapabilityCell] = field(default_factory=set)


@dataclass
class Context:
    run: ImportRun
    commit: bool
    create_missing: bool
    user: object = None
    capability_ids: dict[str, int] = field(default_factory=dict)  # capability code → pk
    preview: Preview = field(default_factory=Preview)

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


# ---------------------------------------------------------------- sites


class SiteRef(NamedTuple):
    """What an event row needs of an existing site (cheaper than a model instance)."""

    pk: int
    cmo_id: int
    fei_number: str


def site_key(site: "Site | SiteRef") -> SiteKey:
    return site.pk or f"new:{site.fei_number}"


@dataclass
class Sites:
    """The sites the rows of a chunk name by FEI, and the missing ones to create."""

    by_fei: dict[str, "Site | SiteRef"]
    new_cmos: dict[str, Cmo] = field(default_factory=dict)  # casefolded legal name → CMO
    new_sites: list[Site] = field(default_factory=list)

    def __getitem__(self, fei: str) -> "Site | SiteRef":
        return self.by_fei[fei]

    def ids(self) -> set[int]:
        """The primary keys of the sites already in the database."""
        return {site.pk for site in self.by_fei.values() if site.pk}

    def create(self, fei: str, hint: SiteHint, ctx: Context) -> Site:
        """Plan a prospect site (and its CMO, unless one has its name) for an unknown FEI."""
        name = hint.legal_name or f"FEI {fei}"
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
            fei_number=fei,
            notes=f"Created by the import of {ctx.run.original_name}.",
        )
        self.by_fei[fei] = site
        self.new_sites.append(site)
        return site

    def write(self, ctx: Context, tally: Tally) -> None:
        for cmo in self.new_cmos.values():
            save_with_history(cmo, user=ctx.user, reason=ctx.reason)
        for site in self.new_sites:
            save_with_history(site, user=ctx.user, reason=ctx.reason)
            tally.cmo_ids.add(site.cmo_id)

    def remember(self, preview: Preview) -> None:
        preview.cmos.update(self.new_cmos)
        preview.sites.update({site.fei_number: site for site in self.new_sites})


def find_sites(chunk: Rows, ctx: Context, tally: Tally) -> tuple[Sites, Rows]:
    """The sites of a chunk's rows by FEI, and the rows kept: the others match no site.

    With `create_missing` a row of an unknown FEI plans its site instead of being reported.
    """
    feis = {record.fei for _, record in chunk}
    sites = Sites(
        by_fei={
            fei: SiteRef(pk, cmo_id, fei)
            for pk, cmo_id, fei in Site.objects.filter(AnyOf(F("fei_number"), feis)).values_list(
                "pk", "cmo_id", "fei_number"
            )
        }
    )
    sites.by_fei.update({f: s for f, s in ctx.preview.sites.items() if f in feis})
    kept = []
    for number, record in chunk:
        if record.fei not in sites.by_fei:
            if not ctx.create_missing:
                tally.error(
                    number,
                    f"FEI {record.fei} ({record.hint.legal_name or 'no name'}) matches no site; "
                    "choose 'create missing sites' to add it as a prospect",
                )
                continue
            sites.create(record.fei, record.hint, ctx)
            tally.sites_created += 1
        kept.append((number, record))
    return sites, kept


class NewRow(NamedTuple):
    """A row to insert at a site that a commit may have to create first."""

    site: "Site | SiteRef"
    values: dict

    def row(self) -> dict:
        return {"site_id": self.site.pk, **self.values}


def imported_event(number: int, ctx: Context, **values) -> dict:
    """The values of a new FDA event from line `number` of the file being imported."""
    return {
        "agency": Agency.FDA,
        "source": Source.IMPORT,
        "import_run_id": ctx.run.pk,
        "source_row": number,
        **values,
    }
