"""When a site is due for requalification: an interval per risk class from its last audit.

    due = end of the last approved audit + interval(risk class)
          (12 / 24 / 36 months for high / medium / low; REQUALIFICATION_INTERVAL_MONTHS)
    a serious event since that audit (OAI inspection, warning letter, class I recall) brings
    it to no later than FOR_CAUSE_DUE_DAYS after the event

An approved (or conditionally approved) audit moves the end forward, so each one resets the date.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count, QuerySet, Window
from django.db.models.functions import RowNumber, TruncMonth

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

    One query whatever the number of sites: each month's count and its first names come from
    window functions over the year's entries, filtered on their row number in the month.
    """
    first = today.replace(day=1)
    starts = [first + relativedelta(months=n) for n in range(13)]
    month = TruncMonth("valid_until")
    rows = (
        entries.filter(valid_until__gte=starts[0], valid_until__lt=starts[-1])
        .annotate(
            in_month=Window(Count("pk"), partition_by=month),
            position=Window(
                RowNumber(), partition_by=month, order_by=["valid_until", "site__name", "pk"]
            ),
        )
        .filter(position__lte=MONTH_NAMES)
        .order_by("valid_until", "site__name", "pk")
        .values_list("pk", "site__name", "valid_until", "risk_class", "in_month")
    )
    due: dict[date, list[dict]] = {start: [] for start in starts}
    counts: dict[date, int] = {}
    for pk, name, when, risk, in_month in rows:
        start = when.replace(day=1)
        due[start].append({"pk": pk, "name": name, "due": when, "risk": risk})
        counts[start] = in_month
    return [
        {
            "month": start,
            "count": counts.get(start, 0),
            "sites": due[start],
            "more": counts.get(start, 0) - len(due[start]),
        }
        for start in starts[:-1]
    ]
