"""Site and CMO pages list their audits (with outcome and report) and offer "Plan an audit"."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from audits.models import Audit, AuditReport
from tests.factories import SiteFactory, make_audit

pytestmark = pytest.mark.django_db


def decided(site, lead, *, score=86.0):
    audit = make_audit(site=site, lead=lead, planned_start=date(2025, 5, 5))
    Audit.objects.filter(pk=audit.pk).update(
        status=Audit.Status.APPROVED, score=score, recommended_outcome="approve"
    )
    report = AuditReport.objects.create(
        audit=audit, revision=1, requested_by=lead, status=AuditReport.Status.READY
    )
    report.file.save("report.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return audit, report


def test_the_site_page_lists_its_audits_with_outcome_lead_and_report(client_for, manager, qa):
    site = SiteFactory()
    audit, report = decided(site, qa)
    planned = make_audit(
        site=site, lead=qa, planned_start=date(2026, 9, 1), planned_end=date(2026, 9, 2)
    )
    elsewhere = make_audit(lead=qa)
    body = client_for(manager).get(site.get_absolute_url()).content.decode()
    assert 'id="audits"' in body
    assert audit.reference in body and planned.reference in body
    assert elsewhere.reference not in body
    assert "86 %" in body and "Approve" in body
    assert qa.get_full_name() in body
    assert report.get_absolute_url() in body
    assert "2026-09-01 – 2026-09-02" in body
    assert "Plan an audit" not in body  # a manager does not plan audits


def test_qa_plans_an_audit_from_the_site_page_with_the_site_prefilled(client_for, qa):
    site = SiteFactory()
    client = client_for(qa)
    body = client.get(site.get_absolute_url()).content.decode()
    create = reverse("audits:audit_create")
    assert f"{create}?site={site.pk}&amp;type=qualification" in body
    decided(site, qa)
    body = client.get(site.get_absolute_url()).content.decode()
    assert f"{create}?site={site.pk}&amp;type=requalification" in body
    form = client.get(f"{create}?site={site.pk}&type=requalification").content.decode()
    assert site.name in form


def test_a_site_without_audits_shows_the_empty_state(client_for, qa):
    site = SiteFactory()
    body = client_for(qa).get(site.get_absolute_url()).content.decode()
    assert "No audits yet." in body and "Plan the first audit" in body


def test_the_cmo_page_lists_the_audits_of_all_its_sites(client_for, qa):
    site = SiteFactory()
    other = SiteFactory(cmo=site.cmo)
    first, _ = decided(site, qa)
    second = make_audit(site=other, lead=qa)
    body = client_for(qa).get(site.cmo.get_absolute_url()).content.decode()
    assert first.reference in body and second.reference in body
    assert f"?site={other.pk}&amp;type=qualification" in body
    assert f"?site={site.pk}&amp;type=requalification" in body


def test_the_cmo_page_without_audits_shows_the_empty_state(client_for, sourcing):
    site = SiteFactory()
    body = client_for(sourcing).get(site.cmo.get_absolute_url()).content.decode()
    assert "No audits yet." in body and "Plan an audit" not in body


@pytest.mark.parametrize("page", ["site", "cmo"])
def test_the_pages_cost_the_same_queries_for_1_or_8_audits(
    client_for, qa, page, django_assert_max_num_queries
):
    site = SiteFactory()
    url = site.get_absolute_url() if page == "site" else site.cmo.get_absolute_url()
    client = client_for(qa)
    decided(site, qa)
    with django_assert_max_num_queries(80) as baseline:
        client.get(url)
    for _ in range(7):
        decided(site, qa)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get(url)
