import pytest

from tests.factories import CmoFactory, SiteCapabilityFactory, SiteFactory
from vendors.capabilities import NeedsRule, needs_search
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
    with django_assert_num_queries(3):
        result = needs_search(needs, rule=NeedsRule.ACROSS_SITES)
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
    result = needs_search(needs, rule=NeedsRule.ACROSS_SITES)
    assert [m.cmo.legal_name for m in result.partial] == ["Two", "One"]
    only_one = needs_search(needs, cmos=Cmo.objects.filter(legal_name="One"))
    assert [m.cmo.legal_name for m in only_one.partial] == ["One"]
    assert needs_search([]).full == []


def _cmo_with(name, caps, *sites):
    """A CMO whose sites hold the given {capability name: level} cells."""
    cmo = CmoFactory(legal_name=name)
    made = []
    for index, cells in enumerate(sites):
        site = SiteFactory(cmo=cmo, name=f"{name} site {index}")
        for key, level in cells.items():
            SiteCapabilityFactory(site=site, capability=caps[key], level=level)
        made.append(site)
    return made


@pytest.fixture
def ranked(caps):
    _cmo_with("Weak", caps, {"vials": L.CLAIMED})
    _cmo_with("Partial", caps, {"vials": L.VERIFIED, "lyo": L.VERIFIED, "mab": L.CLAIMED})
    _cmo_with("alpha low", caps, {"vials": L.CLAIMED, "lyo": L.CLAIMED, "mab": L.DEMONSTRATED})
    _cmo_with("Zeta low", caps, {"vials": L.CLAIMED, "lyo": L.CLAIMED, "mab": L.DEMONSTRATED})
    mid = _cmo_with(
        "Mid",
        caps,
        {"vials": L.CLAIMED, "lyo": L.DEMONSTRATED},
        {"vials": L.VERIFIED, "mab": L.DEMONSTRATED},
    )
    _cmo_with("Top", caps, {"vials": L.VERIFIED, "lyo": L.VERIFIED, "mab": L.VERIFIED})
    needs = [
        (caps["vials"].pk, L.CLAIMED),
        (caps["lyo"].pk, L.CLAIMED),
        (caps["mab"].pk, L.DEMONSTRATED),
    ]
    return needs, mid


def _names(matches):
    return [m.cmo.legal_name for m in matches]


def test_the_limit_keeps_the_best_cmos_in_rank_order(caps, ranked):
    needs, (mid_fill, mid_bio) = ranked
    everything = needs_search(needs, rule=NeedsRule.ACROSS_SITES)
    # Coverage, then the sum of each need's best level, then the name as Python orders it.
    assert _names(everything.full) == ["Top", "Mid", "Zeta low", "alpha low"]
    assert _names(everything.partial) == ["Partial", "Weak"]
    assert everything.partial[0].missing == [caps["mab"]]

    top_three = needs_search(needs, rule=NeedsRule.ACROSS_SITES, limit=3)
    assert _names(top_three.full) == ["Top", "Mid", "Zeta low"]
    assert top_three.partial == []
    top_five = needs_search(needs, rule=NeedsRule.ACROSS_SITES, limit=5)
    assert _names(top_five.full) == _names(everything.full)
    assert _names(top_five.partial) == ["Partial"]
    # The cells kept for a CMO are the same as without a limit: every qualifying site, best first.
    assert top_three.full[1].covered == everything.full[1].covered
    assert top_three.full[1].covered[caps["vials"].pk] == [
        (mid_bio, L.VERIFIED),
        (mid_fill, L.CLAIMED),
    ]
    assert needs_search(needs, limit=0).full == []


def test_the_needs_search_costs_the_same_queries_for_few_or_many_cmos(
    caps, ranked, django_assert_num_queries
):
    needs, _ = ranked
    with django_assert_num_queries(3):
        few = needs_search(needs, limit=2)
    for index in range(30):
        _cmo_with(f"More {index:02d}", caps, {"vials": L.DEMONSTRATED, "lyo": L.CLAIMED})
    with django_assert_num_queries(3):
        many = needs_search(needs)
    assert len(few.full) == 2
    assert len(many.full) + len(many.partial) == 36


def test_by_default_every_need_must_be_met_at_one_site(caps, ranked, django_assert_num_queries):
    needs, (mid_fill, mid_bio) = ranked
    with django_assert_num_queries(3):
        result = needs_search(needs)
    assert result.rule == NeedsRule.ONE_SITE
    # Mid meets every need only across its two sites: a partial match, ranked first of them
    # (its best site meets two of three needs, and its sites together all three).
    assert _names(result.full) == ["Top", "Zeta low", "alpha low"]
    assert _names(result.partial) == ["Mid", "Partial", "Weak"]
    mid = result.partial[0]
    assert (mid.rule, mid.coverage, mid.coverage_across_sites) == (NeedsRule.ONE_SITE, 2 / 3, 1)
    assert mid.complete_sites == []
    assert [(s.site, s.levels) for s in mid.sites] == [
        (mid_bio, {caps["vials"].pk: L.VERIFIED, caps["mab"].pk: L.DEMONSTRATED}),
        (mid_fill, {caps["vials"].pk: L.CLAIMED, caps["lyo"].pk: L.DEMONSTRATED}),
    ]
    top = result.full[0]
    assert [s.name for s in top.complete_sites] == ["Top site 0"]
    assert (result.full_count, result.partial_count) == (3, 3)


def test_the_counts_are_every_match_whatever_the_limit(caps, ranked):
    needs, _ = ranked
    for rule, full in [(NeedsRule.ONE_SITE, 3), (NeedsRule.ACROSS_SITES, 4)]:
        result = needs_search(needs, rule=rule, limit=2)
        assert len(result.full) == 2
        assert (result.full_count, result.partial_count) == (full, 6 - full)
