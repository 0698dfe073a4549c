"""Every read scoring makes of another app, one function per input.

Each function takes many CMO ids at once and costs a constant number of queries, whatever the
number of CMOs. Regulatory compliance, audit outcomes, quality agreements and the needs search
come from modules of the vendors, audits and contracts apps; while one of them is not installed,
`_provider` returns None and the criterion it feeds shows "no data" for every candidate.
"""

import importlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from vendors.models import Site, SiteCapability


def _provider(module: str):
    """The named module, or None while the app that provides it has not shipped it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise
        return None


@dataclass(frozen=True)
class SiteFacts:
    site_id: int
    name: str
    country: str
    # capability id → (level, annual capacity or None, capacity unit)
    capabilities: dict[int, tuple[int, Decimal | None, str]]


def sites(cmo_ids: Iterable[int]) -> dict[int, list[SiteFacts]]:
    """Each CMO's sites with their capability cells (two queries)."""
    ids = list(cmo_ids)
    cells: dict[int, dict] = defaultdict(dict)
    rows = SiteCapability.objects.filter(site__cmo_id__in=ids).values_list(
        "site_id", "capability_id", "level", "annual_capacity", "annual_capacity_unit"
    )
    for site_id, capability_id, level, capacity, unit in rows.order_by():
        cells[site_id][capability_id] = (level, capacity, unit)
    result: dict[int, list[SiteFacts]] = {cmo_id: [] for cmo_id in ids}
    site_rows = Site.objects.filter(cmo_id__in=ids).values_list("pk", "cmo_id", "name", "country")
    for site_id, cmo_id, name, country in site_rows.order_by("cmo_id", "name"):
        result[cmo_id].append(SiteFacts(site_id, name, str(country), cells.get(site_id, {})))
    return result


def compliance(cmo_ids: Iterable[int], *, today: date | None = None) -> dict | None:
    """ComplianceSummary per CMO, or None when regulatory history is not available."""
    module = _provider("vendors.compliance")
    return None if module is None else module.compliance_for_cmos(list(cmo_ids), today=today)


def audit_outcomes(cmo_ids: Iterable[int]) -> dict | None:
    """The latest approved audit per CMO, or None when audits are not available."""
    module = _provider("audits.outcomes")
    return None if module is None else module.latest_approved_audits(list(cmo_ids))


def quality_agreements(cmo_ids: Iterable[int], *, on: date | None = None) -> dict | None:
    """The quality agreement in force per CMO, or None when contracts are not available."""
    module = _provider("contracts.status")
    return None if module is None else module.quality_agreements_in_force(list(cmo_ids), on=on)


def needs_search(needs: Sequence[tuple[int, int]]):
    """CMOs matching (capability id, minimum level) needs, or None when search is not available."""
    module = _provider("vendors.capabilities")
    return None if module is None else module.needs_search(list(needs))
