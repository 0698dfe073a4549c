import pytest

from tests.factories import CmoFactory, SiteCapabilityFactory, SiteFactory
from vendors.capabilities import needs_search
from vendors.models import Capability, CapabilityLevel, Cmo

L = CapabilityLevel
pytestmark = pytest.mark.django_db


@pytest.fixture
def caps():
    return {
        name: Capability.objects.get(code=code)
        for name, code in [
            ("vials", "dosage-forms-sterile-liquid-vials"),
            ("lyo", "dosage-forms-lyophilized-products"),
            ("mab", "modalities-monoclonal-antibodies-and-recombinant-proteins"),
        ]
    }


def test_cmos_covering_every_need_across_their_sites_come_first(caps, django_assert_num_queries):
    full = CmoFactory(legal_name="Full Coverage AG")
    fill = SiteFactory(cmo=full, name="Fill plant")
    bio = SiteFactory(cmo=full, name="Bio plant")
    SiteCapabilityFactory(site=fill, capability=caps["vials"], level=L.VERIFIED)
    SiteCapabilityFactory(site=fill, capability=caps["lyo"], level=L.DEMONSTRATED)
    SiteCapabilityFactory(site=bio, capability=caps["mab"], level=L.DEMONSTRATED)

    partial = SiteFactory(cmo=CmoFactory(legal_name="Half Way SA"))
    SiteCapabilityFactory(site=partial, capability=caps["vials"], level=L.VERIFIED)
    too_weak = SiteFactory(cmo=CmoFactory(legal_name="Only Claims Ltd"))
    SiteCapabilityFactory(site=too_weak, capability=caps["mab"], level=L.CLAIMED)

    needs = [
        (caps["vials"].pk, L.DEMONSTRATED),
        (caps["lyo"].pk, L.DEMONSTRATED),
        (caps["mab"].pk, L.DEMONSTRATED),
    ]
    with django_assert_num_queries(2):
        result = needs_search(needs)
    assert [m.cmo for m in result.full] == [full]
    match = result.full[0]
    assert match.coverage == 1
    assert match.covered[caps["vials"].pk] == [(fill, L.VERIFIED)]
    assert match.covered[caps["mab"].pk] == [(bio, L.DEMONSTRATED)]
    assert [m.cmo.legal_name for m in result.partial] == ["Half Way SA"]
    assert result.partial[0].coverage == pytest.approx(1 / 3)
    assert result.partial[0].missing == [caps["lyo"], caps["mab"]]


def test_partial_matches_rank_by_coverage_and_the_cmo_filter_applies(caps):
    one = SiteFactory(cmo=CmoFactory(legal_name="One"))
    two = SiteFactory(cmo=CmoFactory(legal_name="Two"))
    SiteCapabilityFactory(site=one, capability=caps["vials"])
    SiteCapabilityFactory(site=two, capability=caps["vials"])
    SiteCapabilityFactory(site=two, capability=caps["lyo"])
    needs = [(c.pk, L.CLAIMED) for c in caps.values()]
    result = needs_search(needs)
    assert [m.cmo.legal_name for m in result.partial] == ["Two", "One"]
    only_one = needs_search(needs, cmos=Cmo.objects.filter(legal_name="One"))
    assert [m.cmo.legal_name for m in only_one.partial] == ["One"]
    assert needs_search([]).full == []
