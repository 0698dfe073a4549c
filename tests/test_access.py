"""The access helpers: one per entity, `get_<entity>_for(user, pk, *, write=False)`."""

import inspect

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from audits import access as audit_access
from contracts import access as contract_access
from scoring import access as scoring_access
from tests.factories import ContractFactory, SiteFactory
from vendors import access as vendor_access

pytestmark = pytest.mark.django_db

HELPERS = [
    helper
    for module in (vendor_access, audit_access, contract_access, scoring_access)
    for name, helper in inspect.getmembers(module, inspect.isfunction)
    if name.startswith("get_") and name.endswith("_for") and helper.__module__ == module.__name__
]


def test_every_app_has_its_helpers():
    names = {helper.__name__ for helper in HELPERS}
    assert {
        "get_cmo_for",
        "get_site_for",
        "get_audit_for",
        "get_version_for",
        "get_contract_for",
        "get_evaluation_for",
        "get_scoring_model_for",
    } <= names


@pytest.mark.parametrize("helper", HELPERS, ids=lambda h: h.__name__)
def test_each_helper_takes_the_same_arguments(helper):
    parameters = inspect.signature(helper).parameters
    assert list(parameters) == ["user", "pk", "write"]
    assert parameters["write"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["write"].default is False


@pytest.mark.parametrize("helper", HELPERS, ids=lambda h: h.__name__)
def test_a_user_without_a_role_is_refused_before_the_row_is_looked_up(helper, outsider):
    # The same answer for an id that exists and one that does not: ids cannot be probed.
    with pytest.raises(PermissionDenied):
        helper(outsider, 10**9)


@pytest.mark.parametrize("helper", HELPERS, ids=lambda h: h.__name__)
def test_a_missing_row_is_a_404_for_a_user_who_may_read(helper, manager):
    with pytest.raises(Http404):
        helper(manager, 10**9)


def test_write_asks_for_the_entitys_own_permission(sourcing, qa):
    site = SiteFactory()
    assert vendor_access.get_site_for(sourcing, site.pk, write=True) == site
    with pytest.raises(PermissionDenied):
        vendor_access.get_site_for(qa, site.pk, write=True)
    contract = ContractFactory(cmo=site.cmo)
    assert contract_access.get_contract_for(qa, contract.pk) == contract
    with pytest.raises(PermissionDenied):
        contract_access.get_contract_for(qa, contract.pk, write=True)
    assert contract_access.get_contract_for(sourcing, contract.pk, write=True) == contract
