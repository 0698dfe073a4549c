import pytest
from django.db import IntegrityError

from tests.factories import SiteFactory
from vendors.models import Capability, CapabilityLevel, SiteCapability


def test_the_taxonomy_is_seeded_in_every_category(db):
    by_category = {c: set() for c in Capability.Category.values}
    for capability in Capability.objects.all():
        by_category[capability.category].add(capability.name)
    assert "Isolator aseptic filling" in by_category["technologies"]
    assert "Monoclonal antibodies and recombinant proteins" in by_category["modalities"]
    assert {"Preclinical", "Phase I–II", "Phase III", "Commercial"} == by_category["scale"]
    assert all(len(names) >= 4 for names in by_category.values())


def test_a_site_holds_a_capability_once_and_levels_order_by_strength(db):
    site = SiteFactory()
    tablets = Capability.objects.get(code="dosage-forms-tablets")
    SiteCapability.objects.create(site=site, capability=tablets, level=CapabilityLevel.VERIFIED)
    assert SiteCapability.objects.filter(level__gte=CapabilityLevel.DEMONSTRATED).count() == 1
    with pytest.raises(IntegrityError):
        SiteCapability.objects.create(site=site, capability=tablets)
