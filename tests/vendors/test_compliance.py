import datetime

import pytest

from tests.factories import RegulatoryEventFactory, SiteFactory
from vendors.compliance import compliance_for_cmos, compliance_for_sites, weight
from vendors.models import Agency, Classification, EventKind

TODAY = datetime.date(2026, 1, 1)
C = Classification
K = EventKind

pytestmark = pytest.mark.django_db


def years_ago(years: float) -> datetime.date:
    return TODAY - datetime.timedelta(days=round(years * 365.25))


def test_the_recency_weight_is_full_for_a_year_then_falls_to_zero_at_five():
    assert weight(years_ago(0.5), TODAY) == 1
    assert weight(years_ago(1), TODAY) == 1
    assert weight(years_ago(3), TODAY) == pytest.approx(0.5, abs=0.01)
    assert weight(years_ago(5.01), TODAY) == 0
    assert weight(years_ago(9), TODAY) == 0


def test_a_site_without_events_has_no_signal():
    site = SiteFactory()
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    assert summary.signal is None
    assert summary.event_count == 0
    assert summary.flags == ()


def test_a_clean_record_scores_100():
    site = SiteFactory()
    RegulatoryEventFactory(site=site, classification=C.NAI, event_date=years_ago(0.5))
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    assert summary.signal == 100
    assert summary.last_fda_inspection == (years_ago(0.5), "NAI")
    assert summary.breakdown == (("Starting score", 100.0),)


def test_the_hand_checked_case():
    """OAI 6 months ago (30 × 1), warning letter 3 years ago (30 × 0.5), class II recall
    2 years ago (5 × 0.75), VAI 7 years ago (0): 100 − 30 − 15 − 3.75 = 51.25 → 51."""
    site = SiteFactory()
    RegulatoryEventFactory(site=site, classification=C.OAI, event_date=years_ago(0.5))
    RegulatoryEventFactory(
        site=site, kind=K.WARNING_LETTER, classification="", event_date=years_ago(3)
    )
    RegulatoryEventFactory(
        site=site, kind=K.RECALL, classification=C.CLASS_2, event_date=years_ago(2)
    )
    RegulatoryEventFactory(site=site, classification=C.VAI, event_date=years_ago(7))
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    assert summary.signal == 51
    assert summary.breakdown == (
        ("Starting score", 100.0),
        ("OAI inspection ×1", -30.0),
        ("Warning letter ×1", -15.0),
        ("Class II recall ×1", -3.8),
    )
    assert summary.flags == ("OAI inspection within 5 years", "Warning letter within 5 years")
    assert summary.event_count == 4
    assert summary.latest_warning_letter == years_ago(3)
    assert summary.open_warning_letter is True
    assert dict(summary.counts_5y) == {"Inspection": 1, "Recall": 1, "Warning letter": 1}


def test_an_inspection_exported_per_project_area_counts_once_with_its_worst_class():
    site = SiteFactory()
    for area, cls in [("Drugs", C.VAI), ("Biologics", C.OAI), ("Devices", C.NAI)]:
        RegulatoryEventFactory(
            site=site,
            reference="1300001",
            project_area=area,
            classification=cls,
            event_date=years_ago(0.2),
        )
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    assert summary.signal == 70
    assert summary.last_fda_inspection == (years_ago(0.2), "OAI")


def test_an_open_import_alert_weighs_fully_whatever_its_age_and_a_closed_letter_is_not_open():
    site = SiteFactory()
    RegulatoryEventFactory(
        site=site, kind=K.IMPORT_ALERT, classification="", event_date=years_ago(8)
    )
    RegulatoryEventFactory(
        site=site, kind=K.RECALL, classification=C.CLASS_1, event_date=years_ago(2)
    )
    RegulatoryEventFactory(
        site=site,
        kind=K.WARNING_LETTER,
        classification="",
        event_date=years_ago(4.5),
        closed_on=years_ago(4),
    )
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    # 100 − 25 − 15 × 0.75 − 30 × 0.125 = 60
    assert summary.signal == 60
    assert "Open import alert" in summary.flags
    assert "Class I recall within 3 years" in summary.flags
    assert summary.open_warning_letter is False


def test_the_signal_never_goes_below_zero():
    site = SiteFactory()
    for i in range(5):
        RegulatoryEventFactory(site=site, kind=K.INJUNCTION, classification="", reference=f"I{i}")
    summary = compliance_for_sites([site.pk], today=datetime.date(2024, 6, 1))[site.pk]
    assert summary.signal == 0


def test_a_cmo_summary_spans_its_sites_in_constant_queries(django_assert_num_queries):
    first = SiteFactory()
    second = SiteFactory(cmo=first.cmo)
    other = SiteFactory()
    RegulatoryEventFactory(site=first, classification=C.VAI, event_date=years_ago(0.1))
    RegulatoryEventFactory(
        site=second, classification=C.NON_COMPLIANT, agency=Agency.EMA, event_date=years_ago(0.1)
    )
    with django_assert_num_queries(1):
        summaries = compliance_for_cmos([first.cmo_id, other.cmo_id], today=TODAY)
    assert summaries[first.cmo_id].signal == 62
    assert summaries[first.cmo_id].last_fda_inspection == (years_ago(0.1), "VAI")
    assert summaries[other.cmo_id].signal is None


def test_an_event_dated_after_today_is_left_out_of_the_signal_flags_and_counts():
    site = SiteFactory()
    RegulatoryEventFactory(site=site, classification=C.NAI, event_date=years_ago(0.5))
    future = TODAY + datetime.timedelta(days=365 * 73)
    RegulatoryEventFactory(site=site, kind=K.WARNING_LETTER, classification="", event_date=future)
    RegulatoryEventFactory(site=site, classification=C.OAI, event_date=future)
    summary = compliance_for_sites([site.pk], today=TODAY)[site.pk]
    assert summary.signal == 100
    assert summary.flags == ()
    assert summary.breakdown == (
        ("Starting score", 100.0),
        ("Dated after today, not counted ×2", 0.0),
    )
    assert summary.event_count == 1 and dict(summary.counts_5y) == {"Inspection": 1}
    assert summary.last_fda_inspection == (years_ago(0.5), "NAI")
    assert summary.latest_warning_letter is None and summary.open_warning_letter is False


def test_a_site_with_only_future_dated_events_has_no_signal():
    site = SiteFactory()
    RegulatoryEventFactory(
        site=site, classification=C.OAI, event_date=TODAY + datetime.timedelta(days=1)
    )
    assert compliance_for_sites([site.pk], today=TODAY)[site.pk].signal is None
