"""The needs search: which CMOs can serve a list of required capabilities, at one site or across
their sites."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections, models
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When

from vendors.fda.formats import CAPABILITY_OPERATIONS
from vendors.models import Capability, Cmo, Establishment, Site, SiteCapability


class NeedsRule(models.TextChoices):
    """When a CMO counts as meeting every need."""

    ONE_SITE = "one_site", "All needs at one site"
    ACROSS_SITES = "across_sites", "Needs spread across the CMO's sites"


@dataclass
class SiteCoverage:
    site: Site
    levels: dict[int, int]  # capability id → level, for the needs the site meets at the level asked


@dataclass
class NeedsMatch:
    cmo: Cmo
    rule: str  # the NeedsRule the coverage was counted by
    need_count: int
    coverage: float  # share of the needs met by the rule (one site: by its best site), 0–1
    covered: dict[int, list[tuple[Site, int]]]  # capability id → (site, level) that cover it
    missing: list[Capability] = field(default_factory=list)  # no site has it at the level asked
    # capability id → (site, level) that have a missing capability, but below the level asked;
    # a missing capability absent from it is one no site of the CMO has at all.
    below: dict[int, list[tuple[Site, int]]] = field(default_factory=dict)
    # Every site that meets at least one need at the level asked, most needs first.
    sites: list[SiteCoverage] = field(default_factory=list)

    @property
    def coverage_across_sites(self) -> float:
        """The share of the needs that some site of the CMO meets."""
        return len(self.covered) / self.need_count

    @property
    def complete_sites(self) -> list[Site]:
        """The sites that meet every need by themselves."""
        return [s.site for s in self.sites if len(s.levels) == self.need_count]


@dataclass
class NeedsResult:
    needs: list[tuple[Capability, int]]
    rule: str
    full: list[NeedsMatch]
    partial: list[NeedsMatch]
    # How many CMOs match in all, whatever the limit cut from the lists above.
    full_count: int = 0
    partial_count: int = 0


def needs_search(
    needs: Sequence[tuple[int, int]],
    *,
    rule: str = NeedsRule.ONE_SITE,
    cmos=None,
    limit: int = 100,
) -> NeedsResult:
    """CMOs ranked by how many needs (capability id, minimum level) they meet under `rule`."""
    rule = NeedsRule(rule)
    wanted: dict[int, int] = {}
    for capability_id, level in needs:
        wanted[capability_id] = max(level, wanted.get(capability_id, 0))
    capabilities = Capability.objects.in_bulk(list(wanted))
    wanted = {c: lvl for c, lvl in wanted.items() if c in capabilities}
    ordered_needs = [(capabilities[c], lvl) for c, lvl in wanted.items()]
    empty = NeedsResult(needs=ordered_needs, rule=rule, full=[], partial=[])
    if not wanted or limit <= 0:
        return empty
    condition = Q()
    for capability_id, level in wanted.items():
        condition |= Q(capability_id=capability_id, level__gte=level)
    # Every cell of a needed capability, so a need met only at a lower level can say which.
    # A merged-away site keeps only the cells its kept site already had: not a match of its own.
    cells = SiteCapability.objects.filter(site__merged_into__isnull=True)
    if cmos is not None:
        cells = cells.filter(site__cmo__in=cmos)
    needed = cells.filter(capability_id__in=list(wanted))
    # Ranked on the cells meeting a need alone (the condition names each capability already).
    top, total, full_count = _rank(cells.filter(condition), rule, len(wanted), limit)
    if not top:
        return empty
    matches = _matches(needed, top, wanted, capabilities, rule)
    order = {cmo_id: index for index, cmo_id in enumerate(top)}
    matches.sort(key=lambda m: order[m.cmo.pk])
    return NeedsResult(
        needs=ordered_needs,
        rule=rule,
        full=[m for m in matches if m.coverage == 1],
        partial=[m for m in matches if m.coverage < 1],
        full_count=full_count,
        partial_count=total - full_count,
    )


# The CMOs meeting at least one need, best first, with how many there are in all and how many
# meet every need. `met` is the sites' best count (one site) or the CMO's (across its sites).
_RANK_SQL = """
WITH cells (cmo_id, site_id, capability_id, level) AS ({cells}),
per_site AS (SELECT cmo_id, COUNT(*) AS met FROM cells GROUP BY cmo_id, site_id),
per_capability AS (
    SELECT cmo_id, MAX(level) AS level FROM cells GROUP BY cmo_id, capability_id
),
per_cmo AS (
    SELECT a.cmo_id, a.across, a.levels, o.one
    FROM (
        SELECT cmo_id, COUNT(*) AS across, SUM(level) AS levels
        FROM per_capability GROUP BY cmo_id
    ) AS a
    JOIN (SELECT cmo_id, MAX(met) AS one FROM per_site GROUP BY cmo_id) AS o
        ON o.cmo_id = a.cmo_id
)
SELECT p.cmo_id, COUNT(*) OVER (), SUM(CASE WHEN p.{met} = %s THEN 1 ELSE 0 END) OVER ()
FROM per_cmo AS p JOIN {cmo_table} AS c ON c.{cmo_pk} = p.cmo_id
ORDER BY p.{met} DESC, p.across DESC, p.levels DESC, c.{name}{collate}, p.cmo_id
LIMIT %s
"""


def _rank(cells, rule: NeedsRule, need_count: int, limit: int) -> tuple[list[int], int, int]:
    """The ids of the best `limit` CMOs under the rule, how many CMOs meet a need, and how many
    meet every need: one query, ranked and counted in the database.

    Names are ordered as Python orders them, code point by code point, whatever the database's
    collation: SQLite's default compares UTF-8 bytes, which is that order; PostgreSQL is told "C".
    """
    connection = connections[cells.db]
    quote = connection.ops.quote_name
    columns = cells.order_by().values_list("site__cmo_id", "site_id", "capability_id", "level")
    inner, params = columns.query.sql_with_params()
    sql = _RANK_SQL.format(
        cells=inner,
        met="one" if rule == NeedsRule.ONE_SITE else "across",
        cmo_table=quote(Cmo._meta.db_table),
        cmo_pk=quote(Cmo._meta.pk.column),
        name=quote(Cmo._meta.get_field("legal_name").column),
        collate=' COLLATE "C"' if connection.vendor == "postgresql" else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, need_count, limit])
        rows = cursor.fetchall()
    if not rows:
        return [], 0, 0
    return [row[0] for row in rows], rows[0][1], rows[0][2]


def _matches(needed, top: list[int], wanted: dict, capabilities: dict, rule) -> list[NeedsMatch]:
    """The matches of the CMOs in `top`, with what each site has (one query)."""
    rows = needed.filter(site__cmo_id__in=top).values_list(
        "site_id",
        "site__name",
        "site__cmo_id",
        "site__cmo__legal_name",
        "site__cmo__qualification_status",
        "capability_id",
        "level",
    )
    # Sites and CMOs are built from the query's columns rather than fetched again.
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
        per_site: dict[Site, dict[int, int]] = defaultdict(dict)
        for capability_id, entries in covered.items():
            for site, level in entries:
                per_site[site][capability_id] = level
        site_coverage = sorted(
            (SiteCoverage(site=site, levels=levels) for site, levels in per_site.items()),
            key=lambda s: (-len(s.levels), -sum(s.levels.values()), s.site.name),
        )
        met = len(site_coverage[0].levels) if rule == NeedsRule.ONE_SITE else len(covered)
        matches.append(
            NeedsMatch(
                cmo=found[cmo_id],
                rule=rule,
                need_count=len(wanted),
                coverage=met / len(wanted),
                covered=dict(covered),
                missing=[capabilities[c] for c in wanted if c not in covered],
                below=below,
                sites=site_coverage,
            )
        )
    return matches


@dataclass
class RegistryMatch:
    """A registered establishment not in the directory, and the needs its operations claim."""

    establishment: Establishment
    need_count: int
    # Each need its registered operations claim, in the order asked, with those operations.
    claimed: list[tuple[Capability, list[str]]]

    @property
    def coverage(self) -> float:
        return len(self.claimed) / self.need_count


@dataclass
class RegistryNeedsResult:
    needs: list[tuple[Capability, int]]
    # Needs no registered operation speaks of: the registry cannot tell who has them.
    unsearchable: list[Capability]
    matches: list[RegistryMatch]
    full_count: int = 0
    partial_count: int = 0


def registry_needs_search(
    needs: Sequence[tuple[int, int]], *, limit: int = 50
) -> RegistryNeedsResult:
    """Registered establishments that are not in the directory yet, ranked by how many of the
    needs (capability id, minimum level) their registered operations claim.

    A registration only claims: whatever level a need asks, an establishment that registered an
    operation of the capability is listed for it, and the page says it is a claim to check.
    """
    wanted: dict[int, int] = {}
    for capability_id, level in needs:
        wanted[capability_id] = max(level, wanted.get(capability_id, 0))
    capabilities = Capability.objects.in_bulk(list(wanted))
    ordered = [(capabilities[c], level) for c, level in wanted.items() if c in capabilities]
    claims = {cap.pk: CAPABILITY_OPERATIONS.get(cap.code, ()) for cap, _ in ordered}
    result = RegistryNeedsResult(
        needs=ordered,
        unsearchable=[cap for cap, _ in ordered if not claims[cap.pk]],
        matches=[],
    )
    searchable = {pk: ops for pk, ops in claims.items() if ops}
    if not searchable or limit <= 0:
        return result
    claimed_count = Value(0, output_field=IntegerField())
    for operations in searchable.values():
        condition = Q()
        for operation in operations:
            condition |= Q(operations_key__contains=f";{operation};")
        claimed_count += Case(When(condition, then=1), default=0, output_field=IntegerField())
    in_directory = Exists(Site.objects.filter(fei_number=OuterRef("fei")))
    found = (
        Establishment.objects.filter(registered=True)
        .exclude(in_directory)
        .annotate(claimed_count=claimed_count)
        .filter(claimed_count__gt=0)
    )
    total = found.count()
    result.full_count = found.filter(claimed_count=len(ordered)).count()
    result.partial_count = total - result.full_count
    best = found.order_by("-claimed_count", F("signal").desc(nulls_last=True), "firm_name", "fei")[
        :limit
    ]
    for establishment in best:
        operations = set(establishment.operation_list)
        result.matches.append(
            RegistryMatch(
                establishment=establishment,
                need_count=len(ordered),
                claimed=[
                    (capabilities[pk], [op for op in ops if op in operations])
                    for pk, ops in searchable.items()
                    if operations.intersection(ops)
                ],
            )
        )
    return result
