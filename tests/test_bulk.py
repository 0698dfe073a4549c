"""The bulk insert that importers use: COPY on PostgreSQL, bulk_create elsewhere."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmoselect.bulk import insert_with_history
from tests.factories import SiteFactory
from vendors.models import Agency, Classification, EventKind, RegulatoryEvent

pytestmark = pytest.mark.django_db


def event_row(site, reference: str, **extra) -> dict:
    return {
        "site_id": site.pk,
        "kind": EventKind.INSPECTION,
        "agency": Agency.FDA,
        "reference": reference,
        "event_date": datetime.date(2025, 4, 1),
        "classification": Classification.VAI,
        **extra,
    }


def test_rows_and_their_history_are_written_with_user_reason_and_defaults(qa):
    site = SiteFactory()
    rows = [event_row(site, "1001"), event_row(site, "1002", citations_posted=True)]
    ids = insert_with_history(RegulatoryEvent, rows, user=qa, reason="Imported from x.csv")
    assert len(ids) == 2
    events = {e.reference: e for e in RegulatoryEvent.objects.filter(pk__in=ids)}
    assert set(events) == {"1001", "1002"}
    first = events["1001"]
    assert first.pk == ids[0]
    assert (first.kind, first.classification) == ("inspection", "vai")
    assert first.event_date == datetime.date(2025, 4, 1)
    assert first.source == "manual"  # the model default
    assert first.citations_posted is None and events["1002"].citations_posted is True
    recent = timezone.now() - datetime.timedelta(minutes=1)
    assert first.created_at > recent and first.updated_at > recent
    (record,) = first.history.all()
    assert record.history_type == "+"
    assert record.history_user == qa
    assert record.history_change_reason == "Imported from x.csv"
    assert record.reference == "1001" and record.site_id == site.pk


def test_ids_continue_the_tables_own_sequence(qa):
    site = SiteFactory()
    (first,) = insert_with_history(RegulatoryEvent, [event_row(site, "1")], user=qa, reason="r")
    saved = RegulatoryEvent.objects.create(
        site=site, kind=EventKind.INSPECTION, event_date=datetime.date(2025, 1, 1)
    )
    (third,) = insert_with_history(RegulatoryEvent, [event_row(site, "3")], user=qa, reason="r")
    assert first < saved.pk < third


def test_a_row_naming_an_unknown_field_is_refused_before_anything_is_written(qa):
    site = SiteFactory()
    with pytest.raises(ValueError, match="inspection_number"):
        insert_with_history(
            RegulatoryEvent,
            [event_row(site, "1"), event_row(site, "2", inspection_number="7")],
            user=qa,
            reason="r",
        )
    assert not RegulatoryEvent.objects.exists()


def test_a_constraint_violation_rolls_back_with_the_transaction(qa):
    site = SiteFactory()
    insert_with_history(RegulatoryEvent, [event_row(site, "1")], user=qa, reason="r")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_with_history(
            RegulatoryEvent, [event_row(site, "2"), event_row(site, "1")], user=qa, reason="r"
        )
    assert list(RegulatoryEvent.objects.values_list("reference", flat=True)) == ["1"]
    assert RegulatoryEvent.history.count() == 1


def test_nothing_to_insert_writes_nothing(qa, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_with_history(RegulatoryEvent, [], user=qa, reason="r") == []


def test_any_of_matches_like_in_with_long_lists_none_and_nothing():
    from django.db.models import F

    from cmoselect.bulk import AnyOf
    from vendors.models import Site

    sites = [SiteFactory(fei_number=str(3_000_000_000 + i)) for i in range(3)]
    wanted = [sites[0].fei_number, sites[2].fei_number, None, *map(str, range(1500))]
    found = Site.objects.filter(AnyOf(F("fei_number"), wanted))
    assert set(found) == {sites[0], sites[2]}
    assert not Site.objects.filter(AnyOf(F("fei_number"), [])).exists()
    assert set(Site.objects.filter(AnyOf(F("pk"), {sites[1].pk}))) == {sites[1]}


def test_upsert_inserts_new_rows_and_updates_the_ones_that_exist():
    from cmoselect.bulk import upsert
    from scoring.models import CmoScore, ScoringModel
    from tests.factories import CmoFactory

    version = ScoringModel.objects.get(is_default=True).current_version
    kept, changed, new = CmoFactory(), CmoFactory(), CmoFactory()
    earlier = timezone.now() - datetime.timedelta(days=1)
    for cmo in (kept, changed):
        CmoScore.objects.create(
            cmo=cmo, total=10.0, breakdown=[{"code": "a"}], version=version, computed_at=earlier
        )
    now = timezone.now()
    breakdown = [{"code": "quality", "score": 80.5, "note": 'a "quoted", {braced} \\ note'}]
    upsert(
        CmoScore,
        [
            CmoScore(
                cmo=changed, total=55.5, breakdown=breakdown, version=version, computed_at=now
            ),
            CmoScore(cmo=new, total=None, knocked_out=True, version=version, computed_at=now),
        ],
        unique="cmo",
        update=["total", "knocked_out", "breakdown", "computed_at"],
    )
    scores = {s.cmo_id: s for s in CmoScore.objects.all()}
    assert len(scores) == 3
    assert (scores[kept.pk].total, scores[kept.pk].computed_at) == (10.0, earlier)
    assert scores[changed.pk].total == 55.5
    assert scores[changed.pk].breakdown == breakdown
    assert scores[changed.pk].computed_at == now
    assert scores[new.pk].total is None and scores[new.pk].knocked_out is True
    assert scores[new.pk].breakdown == []  # the field's default
    assert scores[new.pk].explanation == ""


def test_upsert_of_nothing_writes_nothing(django_assert_num_queries):
    from cmoselect.bulk import upsert
    from scoring.models import CmoScore

    with django_assert_num_queries(0):
        upsert(CmoScore, [], unique="cmo", update=["total"])


def test_the_ids_of_deleted_rows_are_never_given_again(qa):
    site = SiteFactory()
    (first, second) = insert_with_history(
        RegulatoryEvent, [event_row(site, "1"), event_row(site, "2")], user=qa, reason="r"
    )
    RegulatoryEvent.objects.filter(pk=second).delete()
    (third,) = insert_with_history(RegulatoryEvent, [event_row(site, "3")], user=qa, reason="r")
    assert third > second
    assert RegulatoryEvent.objects.get(pk=third).history.get().reference == "3"


def test_many_rows_take_no_more_queries_than_a_few(qa, django_assert_num_queries):
    """Importers hold SQLite's single write lock while they insert: no query per batch of rows."""
    site = SiteFactory()
    few = [event_row(site, str(n)) for n in range(3)]
    many = [event_row(site, str(n)) for n in range(100, 1100)]
    with CaptureQueriesContext(connection) as for_few:
        insert_with_history(RegulatoryEvent, few, user=qa, reason="r")
    with django_assert_num_queries(len(for_few)):
        ids = insert_with_history(RegulatoryEvent, many, user=qa, reason="r")
    assert len(ids) == len(set(ids)) == 1000
    assert RegulatoryEvent.history.filter(id__in=ids).count() == 1000
    assert set(RegulatoryEvent.objects.filter(pk__in=ids).values_list("reference", flat=True)) == {
        str(n) for n in range(100, 1100)
    }
