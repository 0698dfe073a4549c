"""The inputs scoring reads from other apps: each costs a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring import sources
from tests.factories import CmoFactory, SiteFactory
from tests.scoring.conftest import give

pytestmark = pytest.mark.django_db


def queries_for(call, ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        call(ids)
    return len(queries)


def make_cmos(n):
    return [SiteFactory().cmo.pk for _ in range(n)]


def test_sites_gives_each_cmo_its_sites_and_capability_cells(capabilities):
    site = SiteFactory(country="IE")
    give(site, capabilities["vials"], 2, 5000)
    bare = CmoFactory()
    facts = sources.sites([site.cmo_id, bare.pk])
    assert facts[bare.pk] == []
    [only] = facts[site.cmo_id]
    assert (only.site_id, only.country) == (site.pk, "IE")
    assert only.capabilities[capabilities["vials"].pk][:2] == (2, 5000)
    assert (
        queries_for(sources.sites, make_cmos(2)) == queries_for(sources.sites, make_cmos(30)) == 2
    )


@pytest.mark.parametrize(
    "read", [sources.compliance_summaries, sources.audit_outcomes, sources.quality_agreements]
)
def test_each_other_app_input_costs_constant_queries(read):
    few, many = make_cmos(2), make_cmos(25)
    assert isinstance(read(few), dict)
    assert queries_for(read, few) == queries_for(read, many)


def test_the_needs_search_finds_a_site_at_or_above_the_minimum_level(capabilities):
    site = SiteFactory()
    give(site, capabilities["vials"], 3)
    result = sources.needs_search([(capabilities["vials"].pk, 2)])
    assert site.cmo in [m.cmo for m in result.full]
