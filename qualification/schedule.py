"""When a site is due for requalification: an interval per risk class from its last audit.

    due = end of the last approved audit + interval(risk class)
          (12 / 24 / 36 months for high / medium / low; REQUALIFICATION_INTERVAL_MONTHS)
    a serious event since that audit (OAI inspection, warning letter, class I recall) brings
    it to no later than FOR_CAUSE_DUE_DAYS after the event

An approved (or conditionally approved) audit moves the end forward, so each one resets the date.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import QuerySet


def interval_months(risk_class: str) -> int:
    return settings.REQUALIFICATION_INTERVAL_MONTHS[risk_class]


def due_date(
    *, last_audit_end: date | None, risk_class: str, cause_date: date | None = None
) -> date | None:
    """The requalification due date; None for a site never audited to approval."""
    if last_audit_end is None:
        return None
    due = last_audit_end + relativedelta(months=interval_months(risk_class))
    if cause_date is not None:
        due = min(due, cause_date + timedelta(days=settings.FOR_CAUSE_DUE_DAYS))
    return due


def due_dates_for_sites(site_ids: Iterable[int]) -> dict[int, date | None]:
    """The stored due date of each of these sites that the approved supplier list holds."""
    from qualification.models import SiteQualification

    return dict(
        SiteQualification.objects.filter(site_id__in=list(site_ids))
        .in_program()
        .values_list("site_id", "valid_until")
    )


def months_ahead(entries: QuerySet, today: date) -> list[dict]:
    """The coming twelve months, each with the sites due in it (one query)."""
    first = today.replace(day=1)
    end = first + relativedelta(months=12)
    due = defaultdict(list)
    rows = (
        entries.filter(valid_until__gte=first, valid_until__lt=end)
        .order_by("valid_until", "site__name")
        .values_list("pk", "site__name", "valid_until", "risk_class")
    )
    for pk, name, when, risk in rows:
        due[(when.year, when.month)].append({"pk": pk, "name": name, "due": when, "risk": risk})
    months = []
    for n in range(12):
        month = first + relativedelta(months=n)
        sites = due.get((month.year, month.month), [])
        months.append({"month": month, "count": len(sites), "sites": sites[:8]})
    return months
