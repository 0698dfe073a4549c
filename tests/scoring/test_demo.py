import pytest

from scoring.demo import DECIDED_NAME, OPEN_NAME, seed_scoring
from scoring.models import CmoScore, ComparisonReport, Evaluation
from vendors.demo import ensure_demo_users, seed_directory

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_and_a_decided_evaluation_and_is_idempotent(
    django_capture_on_commit_callbacks,
):
    seed_directory()
    ensure_demo_users()
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_scoring() == {"evaluations": 2, "reports": 2, "decisions": 1}
    open_one = Evaluation.objects.get(name=OPEN_NAME)
    assert open_one.status == "open" and open_one.candidates.count() == 6
    assert open_one.candidates.filter(rank=1).exists()
    assert open_one.reports.get().status == ComparisonReport.Status.READY
    decided = Evaluation.objects.get(name=DECIDED_NAME)
    assert decided.status == "decided" and decided.decision.signed_by.username == "manager"
    assert decided.reports.get().with_decision
    assert CmoScore.objects.count() == 40
    assert seed_scoring() == {"evaluations": 0, "reports": 0, "decisions": 0}
