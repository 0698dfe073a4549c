"""Likely duplicates in the directory: CMOs, and sites, that are probably the same firm.

Rules: the same DUNS number, the same FEI number (as normalised: '0003002807' is '3002807'), or
names that normalise the same (`vendors.names`; a site's with the same city and country). Each
rule groups records by a key, in SQL (DUNS) or in one pass over the keys (FEI, names), so the
cost grows with the directory, not with its square; only the members of a group are paired.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from django.db.models import Count

from vendors.models import Cmo, Site, normalize_fei
from vendors.names import normalize_name

# A key shared by more records than this is not a duplicate but a common name ("Plant 1").
LARGEST_GROUP = 12


@dataclass
class DuplicatePair:
    first: object
    second: object
    reasons: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "site" if isinstance(self.first, Site) else "cmo"

    @property
    def same_cmo(self) -> bool:
        """Sites can be merged only within one CMO."""
        return self.kind == "cmo" or self.first.cmo_id == self.second.cmo_id


def _groups(rows: Iterable[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    buckets: dict[str, set[int]] = defaultdict(set)
    for pk, key in rows:
        if key:
            buckets[key].add(pk)
    return [(key, sorted(pks)) for key, pks in buckets.items() if 1 < len(pks) <= LARGEST_GROUP]


def _same_duns(queryset) -> list[tuple[str, list[int]]]:
    repeated = (
        queryset.exclude(duns_number="")
        .order_by()
        .values("duns_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values("duns_number")
    )
    rows = queryset.filter(duns_number__in=repeated).values_list("pk", "duns_number")
    return _groups(rows)


def _pairs(rules: list[tuple[str, list[tuple[str, list[int]]]]]) -> dict[tuple, list[str]]:
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    for template, groups in rules:
        for key, pks in groups:
            for pair in combinations(pks, 2):
                found[pair].append(template.format(key=key))
    return found


def cmo_duplicates() -> list[DuplicatePair]:
    """Pairs of current CMOs that are likely the same: same DUNS, sites' FEI, or name."""
    cmos = Cmo.objects.current()
    by_fei = (
        (cmo_id, normalize_fei(fei))
        for cmo_id, fei in Site.objects.current()
        .exclude(fei_number="")
        .values_list("cmo_id", "fei_number")
    )
    names = []
    for pk, legal_name, aliases in cmos.values_list("pk", "legal_name", "aliases"):
        for name in [legal_name, *aliases.splitlines()]:
            names.append((pk, normalize_name(name)))
    found = _pairs(
        [
            ("Same DUNS {key}", _same_duns(cmos)),
            ("A site of each has FEI {key}", _groups(by_fei)),
            ("Names match ({key})", _groups(names)),
        ]
    )
    records = cmos.with_site_counts().in_bulk({pk for pair in found for pk in pair})
    return _build(found, records)


def site_duplicates() -> list[DuplicatePair]:
    """Pairs of current sites that are likely the same: same DUNS, FEI, or name in one city."""
    sites = Site.objects.current()
    by_fei = (
        (pk, normalize_fei(fei))
        for pk, fei in sites.exclude(fei_number="").values_list("pk", "fei_number")
    )
    by_name = (
        (pk, f"{normalize_name(name)}, {city.strip().casefold()}, {country}")
        for pk, name, city, country in sites.values_list("pk", "name", "city", "country")
    )
    found = _pairs(
        [
            ("Same DUNS {key}", _same_duns(sites)),
            ("Same FEI {key}", _groups(by_fei)),
            ("Names match in one place ({key})", _groups(by_name)),
        ]
    )
    records = sites.select_related("cmo").in_bulk({pk for pair in found for pk in pair})
    return _build(found, records)


def _build(found: dict[tuple, list[str]], records: dict) -> list[DuplicatePair]:
    pairs = [
        DuplicatePair(records[a], records[b], reasons)
        for (a, b), reasons in found.items()
        if a in records and b in records
    ]
    pairs.sort(key=lambda p: (str(p.first).casefold(), str(p.second).casefold()))
    return pairs
