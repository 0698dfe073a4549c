"""The needs search: which CMOs' sites together cover a list of required capabilities."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Max, Q, Value
from django.db.models.functions import Coalesce, Collate

from vendors.models import Capability, Cmo, Site, SiteCapability


@dataclass
class NeedsMatch:
    cmo: Cmo
    coverage: float  # share of the needs covered, 0–1
    covered: dict[int, list[tuple[Site, int]]]  # capability id → (site, level) that cover it
    missing: list[Capability] = field(default_factory=list)
    # capability id → (site, level) that have a missing capability, but below the level asked;
    # a missing capability absent from it is one no site of the CMO has at all.
    below: dict[int, list[tuple[Site, int]]] = field(default_factory=dict)


@dataclass
class NeedsResult:
    needs: list[tuple[Capability, int]]
    full: list[NeedsMatch]
    partial: list[NeedsMatch]


# Collation comparing names code point by code point, as Python does, so the database's top
# CMOs are the ones Python would pick.
_BYTE_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


def needs_search(needs: Sequence[tuple[int, int]], *, cmos=None, limit: int = 100) -> NeedsResult:
    """CMOs ranked by how many needs (capability id, minimum level) their sites cover."""
    wanted: dict[int, int] = {}
    for capability_id, level in needs:
        wanted[capability_id] = max(level, wanted.get(capability_id, 0))
    capabilities = Capability.objects.in_bulk(list(wanted))
    wanted = {c: lvl for c, lvl in wanted.items() if c in capabilities}
    ordered_needs = [(capabilities[c], lvl) for c, lvl in wanted.items()]
    if not wanted or limit <= 0:
        return NeedsResult(needs=ordered_needs, full=[], partial=[])
    conditions = {
        capability_id: Q(capability_id=capability_id, level__gte=level)
        for capability_id, level in wanted.items()
    }
    condition = Q()
    for need in conditions.values():
        condition |= need
    # Every cell of a needed capability, so a need met only at a lower level can say which.
    needed = SiteCapability.objects.filter(capability_id__in=list(wanted))
    if cmos is not None:
        needed = needed.filter(site__cmo__in=cmos)
    cells = needed.filter(condition)
    # Rank in the database and keep only the top CMOs; the cells are then fetched for those
    # alone, in the same query (the ranking is its subquery).
    best = sum(Coalesce(Max("level", filter=need), Value(0)) for need in conditions.values())
    top = (
        cells.values("site__cmo_id")
        .annotate(covered_count=Count("capability_id", distinct=True), best_sum=best)
        .order_by(
            "-covered_count",
            "-best_sum",
            Collate("site__cmo__legal_name", _BYTE_ORDER.get(connection.vendor, "C")),
        )
        .values("site__cmo_id")[:limit]
    )
    rows = needed.filter(site__cmo_id__in=top).values_list(
        "site_id",
        "site__name",
        "site__cmo_id",
        "site__cmo__legal_name",
        "site__cmo__qualification_status",
        "capability_id",
        "level",
    )
    # One query; sites and CMOs are built from its columns rather than fetched again.
    sites: dict[int, Site] = {}
    found: dict[int, Cmo] = {}
    by_cmo: dict[int, dict[int, list[tuple[Site, int]]]] = defaultdict(lambda: defaultdict(list))
    lower: dict[int, dict[int, list[tuple[Site, int]]]] = defaultdict(lambda: defaultdict(list))
    for site_id, site_name, cmo_id, cmo_name, cmo_status, capability_id, level in rows:
        site = sites.get(site_id)
        if site is None:
            cmo = found.get(cmo_id)
            if cmo is None:
                cmo = found[cmo_id] = Cmo(
                    pk=cmo_id, legal_name=cmo_name, qualification_status=cmo_status
                )
            site = sites[site_id] = Site(pk=site_id, name=site_name, cmo=cmo)
        (by_cmo if level >= wanted[capability_id] else lower)[cmo_id][capability_id].append(
            (site, level)
        )
    matches = []
    for cmo_id, covered in by_cmo.items():
        below = {c: entries for c, entries in lower[cmo_id].items() if c not in covered}
        for entries in [*covered.values(), *below.values()]:
            entries.sort(key=lambda entry: (-entry[1], entry[0].name))
        cmo = next(iter(covered.values()))[0][0].cmo
        missing = [capabilities[c] for c in wanted if c not in covered]
        matches.append(
            NeedsMatch(
                cmo=cmo,
                coverage=len(covered) / len(wanted),
                covered=dict(covered),
                missing=missing,
                below=below,
            )
        )
    matches.sort(
        key=lambda m: (
            -m.coverage,
            -sum(max(level for _, level in entries) for entries in m.covered.values()),
            m.cmo.legal_name,
        )
    )
    return NeedsResult(
        needs=ordered_needs,
        full=[m for m in matches if m.coverage == 1],
        partial=[m for m in matches if m.coverage < 1],
    )
