from tests.factories import CmoFactory, SiteFactory
from vendors.duplicates import cmo_duplicates, site_duplicates
from vendors.models import Site


def _pairs(found):
    return {frozenset((p.first.pk, p.second.pk)): p.reasons for p in found}


def test_cmos_with_the_same_duns_are_paired(db):
    a = CmoFactory(legal_name="Alpha Biologics", duns_number="123456789")
    b = CmoFactory(legal_name="Beta Fill Finish", duns_number="123456789")
    CmoFactory(legal_name="Gamma", duns_number="987654321")
    assert _pairs(cmo_duplicates()) == {frozenset((a.pk, b.pk)): ["Same DUNS 123456789"]}


def test_cmos_whose_names_normalise_the_same_are_paired(db):
    a = CmoFactory(legal_name="4M Feeders, Inc.")
    b = CmoFactory(legal_name="4M FEEDERS INC")
    c = CmoFactory(legal_name="Other Name", aliases="4m Feeders LLC")
    CmoFactory(legal_name="4M Feeders International")
    found = _pairs(cmo_duplicates())
    assert set(found) == {
        frozenset((a.pk, b.pk)),
        frozenset((a.pk, c.pk)),
        frozenset((b.pk, c.pk)),
    }
    assert found[frozenset((a.pk, b.pk))] == ["Names match (4m feeders)"]


def test_cmos_whose_sites_share_an_fei_are_paired(db):
    a, b = CmoFactory(), CmoFactory()
    SiteFactory(cmo=a, fei_number="3002807")
    other = SiteFactory(cmo=b, fei_number="1")
    # Stored before FEIs were normalised on save: leading zeros and all.
    Site.objects.filter(pk=other.pk).update(fei_number="0003002807")
    assert _pairs(cmo_duplicates()) == {frozenset((a.pk, b.pk)): ["A site of each has FEI 3002807"]}


def test_every_matching_rule_is_named(db):
    a = CmoFactory(legal_name="Acme Pharma Inc.", duns_number="111111111")
    b = CmoFactory(legal_name="ACME Pharma GmbH", duns_number="111111111")
    assert _pairs(cmo_duplicates())[frozenset((a.pk, b.pk))] == [
        "Same DUNS 111111111",
        "Names match (acme pharma)",
    ]


def test_a_merged_cmo_is_no_longer_listed(db):
    a = CmoFactory(legal_name="Acme Pharma Inc.")
    CmoFactory(legal_name="Acme Pharma LLC", merged_into=a)
    assert cmo_duplicates() == []


def test_sites_with_the_same_duns_or_fei_or_name_in_one_city_are_paired(db):
    cmo = CmoFactory()
    a = SiteFactory(cmo=cmo, name="Basel Plant", duns_number="222222222", fei_number="")
    b = SiteFactory(cmo=cmo, name="Werk Basel", duns_number="222222222", fei_number="")
    c = SiteFactory(cmo=cmo, name="Fill Plant AG", city="Basel")
    d = SiteFactory(cmo=cmo, name="Fill plant", city="basel")
    SiteFactory(cmo=cmo, name="Fill Plant", city="Zurich")
    e = SiteFactory(cmo=cmo, fei_number="445")
    f = SiteFactory(cmo=cmo, fei_number="1")
    Site.objects.filter(pk=f.pk).update(fei_number="00445")
    found = _pairs(site_duplicates())
    assert found == {
        frozenset((a.pk, b.pk)): ["Same DUNS 222222222"],
        frozenset((c.pk, d.pk)): ["Names match in one place (fill plant, basel, CH)"],
        frozenset((e.pk, f.pk)): ["Same FEI 445"],
    }


def test_sites_of_two_cmos_are_listed_but_not_mergeable(db):
    a = SiteFactory(name="Main Plant Inc", city="Cork", country="IE")
    b = SiteFactory(name="Main plant", city="Cork", country="IE")
    [pair] = site_duplicates()
    assert {pair.first, pair.second} == {a, b}
    assert not pair.same_cmo
