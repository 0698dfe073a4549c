"""The needs search page: need rows, the rule, per-site coverage and the way on to evaluations."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from tests.factories import CmoFactory, SiteCapabilityFactory, SiteFactory
from tests.html_forms import form_data
from vendors.models import Capability, CapabilityLevel

L = CapabilityLevel
pytestmark = pytest.mark.django_db
URL = reverse("vendors:needs")


@pytest.fixture
def vials():
    return Capability.objects.get(code="dosage-forms-sterile-liquid-vials")


@pytest.fixture
def lyo():
    return Capability.objects.get(code="dosage-forms-lyophilized-products")


@pytest.fixture
def market(vials, lyo):
    """One CMO with both needs at one site, one with them only at two sites, one with vials."""
    one = SiteFactory(name="Basel fill-finish", cmo=CmoFactory(legal_name="One Site AG"))
    SiteCapabilityFactory(site=one, capability=vials, level=L.VERIFIED)
    SiteCapabilityFactory(site=one, capability=lyo, level=L.DEMONSTRATED)
    split = CmoFactory(legal_name="Split Sites SA")
    fill = SiteFactory(cmo=split, name="Lyon vials")
    freeze = SiteFactory(cmo=split, name="Lille lyo")
    SiteCapabilityFactory(site=fill, capability=vials, level=L.DEMONSTRATED)
    SiteCapabilityFactory(site=freeze, capability=lyo, level=L.DEMONSTRATED)
    SiteCapabilityFactory(
        site=SiteFactory(cmo=CmoFactory(legal_name="Vials Only Ltd")),
        capability=vials,
        level=L.DEMONSTRATED,
    )
    return split


def _search(client, *needs, **extra):
    """The page for these (capability, level) rows, as the form sends them."""
    query = MultiValueDict()
    for capability, level in needs:
        query.appendlist("capability", str(capability.pk))
        query.appendlist("level", str(level))
    for key, value in extra.items():
        query.appendlist(key, value)
    return client.get(URL, query).content.decode()


def _section(html, name):
    start = html.index(f'id="{name}"')
    end = html.find("<section", start + 1)
    return html[start : end if end > 0 else len(html)]


def _match(html, cmo_name):
    start = html.index(cmo_name)
    return html[start : html.index("</article>", start)]


def test_the_page_starts_with_one_empty_need_row_and_one_site_chosen(client_for, sourcing):
    html = client_for(sourcing).get(URL).content.decode()
    sent = form_data(html, "needs-form")
    assert sent.getlist("capability") == [""]
    assert sent.getlist("level") == [str(L.DEMONSTRATED)]
    assert sent["rule"] == "one_site"
    assert html.count('name="capability"') == 2  # the row, and the template "Add a need" copies
    assert 'id="needs-none"' not in html


def test_by_default_needs_met_only_at_different_sites_are_a_partial_match(
    client_for, sourcing, vials, lyo, market
):
    client = client_for(sourcing)
    html = _search(client, (vials, L.DEMONSTRATED), (lyo, L.DEMONSTRATED))
    full, partial = _section(html, "full-matches"), _section(html, "partial-matches")
    assert "Meet every need: 1 CMO" in full and "Rule: all needs at one site" in full
    assert "One Site AG" in full and "Split Sites SA" not in full
    one = _match(full, "One Site AG")
    assert "All needs at one site</span> Basel fill-finish" in one
    split = _match(partial, "Split Sites SA")
    assert "its best site meets 1 of 2 needs" in split
    assert "its sites together meet all 2, which the rule does not count" in split
    # Which site covers which need: a column per site, with how many needs it meets.
    assert 'Lyon vials</a> <small class="muted">1 of 2</small>' in split
    assert 'Lille lyo</a> <small class="muted">1 of 2</small>' in split


def test_across_sites_counts_needs_met_at_different_sites_as_a_full_match(
    client_for, sourcing, vials, lyo, market
):
    client = client_for(sourcing)
    html = client.get(URL).content.decode()
    sent = form_data(html, "needs-form")
    sent.setlist("capability", [str(vials.pk)])
    sent.setlist("level", ["2"])
    sent["rule"] = "across_sites"
    sent.appendlist("capability", str(lyo.pk))
    sent.appendlist("level", "2")
    html = client.get(URL, sent).content.decode()
    full = _section(html, "full-matches")
    assert "Meet every need: 2 CMOs" in full and "needs spread across the CMO's sites" in full
    assert "its sites together meet all 2 needs" in _match(full, "Split Sites SA")
    assert "Basel fill-finish meets them all by itself" in _match(full, "One Site AG")
    assert form_data(html, "needs-form")["rule"] == "across_sites"


def test_the_headings_count_every_match_not_only_those_shown(
    client_for, sourcing, vials, monkeypatch
):
    monkeypatch.setattr("vendors.views.needs_search.NEEDS_SHOWN", 2)
    for name, level in [("Gamma", 1), ("Alpha", 3), ("Beta", 2)]:
        SiteCapabilityFactory(
            site=SiteFactory(cmo=CmoFactory(legal_name=name)), capability=vials, level=level
        )
    client = client_for(sourcing)
    html = _search(client, (vials, L.CLAIMED))
    assert "Meet every need: 3 CMOs" in html
    assert "Alpha" in html and "Beta" in html and "Gamma" not in html
    assert "Showing the best 2 CMOs" in html
    html = _search(client, (vials, L.DEMONSTRATED))
    assert "Meet every need: 2 CMOs" in html and 'id="needs-cut"' not in html
    assert "show more" not in html.lower()


def test_show_more_lists_the_next_cmos_and_opens_at_the_first_of_them(
    client_for, sourcing, vials, monkeypatch
):
    monkeypatch.setattr("vendors.views.needs_search.NEEDS_SHOWN", 2)
    for name, level in [("Gamma", 1), ("Alpha", 3), ("Beta", 2)]:
        SiteCapabilityFactory(
            site=SiteFactory(cmo=CmoFactory(legal_name=name)), capability=vials, level=level
        )
    client = client_for(sourcing)
    html = _search(client, (vials, L.CLAIMED))
    link = re.search(r'<a role="button" class="secondary outline" href="([^"]+)">Show 2 more', html)
    assert link is not None and "2 of 3 shown" in html
    url, anchor = unescape(link.group(1)).split("#")
    assert anchor == "match-3"
    more = client.get(url).content.decode()
    assert 'id="match-3"' in more and "Gamma" in more and "Alpha" in more
    assert "show more" not in more.lower()
    # The search asked stays in the form.
    assert form_data(more, "needs-form").getlist("capability")[0] == str(vials.pk)


def test_without_javascript_add_a_need_and_remove_are_done_by_the_server(
    client_for, sourcing, vials, lyo
):
    client = client_for(sourcing)
    html = _search(client, (vials, L.DEMONSTRATED), add="1")
    rows = form_data(html, "needs-form").getlist("capability")
    assert rows == [str(vials.pk), ""]
    assert 'aria-label="Remove need 2"' in html
    html = _search(client, (vials, L.DEMONSTRATED), (lyo, L.VERIFIED), remove="0")
    sent = form_data(html, "needs-form")
    assert sent.getlist("capability") == [str(lyo.pk)]
    assert sent.getlist("level") == [str(L.VERIFIED)]
    html = _search(client, (lyo, L.VERIFIED), remove="0")
    assert form_data(html, "needs-form").getlist("capability") == [""]


def test_a_bad_row_says_so_beside_it_and_the_other_rows_are_searched(
    client_for, sourcing, vials, market
):
    client = client_for(sourcing)
    query = MultiValueDict({"capability": ["424242", str(vials.pk)], "level": ["2", "9"]})
    html = client.get(URL, query).content.decode()
    first = html[html.index('id="id_capability_0"') : html.index('id="id_capability_1"')]
    assert "Choose a capability from the list." in first
    second = html[html.index('id="id_capability_1"') :]
    second = second[: second.index("</div>")]
    assert "Choose claimed, demonstrated or verified by audit." in second
    assert 'id="full-matches"' not in html
    assert "Choose at least one capability" in html
    html = client.get(URL, {"capability": str(vials.pk), "level": "2", "rule": "x"}).content
    assert "Choose one of the two rules." in html.decode()


def test_a_partial_match_tells_a_lower_level_from_a_capability_no_site_has(
    client_for, sourcing, vials, lyo
):
    lower = SiteFactory(name="Pune vials line", cmo=CmoFactory(legal_name="Lower Vials Ltd"))
    SiteCapabilityFactory(site=lower, capability=vials, level=L.CLAIMED)
    SiteCapabilityFactory(site=lower, capability=lyo, level=L.VERIFIED)
    none = SiteFactory(cmo=CmoFactory(legal_name="No Vials GmbH"))
    SiteCapabilityFactory(site=none, capability=lyo, level=L.VERIFIED)
    html = _search(client_for(sourcing), (vials, L.DEMONSTRATED), (lyo, L.VERIFIED))
    partial = _section(html, "partial-matches")
    lower_html, none_html = _match(partial, "Lower Vials Ltd"), _match(partial, "No Vials GmbH")
    assert "at least demonstrated" in lower_html and "at least verified by audit" in lower_html
    assert "lower: claimed" in lower_html and "Pune vials line" in lower_html
    assert "Sterile liquid vials (lower level only)" in lower_html
    assert "Sterile liquid vials (no site has it)" in none_html
    assert "lower: claimed" not in none_html


@pytest.mark.parametrize("role", ["sourcing", "admin"])
def test_those_who_edit_evaluations_can_take_the_results_on(
    client_for, personas, role, vials, lyo, market
):
    html = _search(client_for(personas[role]), (vials, L.DEMONSTRATED), (lyo, L.CLAIMED))
    sent = form_data(html, "needs-pick")
    assert sent.getlist("need") == [f"{vials.pk}:2", f"{lyo.pk}:1"]
    assert f'formaction="{reverse("scoring:evaluation_create")}"' in html
    assert f'formaction="{reverse("scoring:candidates_add")}"' in html
    assert f'name="cmo" value="{market.pk}" form="needs-pick"' in html


@pytest.mark.parametrize("role", ["qa", "manager"])
def test_others_see_the_results_without_the_evaluation_actions(
    client_for, personas, role, vials, market
):
    html = _search(client_for(personas[role]), (vials, L.DEMONSTRATED))
    assert "Split Sites SA" in html
    assert 'id="needs-pick"' not in html and 'name="cmo"' not in html
    assert "Start an evaluation with these needs" not in html


def test_someone_without_a_role_cannot_search(client_for, outsider):
    assert client_for(outsider).get(URL).status_code == 403


def test_the_page_costs_the_same_queries_for_few_or_many_cmos(client_for, sourcing, vials, lyo):
    client = client_for(sourcing)

    def count():
        _search(client, (vials, L.CLAIMED))  # warm the session and role caches
        with CaptureQueriesContext(connection) as queries:
            _search(client, (vials, L.CLAIMED), (lyo, L.CLAIMED))
        return len(queries)

    SiteCapabilityFactory(capability=vials)
    few = count()
    for _ in range(15):
        cmo = CmoFactory()
        for capability in (vials, lyo):
            SiteCapabilityFactory(site=SiteFactory(cmo=cmo), capability=capability)
    assert count() == few


@pytest.mark.parametrize("rule, full", [("one_site", ["One Site AG"]), ("across_sites", None)])
def test_the_api_offers_the_same_rule_and_per_site_coverage_as_the_page(
    api_for, client_for, sourcing, vials, lyo, market, rule, full
):
    needs = [f"{vials.pk}:2", f"{lyo.pk}:2"]
    body = api_for(sourcing).get("/api/v1/needs/", {"need": needs, "rule": rule}).json()
    html = _search(client_for(sourcing), (vials, 2), (lyo, 2), rule=rule)
    names = [m["cmo_name"] for m in body["full"]]
    assert names == (full or ["One Site AG", "Split Sites SA"])
    assert body["rule"] == rule and body["full_count"] == len(names)
    assert f"Meet every need: {len(names)} CMO" in html
    split = next(m for m in body["full"] + body["partial"] if m["cmo_name"] == "Split Sites SA")
    assert split["rule"] == rule and split["coverage_across_sites"] == 1
    assert split["coverage"] == (0.5 if rule == "one_site" else 1)
    assert {s["site_name"]: s["needs_met"] for s in split["sites"]} == {
        "Lyon vials": [{"capability": vials.pk, "level": 2}],
        "Lille lyo": [{"capability": lyo.pk, "level": 2}],
    }


def test_the_api_defaults_to_one_site_and_refuses_an_unknown_rule(api_for, sourcing, vials):
    api = api_for(sourcing)
    assert api.get("/api/v1/needs/", {"need": f"{vials.pk}:2"}).json()["rule"] == "one_site"
    response = api.get("/api/v1/needs/", {"need": f"{vials.pk}:2", "rule": "anywhere"})
    assert response.status_code == 400 and "rule" in response.json()


def test_a_query_with_too_many_rows_is_cut_and_the_page_stays_small(client_for, sourcing, vials):
    query = MultiValueDict({"capability": [str(vials.pk)] * 400, "level": ["2"] * 400})
    response = client_for(sourcing).get(URL, query)
    assert response.status_code == 200
    assert len(form_data(response.content.decode(), "needs-form").getlist("capability")) == 20
    assert len(response.content) < 100_000
