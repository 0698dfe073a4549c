import io

import pytest
from django.core.management import call_command

from audits.models import Audit, AuditReport, Signature

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_an_audit_in_every_status_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--with-users", stdout=io.StringIO())
    assert set(Audit.objects.values_list("status", flat=True)) == set(Audit.Status.values)
    # The qualification demo adds earlier approved audits (its backstory) to other sites.
    from qualification.demo import BACKSTORY, PAPER

    approved = Audit.objects.exclude(scope__contains=PAPER).get(status=Audit.Status.APPROVED)
    assert (
        approved.findings.count() == 3 and approved.findings.filter(capa__status="closed").exists()
    )
    assert Signature.objects.filter(audit=approved).exists()
    assert AuditReport.objects.get(audit=approved).status == AuditReport.Status.READY
    call_command("seed_demo", "--with-users", stdout=io.StringIO())
    assert Audit.objects.count() == 7 + len(BACKSTORY)
