"""What a row of the approved supplier list and of the audit program shows, escaped."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from qualification.models import SiteQualification
from qualification.services import qualification_reassess
from tests.factories import RegulatoryEventFactory, make_audit
from vendors.models import Capability

pytestmark = pytest.mark.django_db


def _row(page: str, marker: str) -> str:
    """The table row of the page that holds `marker`."""
    at = page.index(marker)
    return page[page.rindex("<tr>", 0, at) : page.index("</tr>", at)]


def test_an_asl_row_shows_the_scope_approval_and_risk_with_names_escaped(
    approved, client_for, sourcing
):
    site = approved.site
    site.name = "Plant <B> & Co"
    site.save()
    site.cmo.legal_name = 'Acme "Pharma"'
    site.cmo.save()
    entry = SiteQualification.objects.get(site=site)
    entry.capabilities.set(Capability.objects.order_by("pk")[:2])
    SiteQualification.objects.filter(pk=entry.pk).update(
        conditions="Close CAPA-12 <before> the next batch",
        products="Product A\nProduct <B>",
        risk_override="high",
        risk_class="high",
    )
    entry.refresh_from_db()
    page = client_for(sourcing).get(reverse("qualification:asl")).content.decode()
    row = _row(page, "Plant &lt;B&gt; &amp; Co")
    assert f'<a href="{entry.get_absolute_url()}">Plant &lt;B&gt; &amp; Co</a>' in row
    assert f"Acme &quot;Pharma&quot; · {site.country.name}" in row
    assert '<span class="badge status-approved">Approved</span>' in row
    assert "Close CAPA-12 &lt;before&gt; the next batch" in row
    assert '<span class="badge risk-high">High risk</span> <small class="muted">(set by QA)' in row
    for capability in entry.capabilities.all():
        assert f'<span class="badge type">{capability.name}</span>' in row
    assert "Product A<br>Product &lt;B&gt;" in row
    audit_link = f'<a href="{approved.get_absolute_url()}">{approved.reference}</a>'
    assert audit_link in row
    assert f"{entry.approved_on.isoformat()} · {entry.signature.printed_name}" in row
    assert f'<span class="nowrap">{entry.valid_until.isoformat()}</span>' in row


def test_a_program_row_shows_the_for_cause_proposal_and_the_planned_audit(
    approved, client_for, qa, manager
):
    site = approved.site
    RegulatoryEventFactory(
        site=site, kind="warning_letter", event_date=date.today() - timedelta(days=2)
    )
    qualification_reassess(site_ids=[site.pk])
    url = reverse("qualification:program")
    row = _row(client_for(qa).get(url).content.decode(), f">{site.name}</a>")
    assert '<span class="badge risk-high">High risk</span>' in row
    assert "for-cause audit proposed" in row
    assert f"ended {approved.planned_end.isoformat()}" in row
    assert f'aria-label="Plan audit of {site.name}">Plan audit</a>' in row
    manager_row = _row(client_for(manager).get(url).content.decode(), f">{site.name}</a>")
    assert "Plan audit" not in manager_row and '<span class="muted">none</span>' in manager_row

    start = date.today() + timedelta(days=20)
    planned = make_audit(site=site, lead=qa, planned_start=start, planned_end=start)
    row = _row(client_for(qa).get(url).content.decode(), f">{site.name}</a>")
    assert f'<a href="{planned.get_absolute_url()}">{planned.reference}</a>' in row
    assert start.isoformat() in row and "Plan audit" not in row
