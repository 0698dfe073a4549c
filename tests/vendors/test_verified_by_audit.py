"""“Verified by audit” is evidence: only an approved audit that covered the capability sets it."""

import pytest
from django.urls import reverse

from audits.models import Audit
from audits.services import audit_decide
from cmoselect.roles import QA
from tests.conftest import PASSWORD
from tests.factories import (
    SiteCapabilityFactory,
    SiteFactory,
    UserFactory,
    answer_all,
    make_audit,
    submit_for_review,
)
from tests.html_forms import rendered_form
from vendors.models import Capability, CapabilityLevel, SiteCapability
from vendors.services import VERIFIED_BY_HAND, site_capability_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_capabilities():
    return list(Capability.objects.order_by("pk")[:2])


def test_the_cell_editor_refuses_verified_by_audit_beside_the_field(client, sourcing):
    cell = SiteCapabilityFactory(level=CapabilityLevel.DEMONSTRATED)
    url = reverse("vendors:matrix_cell", args=[cell.site_id, cell.capability_id])
    client.force_login(sourcing)
    editor = client.get(url, {"edit": 1}, headers={"HX-Request": "true"}).content
    form = rendered_form(editor, url)
    assert str(CapabilityLevel.VERIFIED.value) in form.options["level"]
    data = form.data(level=str(CapabilityLevel.VERIFIED.value), change_reason="Seen on site")
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert VERIFIED_BY_HAND in response.content.decode().replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )
    shown = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'class="lvl lvl-2' in shown
    cell.refresh_from_db()
    assert cell.level == CapabilityLevel.DEMONSTRATED


def test_the_api_refuses_verified_by_audit_with_a_field_error(api_for, sourcing):
    cell = SiteCapabilityFactory(level=CapabilityLevel.CLAIMED)
    api = api_for(sourcing)
    response = api.patch(
        f"/api/v1/site-capabilities/{cell.pk}/",
        {"level": CapabilityLevel.VERIFIED, "change_reason": "Seen on site"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"level": [VERIFIED_BY_HAND]}
    other = Capability.objects.exclude(pk=cell.capability_id).first()
    response = api.post(
        "/api/v1/site-capabilities/",
        {"site": cell.site_id, "capability": other.pk, "level": CapabilityLevel.VERIFIED},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"level": [VERIFIED_BY_HAND]}
    assert not SiteCapability.objects.filter(capability=other).exists()
    cell.refresh_from_db()
    assert cell.level == CapabilityLevel.CLAIMED


def test_planning_an_audit_records_the_capabilities_it_covers(client, qa, two_capabilities):
    audit = make_audit(lead=qa)
    url = reverse("audits:audit_edit", args=[audit.pk])
    client.force_login(qa)
    form = rendered_form(client.get(url).content, url)
    assert str(two_capabilities[0].pk) in form.options["capabilities"]
    data = form.data(capabilities=[str(two_capabilities[0].pk)], change_reason="Scope agreed")
    assert client.post(url, data).status_code == 302
    assert list(audit.capabilities.all()) == [two_capabilities[0]]
    page = client.get(audit.get_absolute_url()).content.decode()
    assert f"<dt>Capabilities audited</dt><dd>{two_capabilities[0].name}</dd>" in page


def _approve(audit, qa, signer=None):
    answer_all(audit, qa)
    submit_for_review(audit, qa)
    # Another QA person signs: the lead auditor may not sign their own audit.
    signer = signer or UserFactory(username="qa-second-signer", roles=[QA])
    return audit_decide(
        audit=audit, user=signer, password=PASSWORD, decision="approve", meaning="approved"
    )


def test_approving_an_audit_verifies_the_capabilities_it_covered_with_a_link(
    client, qa, two_capabilities
):
    covered, other = two_capabilities
    site = SiteFactory()
    SiteCapabilityFactory(site=site, capability=covered, level=CapabilityLevel.CLAIMED)
    untouched = SiteCapabilityFactory(site=site, capability=other, level=CapabilityLevel.CLAIMED)
    audit = make_audit(site=site, lead=qa, status=Audit.Status.IN_PROGRESS)
    audit.capabilities.set([covered])
    signature = _approve(audit, qa)

    cell = SiteCapability.objects.get(site=site, capability=covered)
    assert cell.level == CapabilityLevel.VERIFIED
    assert cell.verified_by_audit == audit
    assert cell.source == SiteCapability.Source.AUDIT
    assert cell.last_verified == signature.signed_at.date()
    latest = cell.history.first()
    assert latest.history_change_reason == f"Verified by approved audit {audit.reference}"
    assert latest.history_user == signature.signer
    untouched.refresh_from_db()
    assert untouched.level == CapabilityLevel.CLAIMED and untouched.verified_by_audit is None

    client.force_login(qa)
    page = client.get(site.get_absolute_url()).content.decode()
    assert f'href="{audit.get_absolute_url()}">{audit.reference}</a>' in page


def test_a_rejected_audit_verifies_nothing(qa, reviewer, two_capabilities):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    audit.capabilities.set(two_capabilities)
    answer_all(audit, qa)
    submit_for_review(audit, qa)
    audit_decide(
        audit=audit,
        user=reviewer,
        password=PASSWORD,
        decision="reject",
        meaning="approved",
        comment="Data integrity gaps",
    )
    assert not SiteCapability.objects.filter(site=audit.site).exists()


def test_lowering_a_verified_cell_by_hand_drops_the_audit_link(qa, sourcing, two_capabilities):
    covered = two_capabilities[0]
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    audit.capabilities.set([covered])
    _approve(audit, qa)
    cell = site_capability_set(
        site=audit.site,
        capability=covered,
        level=CapabilityLevel.VERIFIED,
        user=sourcing,
        reason="Batch size corrected",
        max_batch_size=2000,
    )
    assert cell.verified_by_audit == audit  # kept while it stays verified
    cell = site_capability_set(
        site=audit.site,
        capability=covered,
        level=CapabilityLevel.DEMONSTRATED,
        user=sourcing,
        reason="Line decommissioned",
    )
    cell.refresh_from_db()
    assert cell.level == CapabilityLevel.DEMONSTRATED and cell.verified_by_audit is None


def test_the_api_plans_an_audit_with_the_capabilities_it_covers(api_for, qa, two_capabilities):
    from tests.factories import make_checklist

    api = api_for(qa)
    response = api.post(
        "/api/v1/audits/",
        {
            "site": SiteFactory().pk,
            "template_version": make_checklist().pk,
            "audit_type": "remote",
            "planned_start": "2026-05-04",
            "planned_end": "2026-05-04",
            "lead_auditor": qa.pk,
            "scope": "QC laboratory",
            "capabilities": [two_capabilities[1].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    audit = Audit.objects.get(pk=response.data["id"])
    assert list(audit.capabilities.all()) == [two_capabilities[1]]
    response = api.patch(
        f"/api/v1/audits/{audit.pk}/",
        {"capabilities": [two_capabilities[0].pk], "change_reason": "Scope agreed"},
        format="json",
    )
    assert response.status_code == 200, response.data
    assert list(audit.capabilities.all()) == [two_capabilities[0]]
