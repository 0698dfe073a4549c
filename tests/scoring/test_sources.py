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


def test_a_module_not_yet_installed_gives_none_and_a_broken_one_raises():
    assert sources._provider("vendors.no_such_module") is None
    with pytest.raises(ModuleNotFoundError):
        sources._provider("no_such_package.module")


@pytest.mark.parametrize(
    ("module", "read"),
    [
        ("vendors.compliance", sources.compliance),
        ("audits.outcomes", sources.audit_outcomes),
        ("contracts.status", sources.quality_agreements),
    ],
)
def test_each_other_app_input_costs_constant_queries(module, read):
    pytest.importorskip(module)
    few, many = make_cmos(2), make_cmos(25)
    assert isinstance(read(few), dict)
    assert queries_for(read, few) == queries_for(read, many)


@pytest.mark.parametrize("module", ["vendors.compliance", "audits.outcomes", "contracts.status"])
def test_an_input_whose_module_is_missing_is_no_data_for_every_candidate(module, evaluation):
    from importlib.util import find_spec

    from scoring.compute import evaluation_compute

    if find_spec(module) is not None:
        pytest.skip(f"{module} is installed")
    code = {
        "vendors.compliance": "compliance",
        "audits.outcomes": "audit_outcome",
        "contracts.status": "quality_agreement",
    }[module]
    evaluation_compute(evaluation=evaluation)
    assert all(c.score_of(code) is None for c in evaluation.candidates.all())


def test_the_needs_search_is_used_when_installed(capabilities):
    pytest.importorskip("vendors.capabilities")
    site = SiteFactory()
    give(site, capabilities["vials"], 3)
    result = sources.needs_search([(capabilities["vials"].pk, 2)])
    assert site.cmo in [m.cmo for m in result.full]
