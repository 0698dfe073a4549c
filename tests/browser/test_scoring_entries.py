"""Entered scores, an evaluation's own weights and the evaluation page's layout, in the browser."""

import re

import pytest
from playwright.sync_api import expect

from scoring.models import ScoringModel
from scoring.services import candidates_add, evaluation_compute
from tests.browser.test_scoring import market  # noqa: F401 - the three fill-finish CMOs
from tests.factories import EvaluationFactory
from vendors.models import Cmo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def evaluation(market, sourcing):  # noqa: F811
    evaluation = EvaluationFactory(name="ABX-101 fill-finish", created_by=sourcing)
    evaluation.needs.create(capability=market, min_level=2)
    candidates_add(evaluation=evaluation, cmos=Cmo.objects.all(), user=sourcing)
    evaluation_compute(evaluation=evaluation)
    return evaluation


def test_sourcing_types_a_price_and_ratings_and_sees_them_after_reload(
    live_server, login, sourcing, evaluation
):
    cork = evaluation.candidates.get(cmo__legal_name="Cork Sterile Ltd")
    page = login(sourcing)
    page.goto(f"{live_server.url}{cork.get_absolute_url()}")
    expect(page.locator("#entry-cost")).to_contain_text("Not entered.")

    page.get_by_label("Cost per unit: price per unit").fill("11.20")
    page.get_by_label("Justification of cost per unit").fill("Quote Q-19, 2026-11")
    page.get_by_role("button", name="Save cost per unit").click()
    expect(page.locator("#entry-cost")).to_contain_text("11.20 per unit: Quote Q-19, 2026-11")

    rating = page.get_by_label("Communication and project management: rating (1–5)")
    expect(rating).to_have_attribute("max", "5")
    rating.fill("6")
    page.get_by_label("Justification of communication and project management").fill("Calls")
    page.get_by_role("button", name="Save communication and project management").click()
    expect(page.locator("#entry-communication .errorlist")).to_contain_text("Rate from 1")
    page.get_by_label("Communication and project management: rating (1–5)").fill("4")
    page.get_by_role("button", name="Save communication and project management").click()
    expect(page.locator("#entry-communication")).to_contain_text("Rated 4 of 5: Calls")
    page.get_by_label("Financial stability: rating (1–5)").fill("3")
    page.get_by_label("Justification of financial stability").fill("2025 accounts")
    page.get_by_role("button", name="Save financial stability").click()
    expect(page.locator("#entry-financial_stability")).to_contain_text("Rated 3 of 5")

    page.reload()
    expect(page.locator("#entry-cost")).to_contain_text("11.20 per unit")
    expect(page.locator("#entry-communication")).to_contain_text("Rated 4 of 5: Calls")
    expect(page.locator("#entry-financial_stability")).to_contain_text("Rated 3 of 5")
    breakdown = page.locator("#breakdown tbody tr")
    expect(breakdown.filter(has_text="Cost per unit")).to_contain_text("100.0")
    expect(breakdown.filter(has_text="Communication and project management")).to_contain_text(
        "75.0"
    )
    expect(breakdown.filter(has_text="Financial stability")).to_contain_text("50.0")


def test_saving_what_if_weights_leaves_the_shared_model_at_v1(
    live_server, login, sourcing, evaluation
):
    page = login(sourcing)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    first = page.locator("#score-table tbody tr").first
    saved = first.locator("[data-explanation]").inner_text()
    assert saved.startswith("Ranked 1st of 3 with ")
    page.get_by_label("Weight of Supply risk").fill("0")
    page.get_by_label("Weight of Capacity fit").fill("20")
    # The explanation follows the sliders: its total is the what-if total of the row.
    total = first.locator("[data-total]").inner_text()
    expect(first.locator("[data-explanation]")).to_contain_text(
        f"What if: Ranked 1st of 3 with {total}"
    )
    page.get_by_label("Why the weights change").fill("Supply risk covered by two sites")
    page.get_by_role("button", name="Save weights for this evaluation").click()
    expect(page.locator("#version-in-use")).to_contain_text("Weights for ABX-101 fill-finish v1")
    expect(page.locator("#scores")).not_to_contain_text("Recomputing")
    expect(page.locator("#history")).to_contain_text("Supply risk covered by two sites")

    shared = ScoringModel.objects.get(is_default=True)
    page.goto(f"{live_server.url}{shared.get_absolute_url()}")
    page.reload()
    expect(page.get_by_role("heading", name="Criteria of v1")).to_be_visible()
    supply = page.get_by_role("row").filter(has_text="Geographic / supply risk")
    expect(supply).to_contain_text("10%")
    expect(page.locator("#versions tbody tr")).to_have_count(1)


@pytest.mark.parametrize("width", [1280, 820])
def test_the_evaluation_page_shows_every_criterion_and_the_sliders_above_the_scores(
    live_server, login, sourcing, evaluation, width
):
    page = login(sourcing)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    page.screenshot(path=f"/tmp/shots-w8/evaluation-{width}.png", full_page=True)
    headers = page.locator("#score-table thead th")
    expect(headers).to_have_count(12)
    table = page.locator("#score-table").bounding_box()
    sliders = page.locator("#weights-form").bounding_box()
    assert sliders["y"] + sliders["height"] <= table["y"]
    if width == 1280:
        for i in range(headers.count()):
            box = headers.nth(i).bounding_box()
            assert box["x"] + box["width"] <= width, headers.nth(i).inner_text()


def test_the_needs_search_coverage_sits_apart_from_the_cmo_name(
    live_server,
    login,
    sourcing,
    market,  # noqa: F811
):
    evaluation = EvaluationFactory(name="Empty so far", created_by=sourcing)
    evaluation.needs.create(capability=market, min_level=2)
    page = login(sourcing)
    page.goto(f"{live_server.url}{evaluation.get_absolute_url()}")
    item = page.locator("#add-candidates li").filter(has_text="Cork Sterile Ltd")
    name = item.locator(".cmo-name").bounding_box()
    coverage = item.locator(".coverage").bounding_box()
    page.screenshot(path="/tmp/shots-w8/picker.png", full_page=True)
    overlap_x = min(name["x"] + name["width"], coverage["x"] + coverage["width"]) - max(
        name["x"], coverage["x"]
    )
    overlap_y = min(name["y"] + name["height"], coverage["y"] + coverage["height"]) - max(
        name["y"], coverage["y"]
    )
    assert overlap_x <= 0 or overlap_y <= 0
    assert re.search(r"covers \d+% of the needs", item.inner_text())
