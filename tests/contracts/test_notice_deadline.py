"""The notice deadline computed by the database agrees with the Python rule on every case.

The dashboard and the daily alerts select contracts by `notice_due`, the database's version of
`Contract.notice_deadline`; a disagreement of one day would hide a deadline or alert too late.
These tests run on whichever database the suite runs on (SQLite by default, PostgreSQL in CI).
"""

from datetime import date, timedelta

import pytest

from contracts.models import Contract
from contracts.models.notice import notice_deadline_for
from tests.factories import CmoFactory, ContractFactory

pytestmark = pytest.mark.django_db

DAY_PERIODS = (1, 2, 7, 14, 28, 29, 30, 31, 59, 60, 61, 90, 180, 365, 366, 730, 1000)


def every_day(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def month_ends(first_year: int, last_year: int) -> list[date]:
    return [
        date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
        for year in range(first_year, last_year + 1)
        for month in range(1, 13)
    ]


def mismatches(cases: list[tuple[date | None, int | None, str]]) -> list[tuple]:
    """Store one contract per case, read `notice_due` in one query, and list the disagreements."""
    cmo = CmoFactory()
    Contract.objects.bulk_create(
        (
            Contract(
                cmo=cmo,
                contract_type="supply",
                title=f"Case {n}",
                expiry_date=expiry,
                notice_period=period,
                notice_period_unit=unit,
            )
            for n, (expiry, period, unit) in enumerate(cases)
        ),
        batch_size=2000,
    )
    rows = Contract.objects.with_notice_deadline().values_list(
        "expiry_date", "notice_period", "notice_period_unit", "notice_due"
    )
    seen = 0
    wrong = []
    for expiry, period, unit, due in rows.iterator(chunk_size=5000):
        seen += 1
        expected = notice_deadline_for(expiry, period, unit)
        if due != expected:
            wrong.append((expiry, period, unit, due, expected))
    assert seen == len(cases)
    return wrong


@pytest.mark.parametrize("year", [2023, 2024])  # a common year and a leap year
def test_calendar_months_agree_for_every_day_of_the_year(year):
    days = every_day(year) + month_ends(year - 1, year + 1)
    cases = [(expiry, months, "months") for expiry in days for months in range(37)]
    assert mismatches(cases)[:10] == []  # the first few, if any, say which rule broke


@pytest.mark.parametrize("year", [2023, 2024])
def test_day_periods_agree_for_every_day_of_the_year(year):
    cases = [
        (expiry, days, "days")
        for expiry in every_day(year) + month_ends(2000, 2031)
        for days in (0, *DAY_PERIODS)
    ]
    assert mismatches(cases)[:10] == []


def test_leap_days_century_years_and_open_ended_contracts_agree():
    leap_days = [date(y, 2, 29) for y in (1996, 2000, 2004, 2020, 2024, 2028, 2096, 2400)]
    around = [date(y, m, d) for y in (1900, 2000, 2100) for m in (2, 3) for d in (1, 28)]
    cases = [
        (expiry, period, unit)
        for expiry in [*leap_days, *around, date(2100, 3, 31), date(2001, 3, 31)]
        for unit in ("months", "days")
        for period in (None, 0, 1, 11, 12, 13, 24, 48, 120, 1200)
    ]
    cases += [(None, 3, "months"), (None, 30, "days"), (None, None, "months")]
    assert mismatches(cases) == []


@pytest.mark.parametrize(
    "expiry, period, unit, deadline",
    [
        (date(2026, 5, 31), 3, "months", date(2026, 2, 28)),
        (date(2028, 5, 31), 3, "months", date(2028, 2, 29)),
        (date(2028, 2, 29), 12, "months", date(2027, 2, 28)),
        (date(2027, 3, 31), 1, "months", date(2027, 2, 28)),
        (date(2026, 3, 1), 1, "days", date(2026, 2, 28)),
        (date(2027, 1, 15), 90, "days", date(2026, 10, 17)),
        (date(2027, 1, 15), None, "months", date(2027, 1, 15)),
    ],
)
def test_the_annotation_gives_the_documented_deadlines(expiry, period, unit, deadline):
    c = ContractFactory(expiry_date=expiry, notice_period=period, notice_period_unit=unit)
    assert Contract.objects.with_notice_deadline().get(pk=c.pk).notice_due == deadline


def test_the_open_window_in_sql_is_the_models_open_window(settings):
    """Whatever the day, the queryset picks exactly the contracts whose window the model sees open."""
    settings.CONTRACT_NOTICE_LEAD_DAYS = 30
    cmo = CmoFactory()
    start = date(2027, 12, 1)
    contracts = Contract.objects.bulk_create(
        Contract(
            cmo=cmo,
            contract_type="msa",
            title=f"MSA {n}",
            status=status,
            expiry_date=start + timedelta(days=n * 3) if n % 11 else None,
            notice_period=n % 5 or None,
            notice_period_unit="days" if n % 2 else "months",
        )
        for n in range(120)
        for status in ("active", "draft")
    )
    for on in [start + timedelta(days=d) for d in range(0, 400, 9)]:
        in_sql = Contract.objects.notice_window_open(on=on)
        assert set(in_sql.values_list("pk", flat=True)) == {
            c.pk for c in contracts if c.notice_window_open(on)
        }
        assert set(in_sql.filter(notice_due__lt=on).values_list("pk", flat=True)) == {
            c.pk for c in contracts if c.notice_missed(on)
        }
