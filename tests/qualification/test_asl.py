"""An approval puts a site on the approved supplier list, with its scope and signature."""

from datetime import date

import pytest

from qualification.models import SiteQualification
from qualification.services import asl_sync_cmos, qualification_update
from tests.qualification.conftest import approve

pytestmark = pytest.mark.django_db


def test_an_approved_audit_puts_its_site_on_the_list_with_the_signature(approved, reviewer):
    entry = SiteQualification.objects.get(site=approved.site)
    assert entry.status == SiteQualification.Status.APPROVED
    assert entry.audit == approved and entry.signature.signer == reviewer
    assert entry.last_audit_end == approved.planned_end
    assert entry.valid_until is not None
    assert entry.history.last().history_user == reviewer  # created by the signer


def test_qa_edits_the_scope_with_a_reason_kept_in_history(approved, qa):
    entry = SiteQualification.objects.get(site=approved.site)
    entry = qualification_update(
        qualification=entry,
        user=qa,
        reason="Scope limited after the audit",
        status="conditionally_approved",
        conditions="Close CAPA 3 by June",
        products="mAb-1",
    )
    assert entry.status == "conditionally_approved" and entry.products == "mAb-1"
    assert entry.history.filter(history_change_reason="Scope limited after the audit").exists()


def test_an_older_audit_does_not_replace_a_newer_one(
    qa, reviewer, django_capture_on_commit_callbacks
):
    from tests.factories import SiteFactory

    site = SiteFactory()
    with django_capture_on_commit_callbacks(execute=True):
        newer = approve(site, qa, reviewer, end=date(2026, 5, 1))
    asl_sync_cmos(cmo_ids=[site.cmo_id])
    assert SiteQualification.objects.get(site=site).audit == newer


def test_the_entry_page_links_to_its_cmo_and_its_site_by_name(approved, client_for, sourcing):
    from django.utils.html import escape

    entry = SiteQualification.objects.get(site=approved.site)
    page = client_for(sourcing).get(entry.get_absolute_url()).content.decode()
    site, cmo = approved.site, approved.site.cmo
    assert f'<a href="{cmo.get_absolute_url()}">{escape(cmo.legal_name)}</a>' in page
    assert f'<a href="{site.get_absolute_url()}">Site page</a>' in page
