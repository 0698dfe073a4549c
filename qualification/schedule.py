"""When a site is due for requalification: an interval per risk class from its last audit.

    due = end of the last approved audit + interval(risk class)
          (12 / 24 / 36 months for high / medium / low; REQUALIFICATION_INTERVAL_MONTHS)
    a serious event since that audit (OAI inspection, warning letter, class I recall) brings
    it to no later than FOR_CAUSE_DUE_DAYS after the event

An approved (or conditionally approved) audit moves the end forward, so each one resets the date.
"""

import itertools
from collections.abc import Iterable
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connections
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

MONTH_NAMES = 8  # the sites the calendar names in each month; the rest are counted


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
    """The coming twelve months, each with how many sites are due in it and the first
    MONTH_NAMES of them, soonest first.

    Two queries whatever the number of sites: the counts per month, then each month's first
    names, which the index on the due date finds without reading the rest of the month (one
    UNION ALL of the twelve months where the database takes LIMIT in its parts, PostgreSQL;
    one query a month on SQLite).
    """
    first = today.replace(day=1)
    starts = [first + relativedelta(months=n) for n in range(13)]
    counts = dict(
        entries.filter(valid_until__gte=starts[0], valid_until__lt=starts[-1])
        .annotate(month=TruncMonth("valid_until"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    parts = [
        entries.filter(valid_until__gte=start, valid_until__lt=end)
        .order_by("valid_until", "site__name", "pk")
        .values_list("pk", "site__name", "valid_until", "risk_class")[:MONTH_NAMES]
        for start, end in itertools.pairwise(starts)
        if counts.get(start)
    ]
    if len(parts) > 1 and connections[entries.db].features.supports_slicing_ordering_in_compound:
        rows = list(parts[0].union(*parts[1:], all=True))
    else:
        rows = [row for part in parts for row in part]
    due: dict[date, list[dict]] = {start: [] for start in starts}
    for pk, name, when, risk in sorted(rows, key=lambda r: (r[2], r[1], r[0])):
        due[when.replace(day=1)].append({"pk": pk, "name": name, "due": when, "risk": risk})
    return [
        {
            "month": start,
            "count": counts.get(start, 0),
            "sites": due[start],
            "more": counts.get(start, 0) - len(due[start]),
        }
        for start in starts[:-1]
    ]
