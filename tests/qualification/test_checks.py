"""Contracts and evaluations read the approved supplier list."""

import pytest
from django.urls import reverse

from contracts.models import ScopeItem
from qualification.checks import asl_standing_for_cmos
from qualification.models import SiteQualification
from tests.factories import ContractFactory, SiteFactory
from vendors.models import Capability

pytestmark = pytest.mark.django_db


def test_the_contract_page_flags_a_service_the_site_is_not_approved_for(client_for, manager):
    site = SiteFactory()
    entry = SiteQualification.objects.create(site=site, status="approved")
    packaging = Capability.objects.get(code="services-packaging")
    filling = Capability.objects.get(code="dosage-forms-sterile-liquid-vials")
    entry.capabilities.set([packaging])
    other = SiteFactory(cmo=site.cmo)
    sow = ContractFactory(cmo=site.cmo, contract_type="sow")
    ScopeItem.objects.create(contract=sow, product="mAb-1", site=site, capability=filling)
    ScopeItem.objects.create(contract=sow, product="mAb-1", site=site, capability=packaging)
    ScopeItem.objects.create(contract=sow, product="mAb-1", site=other, capability=packaging)
    page = client_for(manager).get(reverse("contracts:contract_detail", args=[sow.pk]))
    html = page.content.decode()
    assert f"{site.name} is not approved for {filling.name}." in html
    assert f"{site.name} is not approved for {packaging.name}." not in html
    assert f"{other.name} is not on the approved supplier list." in html


def test_an_evaluation_reads_each_candidates_standing_on_the_list():
    site = SiteFactory()
    SiteQualification.objects.create(site=site, status="approved")
    SiteQualification.objects.create(site=SiteFactory(cmo=site.cmo), status="suspended")
    assert asl_standing_for_cmos([site.cmo_id, 0]) == {site.cmo_id: "1 approved, 1 suspended"}


def test_the_qa_gate_reads_the_risk_based_due_date_of_a_site_on_the_list(
    qa, reviewer, django_capture_on_commit_callbacks
):
    from datetime import date, timedelta

    from audits.gate import sites_gate
    from qualification.schedule import due_dates_for_sites
    from tests.qualification.conftest import approve

    site = SiteFactory()
    with django_capture_on_commit_callbacks(execute=True):
        approve(site, qa, reviewer, end=date.today() - timedelta(days=10))
    assert sites_gate([site.pk], due_dates=due_dates_for_sites([site.pk]))[0].passes
    SiteQualification.objects.filter(site=site).update(valid_until=date.today() - timedelta(days=1))
    (gate,) = sites_gate([site.pk], due_dates=due_dates_for_sites([site.pk]))
    assert "requalification was due on" in gate.blockers[0]
