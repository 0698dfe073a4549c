from decimal import Decimal

import pytest

from tests.factories import CmoFactory, EvaluationFactory, SiteFactory
from vendors.models import Capability, CapabilityLevel, SiteCapability


@pytest.fixture
def capabilities(db):
    return {
        "vials": Capability.objects.get(code="dosage-forms-sterile-liquid-vials"),
        "lyo": Capability.objects.get(code="dosage-forms-lyophilized-products"),
        "mab": Capability.objects.get(
            code="modalities-monoclonal-antibodies-and-recombinant-proteins"
        ),
    }


def give(site, capability, level=CapabilityLevel.DEMONSTRATED, capacity=None, unit="vials/year"):
    return SiteCapability.objects.create(
        site=site,
        capability=capability,
        level=level,
        annual_capacity=None if capacity is None else Decimal(capacity),
        annual_capacity_unit=unit if capacity is not None else "",
    )


@pytest.fixture
def evaluation(capabilities, sourcing):
    """Three candidates for sterile vials of a mAb: one strong, one small, one in one country."""
    from scoring.models import Candidate, EvaluationNeed

    evaluation = EvaluationFactory(name="ABX-101 fill-finish", created_by=sourcing)
    EvaluationNeed.objects.create(
        evaluation=evaluation, capability=capabilities["vials"], min_level=2
    )
    EvaluationNeed.objects.create(
        evaluation=evaluation, capability=capabilities["mab"], min_level=1
    )
    cmos = {}
    for name, country, plan in [
        ("Basel Biologics AG", "CH", [("CH", 3, 90_000), ("US", 2, 80_000)]),
        ("Cork Sterile Ltd", "IE", [("IE", 2, 60_000)]),
        ("Hyderabad Fine Chemicals", "IN", [("IN", 1, 200_000), ("IN", 1, 10_000)]),
    ]:
        cmo = CmoFactory(legal_name=name, headquarters_country=country)
        for site_country, level, capacity in plan:
            site = SiteFactory(cmo=cmo, country=site_country)
            give(site, capabilities["vials"], level, capacity)
            give(site, capabilities["mab"], level)
        Candidate.objects.create(evaluation=evaluation, cmo=cmo, added_by=sourcing)
        cmos[name] = cmo
    evaluation.cmos = cmos
    return evaluation


@pytest.fixture
def decided(evaluation, manager):
    """The evaluation, scored and signed off by the manager: Basel Biologics selected."""
    from scoring.services import decision_sign, evaluation_compute
    from tests.conftest import PASSWORD

    evaluation_compute(evaluation=evaluation)
    evaluation.refresh_from_db()
    decision_sign(
        evaluation=evaluation,
        candidate=evaluation.candidates.get(cmo__legal_name="Basel Biologics AG"),
        user=manager,
        password=PASSWORD,
        meaning="selected",
        rationale="Best fit",
    )
    evaluation.refresh_from_db()
    return evaluation
