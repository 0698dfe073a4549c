"""The needs search over the FDA registry: establishments not in the directory yet, by the
operations they registered, marked as such, with "Add to directory"."""

import pytest
from django.http import QueryDict
from django.urls import reverse

from tests.factories import EstablishmentFactory, SiteFactory
from tests.html_forms import form_data, rendered_form
from vendors.capabilities import registry_needs_search
from vendors.models import Capability, CapabilityLevel, Site

pytestmark = pytest.mark.django_db
URL = reverse("vendors:needs")
L = CapabilityLevel


@pytest.fixture
def caps():
    codes = {
        "sterile": "services-sterilization",
        "manufacture": "services-commercial-manufacturing",
        "packaging": "services-packaging",
        "vials": "dosage-forms-sterile-liquid-vials",
    }
    return {key: Capability.objects.get(code=code) for key, code in codes.items()}


def _query(*needs, **extra) -> QueryDict:
    query = QueryDict(mutable=True)
    for capability, level in needs:
        query.appendlist("capability", str(capability.pk))
        query.appendlist("level", str(level))
    for key, value in extra.items():
        query.appendlist(key, value)
    return query


def _section(html: str) -> str:
    start = html.index('id="registry-matches"')
    return html[start : html.index("</section>", start)]


def test_establishments_are_ranked_by_the_needs_their_operations_claim(registry, caps):
    needs = [(caps["sterile"].pk, L.DEMONSTRATED), (caps["manufacture"].pk, L.CLAIMED)]
    found = registry_needs_search(needs)
    assert [m.establishment.fei for m in found.matches] == ["3001"]
    assert (found.full_count, found.partial_count) == (1, 0)
    assert found.matches[0].claimed == [
        (caps["sterile"], ["STERILIZE"]),
        (caps["manufacture"], ["MANUFACTURE"]),
    ]

    found = registry_needs_search([*needs, (caps["packaging"].pk, L.CLAIMED)])
    assert [(m.establishment.fei, len(m.claimed)) for m in found.matches] == [
        ("3001", 2),
        ("3002", 1),  # REPACK claims packaging
    ]
    assert (found.full_count, found.partial_count) == (0, 2)


def test_directory_sites_and_unlisted_establishments_are_left_out(registry, caps):
    unlisted = EstablishmentFactory(fei="3009", firm_name="Closed Sterile", registered=False)
    unlisted.set_operations(["STERILIZE"])
    unlisted.save()
    SiteFactory(fei_number="3001")
    found = registry_needs_search([(caps["sterile"].pk, L.CLAIMED)])
    assert found.matches == [] and found.full_count == found.partial_count == 0


def test_a_need_no_operation_speaks_of_is_named_and_the_others_still_searched(registry, caps):
    found = registry_needs_search([(caps["vials"].pk, L.CLAIMED), (caps["sterile"].pk, L.CLAIMED)])
    assert found.unsearchable == [caps["vials"]]
    assert [m.establishment.fei for m in found.matches] == ["3001"]
    assert found.matches[0].coverage == 0.5
    assert (found.full_count, found.partial_count) == (0, 1)


def test_the_page_searches_the_registry_only_when_asked(client_for, sourcing, registry, caps):
    client = client_for(sourcing)
    page = client.get(URL, _query((caps["sterile"], L.DEMONSTRATED))).content.decode()
    assert 'id="registry-matches"' not in page
    sent = form_data(page, "needs-form")
    assert "registry" not in sent  # the box starts unticked
    sent.setlist("registry", ["1"])
    html = client.get(URL, sent).content.decode()
    section = _section(html)
    assert "In the FDA registry, not in the directory: 1" in section
    assert "Cork Sterile Fill" in section and "Not in the directory" in section
    assert 'Sterilization <small class="muted">(sterilize)</small>' in section
    assert "Lyon Packers" not in section
    assert 'name="registry" value="1" checked' in html


def test_adding_from_the_needs_page_brings_the_establishment_into_the_directory_results(
    client_for, sourcing, registry, caps
):
    client = client_for(sourcing)
    query = _query((caps["sterile"], L.CLAIMED), registry="1")
    search_url = f"{URL}?{query.urlencode()}"
    html = client.get(search_url).content.decode()
    form = rendered_form(html, search_url)
    assert form.id == "add-form"
    assert form.options["establishments"] == [str(registry["3001"].pk)]
    response = client.post(
        search_url,
        form.data(establishments=[str(registry["3001"].pk)], reason="Sterile fill shortlist"),
    )
    assert response.status_code == 302 and response.url == search_url
    site = Site.objects.get(fei_number="3001")
    assert site.history.get().history_change_reason == "Sterile fill shortlist"
    after = client.get(search_url).content.decode()
    assert "In the directory: Cork Sterile Fill." in after
    full = after[after.index('id="full-matches"') : after.index('id="partial-matches"')]
    assert site.cmo.legal_name in full
    assert "In the FDA registry, not in the directory: 0" in _section(after)


def test_adding_without_a_reason_says_so_beside_the_field_on_the_needs_page(
    client_for, sourcing, registry, caps
):
    client = client_for(sourcing)
    search_url = f"{URL}?{_query((caps['sterile'], L.CLAIMED), registry='1').urlencode()}"
    form = rendered_form(client.get(search_url).content.decode(), search_url)
    response = client.post(
        search_url, form.data(establishments=[str(registry["3001"].pk)], reason=" ")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="registry-matches"' in html  # the search is still on the page
    again = rendered_form(html, search_url)
    assert again.fields["establishments"] == [str(registry["3001"].pk)]  # still ticked
    after_reason = html[html.index('name="reason"') :]
    assert after_reason.index("This field is required") < after_reason.index("</form>")
    assert not Site.objects.exists()


@pytest.mark.parametrize("persona", ["qa", "manager"])
def test_roles_that_do_not_edit_the_directory_see_the_registry_but_cannot_add(
    client_for, request, registry, caps, persona
):
    client = client_for(request.getfixturevalue(persona))
    search_url = f"{URL}?{_query((caps['sterile'], L.CLAIMED), registry='1').urlencode()}"
    html = client.get(search_url).content.decode()
    assert "Cork Sterile Fill" in _section(html)
    assert 'id="add-form"' not in html
    response = client.post(
        search_url, {"establishments": [registry["3001"].pk], "reason": "Mine now"}
    )
    assert response.status_code == 403
    assert not Site.objects.exists()


def test_the_registry_search_costs_the_same_queries_for_many_establishments(
    client_for, sourcing, registry, caps, django_assert_max_num_queries
):
    client = client_for(sourcing)
    query = _query((caps["sterile"], L.CLAIMED), (caps["packaging"], L.CLAIMED), registry="1")
    client.get(URL, query)
    for n in range(40):
        plant = EstablishmentFactory(firm_name=f"Plant {n}")
        plant.set_operations(["STERILIZE", "PACK"])
        plant.save()
    with django_assert_max_num_queries(16):
        html = client.get(URL, query).content.decode()
    assert "In the FDA registry, not in the directory: 42" in html


def test_the_api_searches_the_registry_when_asked(api_for, sourcing, registry, caps):
    api = api_for(sourcing)
    need = f"{caps['sterile'].pk}:{L.DEMONSTRATED}"
    assert api.get("/api/v1/needs/", {"need": need}).json()["registry"] is None
    body = api.get("/api/v1/needs/", {"need": need, "registry": "true"}).json()["registry"]
    assert body["full_count"] == 1 and body["partial_count"] == 0
    assert body["matches"][0]["fei"] == "3001"
    assert body["matches"][0]["claimed"] == [
        {"capability": caps["sterile"].pk, "operations": ["STERILIZE"]}
    ]
    bad = api.get("/api/v1/needs/", {"need": need, "registry": "maybe"})
    assert bad.status_code == 400 and "registry" in bad.data
