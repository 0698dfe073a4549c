"""Each risk factor on its own, and how points make a class (qualification/risk.py)."""

from collections import Counter
from datetime import date

from qualification import risk
from qualification.risk import SiteFacts, assess, classify
from vendors.compliance import EMPTY
from vendors.models import GmpStatus

TODAY = date(2026, 6, 1)
CLEAN = EMPTY.__class__(**{**EMPTY.__dict__, "signal": 95, "event_count": 2})


def facts(**fields) -> SiteFacts:
    base = dict(
        site_id=1,
        today=TODAY,
        compliance=CLEAN,
        scope_codes={"services-packaging"},
        scope_is_approved=True,
        last_decision=("approved", date(2026, 1, 10)),
        last_approved_end=date(2026, 1, 10),
        gmp_certificate=GmpStatus.VALID,
    )
    return SiteFacts(**{**base, **fields})


def points(factor, **fields) -> int:
    contribution = factor(facts(**fields))
    return contribution.points if contribution else 0


def summary(**fields):
    return CLEAN.__class__(**{**CLEAN.__dict__, **fields})


def test_a_clean_recently_audited_packaging_site_is_low_risk():
    assessment = assess(facts())
    assert assessment.points == 0 and assessment.risk_class == "low"


def test_the_compliance_signal_weighs_by_band():
    assert points(risk.compliance_signal) == 0
    assert points(risk.compliance_signal, compliance=summary(signal=70)) == 2
    assert points(risk.compliance_signal, compliance=summary(signal=40)) == 4
    assert points(risk.compliance_signal, compliance=EMPTY) == 1


def test_each_compliance_flag_is_a_point_but_a_class_i_recall_counts_under_recalls():
    flags = ("OAI inspection within 5 years", "Class I recall within 3 years", "Open import alert")
    assert points(risk.compliance_flags, compliance=summary(flags=flags)) == 2


def test_sterile_biologic_potent_and_api_work_weigh_more_than_packaging():
    assert points(risk.outsourced_activity) == 0
    assert points(risk.outsourced_activity, scope_codes={"dosage-forms-tablets"}) == 2
    for code in (
        "dosage-forms-sterile-liquid-vials",
        "modalities-monoclonal-antibodies-and-recombinant-proteins",
        "modalities-highly-potent-api",
        "modalities-small-molecule-api",
    ):
        assert points(risk.outsourced_activity, scope_codes={code, "services-packaging"}) == 4


def test_the_last_audit_counts_by_outcome_and_age():
    assert points(risk.last_audit) == 0
    assert points(risk.last_audit, last_approved_end=None, last_decision=None) == 3
    assert points(risk.last_audit, last_decision=("rejected", date(2026, 3, 1))) == 4
    assert points(risk.last_audit, last_decision=("conditionally_approved", date(2026, 1, 10))) == 2
    assert points(risk.last_audit, last_approved_end=date(2024, 5, 1)) == 1
    assert points(risk.last_audit, last_approved_end=date(2023, 5, 1)) == 2


def test_open_critical_and_major_findings_weigh_4_and_2_up_to_8():
    assert points(risk.open_findings) == 0
    assert points(risk.open_findings, open_findings=Counter(major=1)) == 2
    assert points(risk.open_findings, open_findings=Counter(critical=1, major=1)) == 6
    assert points(risk.open_findings, open_findings=Counter(critical=3)) == 8


def test_overdue_capas_weigh_a_point_each_up_to_3():
    assert points(risk.overdue_capas) == 0
    assert points(risk.overdue_capas, overdue_capas=2) == 2
    assert points(risk.overdue_capas, overdue_capas=7) == 3


def test_recalls_of_the_last_three_years_weigh_by_class():
    assert points(risk.recalls, recalls_3y=Counter(class_2=1)) == 1
    assert points(risk.recalls, recalls_3y=Counter(class_1=1)) == 3
    assert points(risk.recalls, recalls_3y=Counter(class_1=2, class_2=1)) == 4
    assert points(risk.recalls, recalls_3y=Counter(class_3=5)) == 0


def test_an_expired_gmp_certificate_weighs_more_than_none_on_file():
    assert points(risk.gmp_certificate) == 0
    assert points(risk.gmp_certificate, gmp_certificate=GmpStatus.MISSING) == 1
    assert points(risk.gmp_certificate, gmp_certificate=GmpStatus.EXPIRED) == 3


def test_a_serious_event_since_the_last_audit_makes_the_site_high_risk_whatever_the_points():
    assessment = assess(facts(serious_events=[(9, "Warning letter", date(2026, 4, 2))]))
    assert assessment.risk_class == "high" and assessment.points == 4
    assert assessment.cause_event_id == 9 and assessment.cause == "Warning letter on 2026-04-02"


def test_points_make_the_class():
    assert [classify(p) for p in (0, 3, 4, 7, 8, 20)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_the_factors_are_the_ones_the_readme_lists():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for factor in risk.FACTORS:
        assert f"`{factor.__name__}`" in readme


def test_the_register_gives_each_site_its_gmp_certificate_factor(db):
    import datetime

    from qualification.risk import assess_sites
    from tests.factories import CertificateFactory, SiteFactory

    today = datetime.date(2026, 6, 1)
    valid, lapsed, none = SiteFactory(), SiteFactory(), SiteFactory()
    CertificateFactory(site=valid, valid_until=datetime.date(2027, 1, 1))
    CertificateFactory(site=lapsed, valid_until=datetime.date(2026, 5, 31))
    found = assess_sites([valid.pk, lapsed.pk, none.pk], today=today)
    lines = {pk: {c.factor: c for c in a.contributions} for pk, a in found.items()}
    assert lines[valid.pk]["GMP certificate"].points == 0
    assert lines[lapsed.pk]["GMP certificate"].points == 3
    assert lines[none.pk]["GMP certificate"].detail == "none in the certificate register"
