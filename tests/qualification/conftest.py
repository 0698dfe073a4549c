from datetime import date, timedelta

import pytest

from audits.models import Audit
from audits.services import audit_decide
from tests.conftest import PASSWORD
from tests.factories import SiteFactory, answer_all, make_audit, submit_for_review


def approve(site, qa, reviewer, *, end: date, decision: str = "approve", **sign) -> Audit:
    """An audit of `site` that ended on `end`, performed by `qa` and signed by `reviewer`."""
    audit = make_audit(
        site=site, lead=qa, status=Audit.Status.IN_PROGRESS, planned_start=end, planned_end=end
    )
    answer_all(audit, qa)
    submit_for_review(audit, qa)
    audit_decide(
        audit=audit,
        user=reviewer,
        password=PASSWORD,
        decision=decision,
        meaning="approved",
        **sign,
    )
    audit.refresh_from_db()
    return audit


@pytest.fixture
def approved(qa, reviewer, django_capture_on_commit_callbacks):
    """A site with an approved audit that ended ten days ago, on the approved supplier list."""
    site = SiteFactory()
    with django_capture_on_commit_callbacks(execute=True):
        audit = approve(site, qa, reviewer, end=date.today() - timedelta(days=10))
    return audit
