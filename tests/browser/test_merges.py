"""Sourcing finds a CMO entered twice among the likely duplicates and merges the pair."""

import pytest
from playwright.sync_api import expect

from tests.factories import CmoFactory, ContactFactory, SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def twins():
    kept = CmoFactory(legal_name="Nordic Fill AB", duns_number="123456789")
    SiteFactory(cmo=kept, name="Uppsala", city="Uppsala", country="SE")
    merged = CmoFactory(legal_name="NORDIC FILL", duns_number="123456789")
    SiteFactory(cmo=merged, name="Malmö Fill Line", city="Malmö", country="SE")
    ContactFactory(cmo=merged, name="Ingrid Berg")
    CmoFactory(legal_name="Basel Biologics AG")
    return kept, merged


def test_sourcing_merges_a_duplicate_cmo_and_finds_its_sites_on_the_kept_one(
    live_server, login, sourcing, twins
):
    page = login(sourcing)
    page.get_by_role("link", name="CMOs", exact=True).click()
    page.get_by_role("button", name="Likely duplicates").click()
    pairs = page.locator("#cmo-duplicates tbody tr")
    expect(pairs).to_have_count(1)
    expect(pairs.first).to_contain_text("Same DUNS 123456789; Names match (nordic fill)")
    pairs.first.get_by_role("button", name="Merge NORDIC FILL into Nordic Fill AB").click()

    moves = page.locator("#what-moves")
    expect(moves).to_contain_text("Sites")
    expect(moves).to_contain_text("Contacts")
    page.get_by_role("button", name="Merge into Nordic Fill AB").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Why are they the same").fill("Entered twice from the trade-show list")
    page.get_by_role("button", name="Merge into Nordic Fill AB").click()
    expect(page.locator(".messages")).to_contain_text("NORDIC FILL was merged into Nordic Fill AB")

    page.reload()
    expect(page.get_by_role("heading", name="Nordic Fill AB", level=1)).to_be_visible()
    expect(page.locator("#sites")).to_contain_text("Malmö Fill Line")
    expect(page.locator("#sites")).to_contain_text("Uppsala")
    expect(page.locator("#contacts")).to_contain_text("Ingrid Berg")
    expect(page.locator("#history")).to_contain_text("Entered twice from the trade-show list")

    page.get_by_role("link", name="NORDIC FILL").click()
    expect(page.locator("#merged-notice")).to_contain_text("Merged into Nordic Fill AB")
    page.locator("#merged-notice").get_by_role("link", name="Nordic Fill AB").click()
    expect(page.get_by_role("heading", name="Nordic Fill AB", level=1)).to_be_visible()

    page.get_by_role("link", name="CMOs", exact=True).first.click()
    expect(page.locator("#result-count")).to_have_text("2 CMOs")
    page.get_by_role("button", name="Likely duplicates").click()
    expect(page.locator("#cmo-duplicates")).to_contain_text("No likely duplicate CMOs.")
