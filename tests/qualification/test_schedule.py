"""Requalification intervals by risk class, and the pull-in after a serious event."""

from datetime import date

from qualification.schedule import due_date


def test_the_interval_follows_the_risk_class():
    end = date(2026, 1, 15)
    assert due_date(last_audit_end=end, risk_class="high") == date(2027, 1, 15)
    assert due_date(last_audit_end=end, risk_class="medium") == date(2028, 1, 15)
    assert due_date(last_audit_end=end, risk_class="low") == date(2029, 1, 15)


def test_the_intervals_are_configurable(settings):
    settings.REQUALIFICATION_INTERVAL_MONTHS = {"high": 6, "medium": 18, "low": 30}
    assert due_date(last_audit_end=date(2026, 1, 15), risk_class="high") == date(2026, 7, 15)


def test_a_site_never_audited_has_no_due_date():
    assert due_date(last_audit_end=None, risk_class="high") is None


def test_a_serious_event_pulls_the_due_date_in_to_90_days_after_it():
    end = date(2026, 1, 15)
    pulled = due_date(last_audit_end=end, risk_class="high", cause_date=date(2026, 3, 1))
    assert pulled == date(2026, 5, 30)
    late = due_date(last_audit_end=end, risk_class="high", cause_date=date(2026, 12, 1))
    assert late == date(2027, 1, 15)  # never later than the interval itself
