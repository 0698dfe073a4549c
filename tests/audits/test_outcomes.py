from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audits.models import Answer, Audit, Capa, Severity
from audits.outcomes import (
    Outcome,
    audit_recommendation,
    audit_score,
    latest_approved_audits,
    recommend,
)
from tests.factories import (
    CmoFactory,
    SiteFactory,
    UserFactory,
    make_audit,
    make_checklist,
    raise_finding,
)

pytestmark = pytest.mark.django_db


def answer(audit, index, value):
    row = audit.answers.order_by("question__section__position", "question__position")[index]
    Answer.objects.filter(pk=row.pk).update(value=value)


def test_the_score_is_the_weighted_share_of_applicable_points_per_section_and_overall():
    version = make_checklist(
        (("A", ("yes_no", "yes_no", "rating", "yes_no")), ("B", ("rating", "text"))), weight=2
    )
    audit = make_audit(version=version)
    answer(audit, 0, "yes")  # 2 of 2
    answer(audit, 1, "no")  # 0 of 2
    answer(audit, 2, "3")  # 1.5 of 2
    answer(audit, 3, "na")  # not applicable: left out
    answer(audit, 4, "4")  # 2 of 2
    answer(audit, 5, "free text is not scored")
    score = audit_score(audit)
    a, b = score.sections
    assert (a.earned, a.possible, a.percent) == (3.5, 6.0, 58.3)
    assert (b.earned, b.possible, b.percent) == (2.0, 2.0, 100.0)
    assert score.percent == round(100 * 5.5 / 8, 1)
    assert (score.answered, score.total) == (6, 6)


def test_an_unanswered_audit_has_no_score_and_no_recommendation():
    recommendation = audit_recommendation(make_audit())
    assert recommendation.score.percent is None
    assert recommendation.outcome == Outcome.INCOMPLETE


def test_a_failed_critical_question_is_flagged_whatever_the_score():
    version = make_checklist((("A", ("yes_no",) * 10),), critical=(3,))
    audit = make_audit(version=version)
    for index in range(10):
        answer(audit, index, "no" if index == 3 else "yes")
    recommendation = audit_recommendation(audit)
    assert recommendation.score.percent == 90.0
    assert [a.question.text for a in recommendation.score.failed_critical] == ["A question 4?"]
    assert recommendation.outcome == Outcome.NOT_APPROVABLE
    assert "critical question" in recommendation.rule


@pytest.mark.parametrize(
    "score, failed, critical, major, expected",
    [
        (95.0, 0, 1, 0, Outcome.NOT_APPROVABLE),
        (95.0, 1, 0, 0, Outcome.NOT_APPROVABLE),
        (None, 0, 0, 0, Outcome.INCOMPLETE),
        (59.9, 0, 0, 0, Outcome.NOT_APPROVABLE),
        (95.0, 0, 0, 1, Outcome.CONDITIONAL),
        (79.9, 0, 0, 0, Outcome.CONDITIONAL),
        (80.0, 0, 0, 0, Outcome.APPROVE),
    ],
)
def test_the_outcome_rules_in_order(score, failed, critical, major, expected):
    outcome, rule = recommend(
        score=score, failed_critical=failed, open_critical=critical, open_major=major
    )
    assert outcome == expected and rule


def test_open_critical_and_major_findings_drive_the_recommendation():
    audit = make_audit(status=Audit.Status.IN_PROGRESS)
    for index in range(5):
        answer(audit, index, "yes" if index != 2 else "4")
    user = UserFactory(roles=["QA"])
    raise_finding(audit, user, Severity.MAJOR)
    assert audit_recommendation(audit).outcome == Outcome.CONDITIONAL
    critical = raise_finding(audit, user, Severity.CRITICAL)
    assert audit_recommendation(audit).outcome == Outcome.NOT_APPROVABLE
    Capa.objects.filter(finding=critical).update(status=Capa.Status.CLOSED)
    assert audit_recommendation(audit).outcome == Outcome.CONDITIONAL


def _approved(site, *, days_ago, score):
    audit = make_audit(site=site)
    Audit.objects.filter(pk=audit.pk).update(
        status=Audit.Status.APPROVED,
        decided_at=timezone.now() - timedelta(days=days_ago),
        score=score,
        recommended_outcome=Outcome.APPROVE,
    )
    return audit


def test_latest_approved_audits_gives_one_outcome_per_cmo_in_constant_queries():
    cmos = [CmoFactory() for _ in range(3)]
    old = _approved(SiteFactory(cmo=cmos[0]), days_ago=400, score=70.0)
    new = _approved(SiteFactory(cmo=cmos[0]), days_ago=10, score=91.5)
    _approved(SiteFactory(cmo=cmos[1]), days_ago=5, score=85.0)
    make_audit(site=SiteFactory(cmo=cmos[2]))  # planned only: no outcome
    user = UserFactory(roles=["QA"])
    Audit.objects.filter(pk=new.pk).update(status=Audit.Status.IN_REVIEW)
    Audit.objects.filter(pk=new.pk).update(status=Audit.Status.IN_PROGRESS)
    new.refresh_from_db()
    finding = raise_finding(new, user, Severity.MAJOR)
    Capa.objects.filter(finding=finding).update(due_date=timezone.localdate() - timedelta(days=3))
    Audit.objects.filter(pk=new.pk).update(status=Audit.Status.APPROVED)

    with CaptureQueriesContext(connection) as few:
        result = latest_approved_audits([c.pk for c in cmos])
    assert set(result) == {cmos[0].pk, cmos[1].pk}
    outcome = result[cmos[0].pk]
    assert outcome.audit_id == new.pk and outcome.audit_id != old.pk
    assert outcome.score == 91.5 and outcome.open_major == 1 and outcome.overdue_capas == 1
    assert outcome.open_critical == 0 and outcome.url == f"/audits/{new.pk}/"

    more = [CmoFactory() for _ in range(5)]
    for cmo in more:
        _approved(SiteFactory(cmo=cmo), days_ago=1, score=80.0)
    with CaptureQueriesContext(connection) as many:
        latest_approved_audits([c.pk for c in cmos + more])
    assert len(few) == len(many) == 2
    assert latest_approved_audits([]) == {}
