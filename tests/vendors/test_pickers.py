"""The CMO and site pickers: server-side search, and form pages that stay small at any size."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmoselect.widgets import MATCH_LIMIT
from contracts.models import Contract
from tests.factories import CmoFactory, SiteFactory, make_checklist
from tests.html_forms import as_post, form_data
from vendors.models import Cmo, Site

pytestmark = pytest.mark.django_db

SITES = reverse("vendors:site_search")
CMOS = reverse("vendors:cmo_search")
PAGES = [
    reverse("audits:audit_create"),
    reverse("contracts:contract_create"),
    reverse("contracts:contract_list"),
]


def add_directory(n: int) -> None:
    """n CMOs, each with a site and a contract, written in bulk as an FDA import would."""
    start = Cmo.objects.count()
    cmos = Cmo.objects.bulk_create(
        Cmo(legal_name=f"Bulk Pharma {start + i:05d} GmbH", headquarters_country="DE")
        for i in range(n)
    )
    Site.objects.bulk_create(
        Site(
            cmo=cmo,
            name="Werk Nord",
            city="Hamburg",
            country="DE",
            fei_number=str(4_000_000_000 + cmo.pk),
        )
        for cmo in cmos
    )
    Contract.objects.bulk_create(
        Contract(cmo=cmo, contract_type="cda", title=f"CDA {cmo.pk}") for cmo in cmos
    )


def measure(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(response.content), len(queries)


class TestFormPages:
    def test_they_stay_small_and_cost_the_same_queries_with_3000_cmos_and_sites(
        self, client_for, admin_user
    ):
        make_checklist()
        add_directory(3)
        client = client_for(admin_user)
        few = {url: measure(client, url) for url in PAGES}
        add_directory(3000)
        for url in PAGES:
            size, queries = measure(client, url)
            assert size < 100_000, f"{url} weighs {size} bytes"
            assert queries == few[url][1], url
        assert Site.objects.count() == 3003

    def test_a_chosen_cmo_is_the_only_option_the_page_carries(self, client_for, sourcing):
        add_directory(50)
        chosen = Cmo.objects.order_by("pk")[10]
        body = client_for(sourcing).get(PAGES[1], {"cmo": chosen.pk}).content.decode()
        assert body.count('type="radio" name="cmo"') == 1
        assert f'value="{chosen.pk}" checked' in body and chosen.legal_name in body


class TestSearch:
    def test_it_finds_a_site_by_fei_and_shows_fei_city_and_country(self, client_for, qa):
        SiteFactory(name="Werk Süd", fei_number="3002807864", city="Basel", country="CH")
        SiteFactory(name="Werk Süd", fei_number="1234567", city="Lyon", country="FR")
        body = client_for(qa).get(SITES, {"field": "site", "site_search": "300280"}).content
        body = body.decode()
        assert body.count('name="site"') == 1
        assert "FEI 3002807864" in body and "Basel, Switzerland" in body
        assert "Lyon" not in body

    def test_it_finds_sites_by_city_and_by_country(self, client_for, qa):
        basel = SiteFactory(name="Plant A", city="Basel", country="CH")
        lyon = SiteFactory(name="Plant B", city="Lyon", country="FR")
        client = client_for(qa)
        by_city = client.get(SITES, {"field": "site", "site_search": "lyo"}).content.decode()
        assert f'value="{lyon.pk}"' in by_city and f'value="{basel.pk}"' not in by_city
        by_country = client.get(SITES, {"field": "site", "q": "switzer"}).content.decode()
        assert f'value="{basel.pk}"' in by_country and f'value="{lyon.pk}"' not in by_country

    def test_same_named_sites_are_told_apart_by_cmo_and_fei(self, client_for, qa):
        one = SiteFactory(name="Main plant", cmo=CmoFactory(legal_name="Alpha AG"))
        two = SiteFactory(name="Main plant", cmo=CmoFactory(legal_name="Beta SA"))
        body = client_for(qa).get(SITES, {"field": "site", "q": "main plant"}).content.decode()
        assert f"Alpha AG · FEI {one.fei_number}" in body
        assert f"Beta SA · FEI {two.fei_number}" in body

    def test_it_finds_a_cmo_by_a_site_fei_or_city(self, client_for, sourcing):
        site = SiteFactory(city="Ringaskiddy", cmo=CmoFactory(legal_name="Cork Sterile Ltd"))
        CmoFactory(legal_name="Unrelated Ltd")
        client = client_for(sourcing)
        for text in (site.fei_number, "ringask"):
            body = client.get(CMOS, {"field": "cmo", "cmo_search": text}).content.decode()
            assert "Cork Sterile Ltd" in body and "Unrelated" not in body
            assert "Germany · 1 site" in body

    def test_it_answers_at_most_the_limit_and_says_more_match(self, client_for, qa):
        add_directory(MATCH_LIMIT + 5)
        body = client_for(qa).get(SITES, {"field": "site", "q": "hamburg"}).content.decode()
        assert body.count('name="site"') == MATCH_LIMIT
        assert "type more to narrow" in body

    def test_the_chosen_site_stays_checked_above_new_matches(self, client_for, qa):
        chosen = SiteFactory(name="Chosen plant", city="Basel")
        other = SiteFactory(name="Other plant", city="Lyon")
        body = (
            client_for(qa)
            .get(SITES, {"field": "site", "site": chosen.pk, "site_search": "lyon"})
            .content.decode()
        )
        assert body.index(f'value="{chosen.pk}" checked') < body.index(f'value="{other.pk}"')

    def test_a_field_name_that_is_not_a_name_is_a_400(self, client_for, qa):
        response = client_for(qa).get(SITES, {"field": '"><script>', "q": "x"})
        assert response.status_code == 400

    @pytest.mark.parametrize("url", [SITES, CMOS])
    def test_outsiders_are_refused_and_visitors_sent_to_log_in(
        self, client, client_for, outsider, url
    ):
        SiteFactory(name="Secret plant")
        refused = client_for(outsider).get(url, {"field": "site", "q": "secret"})
        assert refused.status_code == 403 and b"Secret plant" not in refused.content
        client.logout()
        anonymous = client.get(url, {"field": "site", "q": "secret"})
        assert anonymous.status_code in (302, 403) and b"Secret plant" not in anonymous.content


class TestWithoutJavaScript:
    def test_submitting_the_search_text_lists_matches_beside_the_field(self, client_for, qa):
        version = make_checklist()
        site = SiteFactory(name="Ringaskiddy", city="Cork", country="IE")
        client = client_for(qa)
        url = reverse("audits:audit_create")
        data = form_data(client.get(url).content.decode(), "audit-form")
        data.update(
            {
                "site_search": "ringask",
                "template_version": str(version.pk),
                "audit_type": "qualification",
                "planned_start": "2026-04-01",
                "planned_end": "2026-04-02",
                "lead_auditor": str(qa.pk),
                "scope": "Sterile filling",
            }
        )
        response = client.post(url, as_post(data))
        assert response.status_code == 200
        body = response.content.decode()
        field = body[body.index('id="field-site"') :]
        field = field[: field.index('id="field-template_version"')]
        assert "This field is required." in field
        assert f'value="{site.pk}"' in field and "Cork, Ireland" in field
        # The person then chooses the match and submits again.
        again = form_data(body, "audit-form")
        again["site"] = str(site.pk)
        done = client.post(url, as_post(again))
        assert done.status_code == 302, done.context["form"].errors
        assert get_user_model().objects.get(pk=qa.pk).audits_led.get().site == site
