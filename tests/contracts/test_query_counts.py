"""The renewals dashboard and the daily alerts cost the same number of queries for any book size.

Both used to read every active contract to compute notice deadlines in Python; now the database
selects, counts and orders them, so adding contracts adds rows to scan, not queries.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import today
from contracts.services import contract_alerts_send
from tests.factories import CmoFactory, ContractFactory, MilestoneFactory, UserFactory

pytestmark = pytest.mark.django_db


def add_book(size: int, *, offset: int = 0) -> None:
    """`size` CMOs, each with an active contract in its notice window, one whose deadline
    was missed, and a late milestone; each contract has its own owner."""
    on = today()
    for n in range(offset, offset + size):
        cmo = CmoFactory(legal_name=f"Book CMO {n:03d}")
        owner = UserFactory(username=f"owner-{n:03d}")
        upcoming = ContractFactory(
            cmo=cmo,
            owner=owner,
            status="active",
            expiry_date=on + timedelta(days=65 + n % 20),
            notice_period=2,
            notice_period_unit="months",
        )
        ContractFactory(
            cmo=cmo,
            owner=owner,
            status="active",
            expiry_date=on + timedelta(days=10 + n % 5),
            notice_period=30,
            notice_period_unit="days",
        )
        MilestoneFactory(contract=upcoming, planned_date=on - timedelta(days=3 + n))


def queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def reads_and_writes(fn) -> tuple[int, int]:
    """Queries other than INSERTs, and INSERTs (saved in batches as large as the database takes)."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    inserts = sum(q["sql"].lstrip().upper().startswith("INSERT") for q in captured)
    return len(captured) - inserts, inserts


def test_the_dashboard_costs_the_same_queries_for_three_or_thirty_cmos(
    client_for, manager, settings
):
    settings.CONTRACT_NOTICE_LEAD_DAYS = 30
    client = client_for(manager)
    url = reverse("contracts:dashboard")
    client.get(url)  # the session and permissions are read once per login
    add_book(3)
    small = queries(lambda: client.get(url))
    add_book(27, offset=3)
    body = client.get(url).content.decode()
    assert "Notice deadlines approaching (30)" in body and "Notice deadlines missed (30)" in body
    assert queries(lambda: client.get(url)) == small


def test_the_daily_alerts_cost_the_same_queries_for_three_or_thirty_cmos(manager, settings):
    settings.CONTRACT_NOTICE_LEAD_DAYS = 30
    add_book(3)
    reads, writes = reads_and_writes(contract_alerts_send)
    assert len(mail.outbox) == 3 * 3 * 2  # three events per CMO, to its owner and the manager
    assert writes == 1
    add_book(27, offset=3)
    mail.outbox.clear()
    more_reads, more_writes = reads_and_writes(contract_alerts_send)
    assert len(mail.outbox) == 27 * 3 * 2
    assert more_reads == reads
    assert more_writes <= 2  # 162 notices: one or two batches, as the database takes them
    again_reads, again_writes = reads_and_writes(contract_alerts_send)
    assert again_writes == 0 and again_reads < reads  # all sent before: nothing saved
