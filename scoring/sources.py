"""Every read scoring makes of another app, one function per input.

Each function takes many CMO ids at once and costs a constant number of queries, whatever the
number of CMOs. A CMO with no data for an input (no regulatory record, no approved audit, no
quality agreement) is simply absent from that input's dict, and its criterion shows "no data".
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q

from audits.outcomes import AuditOutcome, latest_approved_audits
from contracts.status import QualityAgreementStatus, quality_agreements_in_force
from vendors.capabilities import NeedsResult
from vendors.capabilities import needs_search as vendors_needs_search
from vendors.compliance import ComplianceSummary, compliance_for_cmos
from vendors.models import QualificationStatus, Site, SiteCapability


@dataclass(frozen=True)
class Need:
    """A capability an evaluation needs, at a minimum level."""

    capability_id: int
    name: str
    min_level: int


class CapabilityCell(NamedTuple):
    level: int
    capacity: Decimal | None  # annual capacity, in `unit`
    unit: str


@dataclass(frozen=True)
class SiteFacts:
    site_id: int
    name: str
    country: str
    capabilities: dict[int, CapabilityCell]  # by capability id

    def level_of(self, capability_id: int) -> int:
        """The site's level for the capability; 0 when it does not have it."""
        cell = self.capabilities.get(capability_id)
        return cell.level if cell else 0

    def meets(self, need: Need) -> bool:
        """Whether the site can serve the need: it has the capability at the minimum level or
        above. Capability fit and supply risk both count a site as capable by this rule."""
        return self.level_of(need.capability_id) >= need.min_level


def sites(cmo_ids: Iterable[int]) -> dict[int, list[SiteFacts]]:
    """Each CMO's sites with their capability cells (two queries)."""
    ids = list(cmo_ids)
    cells: dict[int, dict[int, CapabilityCell]] = defaultdict(dict)
    rows = SiteCapability.objects.filter(site__cmo_id__in=ids).values_list(
        "site_id", "capability_id", "level", "annual_capacity", "annual_capacity_unit"
    )
    for site_id, capability_id, level, capacity, unit in rows.order_by():
        cells[site_id][capability_id] = CapabilityCell(level, capacity, unit)
    result: dict[int, list[SiteFacts]] = {cmo_id: [] for cmo_id in ids}
    site_rows = Site.objects.filter(cmo_id__in=ids).values_list("pk", "cmo_id", "name", "country")
    for site_id, cmo_id, name, country in site_rows.order_by("cmo_id", "name"):
        result[cmo_id].append(SiteFacts(site_id, name, str(country), cells.get(site_id, {})))
    return result


def compliance_summaries(
    cmo_ids: Iterable[int], *, today: date | None = None
) -> dict[int, ComplianceSummary]:
    """The regulatory compliance summary per CMO."""
    return compliance_for_cmos(list(cmo_ids), today=today)


def audit_outcomes(cmo_ids: Iterable[int]) -> dict[int, AuditOutcome]:
    """The latest approved audit per CMO."""
    return latest_approved_audits(list(cmo_ids))


def quality_agreements(
    cmo_ids: Iterable[int], *, on: date | None = None
) -> dict[int, QualityAgreementStatus]:
    """The quality agreement in force per CMO."""
    return quality_agreements_in_force(list(cmo_ids), on=on)


def needs_search(needs: Sequence[tuple[int, int]], *, limit: int = 100) -> NeedsResult:
    """CMOs matching (capability id, minimum level) needs, ranked by coverage (the best `limit`);
    a full match has one site meeting every need, as the needs search counts by default."""
    return vendors_needs_search(list(needs), limit=limit)


# Sites that are out of the CMO's supply for good; a sign-off never counts or moves them.
RETIRED_SITE_STATUSES = (QualificationStatus.INACTIVE, QualificationStatus.DISQUALIFIED)


def sites_in_use(needs: Sequence[tuple[int, int]], cmo_ids: Iterable[int]) -> dict[int, list[int]]:
    """The sites each CMO would make the evaluation's product at, by CMO id (two queries).

    Those that serve at least one need (capability id, minimum level) at its minimum level, as
    capability fit counts them. With no needs, or when none of a CMO's sites serves one, every
    site of the CMO that is not inactive or disqualified: the gate then holds all of them.
    """
    ids = list(cmo_ids)
    rows = list(
        Site.objects.filter(cmo_id__in=ids)
        .exclude(qualification_status__in=RETIRED_SITE_STATUSES)
        .order_by("cmo_id", "name")
        .values_list("pk", "cmo_id")
    )
    serving: set[int] = set()
    if needs and rows:
        served = Q()
        for capability_id, min_level in needs:
            served |= Q(capability_id=capability_id, level__gte=min_level)
        serving = set(
            SiteCapability.objects.filter(served, site_id__in=[pk for pk, _ in rows]).values_list(
                "site_id", flat=True
            )
        )
    active: dict[int, list[int]] = {cmo_id: [] for cmo_id in ids}
    for pk, cmo_id in rows:
        active[cmo_id].append(pk)
    return {cmo_id: [pk for pk in pks if pk in serving] or pks for cmo_id, pks in active.items()}
