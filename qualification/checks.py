"""What the approved supplier list says about work planned at a site: for contracts and
evaluations, which read the list without importing it (a template tag or one call)."""

from collections import Counter
from collections.abc import Iterable

from qualification.models import SiteQualification


def scope_gaps(items: Iterable) -> list[str]:
    """Why the scope lines (each with `.site` and `.capability`, either may be None) are not
    covered by the list: the site is not on it, not currently approved, or not for that service.
    Two queries, however many lines."""
    items = [i for i in items if getattr(i, "site_id", None)]
    entries = {
        e.site_id: e
        for e in SiteQualification.objects.filter(
            site_id__in={i.site_id for i in items}
        ).prefetch_related("capabilities")
    }
    gaps: list[str] = []
    for item in items:
        entry = entries.get(item.site_id)
        if entry is None:
            message = f"{item.site.name} is not on the approved supplier list."
        elif not entry.is_current:
            message = f"{item.site.name} is {entry.get_status_display().lower()} on the approved supplier list."
        elif (
            item.capability_id
            and entry.capabilities.all()
            and item.capability_id not in {c.pk for c in entry.capabilities.all()}
        ):
            message = f"{item.site.name} is not approved for {item.capability.name}."
        else:
            continue
        if message not in gaps:
            gaps.append(message)
    return gaps


def asl_standing_for_cmos(cmo_ids: Iterable[int]) -> dict[int, str]:
    """Each CMO's sites on the list, e.g. "2 approved, 1 conditionally approved" (one query)."""
    counts: dict[int, Counter] = {}
    rows = (
        SiteQualification.objects.filter(site__cmo_id__in=list(cmo_ids))
        .order_by()
        .values_list("site__cmo_id", "status")
    )
    for cmo_id, status in rows:
        counts.setdefault(cmo_id, Counter())[status] += 1
    labels = dict(SiteQualification.Status.choices)
    return {
        cmo_id: ", ".join(
            f"{n} {labels[status].lower()}"
            for status, n in sorted(c.items(), key=lambda kv: list(labels).index(kv[0]))
        )
        for cmo_id, c in counts.items()
    }
