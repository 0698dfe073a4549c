import re

import pytest
from playwright.sync_api import expect

from tests.factories import SiteCapabilityFactory, SiteFactory
from vendors.models import Capability, CapabilityLevel, SiteCapability

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cell():
    vials = Capability.objects.get(code="dosage-forms-sterile-liquid-vials")
    site = SiteFactory(name="Cork fill-finish", country="IE")
    return SiteCapabilityFactory(site=site, capability=vials, level=CapabilityLevel.CLAIMED)


def test_switching_to_sites_says_so_and_swaps_the_results_once(live_server, login, sourcing, cell):
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/")
    sub = page.locator("#matrix-sub")
    expect(sub).to_contain_text("What each CMO (best of its sites)")
    page.get_by_label("View").select_option("sites")
    expect(page).to_have_url(re.compile(r"view=sites"))
    expect(sub).to_contain_text("What each site can do")
    expect(sub).to_contain_text("Click a cell to change it.")
    expect(page.locator("[id=results]")).to_have_count(1)
    expect(page.locator("#matrix th.subject").first).to_have_text("Site")


def test_an_opened_cell_can_be_cancelled_without_a_change(live_server, login, sourcing, cell):
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    td = page.locator(f"#cell-{cell.site_id}-{cell.capability_id}")
    td.click()
    expect(td.locator("select")).to_be_visible()
    td.get_by_role("button", name="Cancel").click()
    expect(td.locator("select")).to_have_count(0)
    expect(td).to_have_text("C")
    assert SiteCapability.objects.get(pk=cell.pk).level == CapabilityLevel.CLAIMED


def test_two_open_cells_each_have_their_own_labelled_level(live_server, login, sourcing, cell):
    lyo = Capability.objects.get(code="dosage-forms-lyophilized-products")
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    for capability in (cell.capability, lyo):
        td = page.locator(f"#cell-{cell.site_id}-{capability.pk}")
        td.click()
        expect(td.locator("select")).to_be_visible()
    expect(page.locator("select[id=id_level]")).to_have_count(0)
    page.get_by_label("Level of Lyophilized products at Cork fill-finish").select_option("2")
    page.get_by_label("Reason for changing Lyophilized products at Cork fill-finish").fill("Seen")
    page.locator(f"#cell-{cell.site_id}-{lyo.pk}").get_by_role("button", name="Save").click()
    expect(page.locator(f"#cell-{cell.site_id}-{lyo.pk}")).to_have_text("D")
    vials = page.get_by_label("Level of Sterile liquid vials at Cork fill-finish")
    expect(vials).to_have_value("1")
    assert SiteCapability.objects.get(site=cell.site, capability=lyo).level == 2


def test_a_cell_can_be_changed_with_the_keyboard_alone(live_server, login, sourcing, cell):
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    button = page.get_by_role(
        "button", name="C claimed: change Sterile liquid vials at Cork fill-finish"
    )
    button.focus()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    level = page.get_by_label("Level of Sterile liquid vials at Cork fill-finish")
    expect(level).to_be_focused()
    page.keyboard.press("Escape")
    expect(level).to_have_count(0)
    expect(button).to_be_focused()

    page.keyboard.press("Space")
    expect(level).to_be_focused()
    level.select_option("2")
    page.keyboard.press("Tab")
    reason = page.get_by_label("Reason for changing Sterile liquid vials at Cork fill-finish")
    expect(reason).to_be_focused()
    page.keyboard.type("Batch records seen")
    page.keyboard.press("Enter")
    changed = page.get_by_role(
        "button", name="D demonstrated: change Sterile liquid vials at Cork fill-finish"
    )
    expect(changed).to_be_focused()
    page.reload()
    expect(page.locator(f"#cell-{cell.site_id}-{cell.capability_id}")).to_have_text("D")
    assert SiteCapability.objects.get(pk=cell.pk).level == CapabilityLevel.DEMONSTRATED


def test_every_editable_cell_takes_keyboard_focus(live_server, login, sourcing, cell):
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    cells = page.locator("#matrix td.editable")
    total = cells.count()
    assert total == Capability.objects.count()
    focusable = page.evaluate(
        """() => [...document.querySelectorAll('#matrix td.editable')]
             .filter(td => td.querySelector('button:not([disabled])')).length"""
    )
    assert focusable == total


def test_verified_by_audit_cannot_be_chosen_by_hand(live_server, login, sourcing, cell):
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    td = page.locator(f"#cell-{cell.site_id}-{cell.capability_id}")
    td.click()
    page.get_by_label("Level of Sterile liquid vials at Cork fill-finish").select_option(
        label="Verified by audit"
    )
    page.get_by_label("Reason for changing Sterile liquid vials at Cork fill-finish").fill(
        "Seen on site"
    )
    td.get_by_role("button", name="Save").click()
    expect(td).to_contain_text("is recorded only by approving an audit that covered this")
    page.reload()
    expect(page.locator(f"#cell-{cell.site_id}-{cell.capability_id}")).to_have_text("C")
    assert SiteCapability.objects.get(pk=cell.pk).level == CapabilityLevel.CLAIMED


@pytest.mark.parametrize("width, height", [(1280, 900), (820, 1180)])
def test_the_first_column_stays_in_view_when_the_matrix_scrolls_sideways(
    live_server, login, sourcing, cell, width, height
):
    page = login(sourcing)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    scroller = page.locator(".matrix-scroll")
    scroll_width, client_width = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll_width > client_width + 100  # there is something to scroll to
    name = page.locator("#matrix tbody th.subject").first
    expect(name).to_contain_text("Cork fill-finish")
    assert name.evaluate("e => getComputedStyle(e).position") == "sticky"
    head = page.locator("#matrix thead th.subject")
    first_cell = page.locator("#matrix tbody tr").first.locator("td").first
    name_before, head_before = name.bounding_box(), head.bounding_box()
    cell_before = first_cell.bounding_box()

    scroller.evaluate("e => { e.scrollLeft = 100; }")
    assert scroller.evaluate("e => e.scrollLeft") == 100
    assert first_cell.bounding_box()["x"] == pytest.approx(cell_before["x"] - 100, abs=1)
    assert name.bounding_box()["x"] == name_before["x"]
    assert head.bounding_box()["x"] == head_before["x"]
    # The cells passing under the name are hidden by it, not painted through it.
    right_edge = name_before["x"] + name_before["width"] - 5, name_before["y"] + 10
    above = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('th.subject')", right_edge
    )
    assert above
    expect(name.get_by_role("link", name="Cork fill-finish")).to_be_visible()


@pytest.mark.parametrize("width, height", [(1280, 900), (820, 1180)])
def test_an_open_cell_editor_neither_widens_its_column_nor_moves_the_table(
    live_server, login, sourcing, cell, width, height
):
    page = login(sourcing)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    td = page.locator(f"#cell-{cell.site_id}-{cell.capability_id}")
    table = page.locator("#matrix")
    cell_before, table_before = td.bounding_box(), table.bounding_box()
    header = page.locator("#matrix thead th.cap").nth(
        td.evaluate("e => e.cellIndex") - 1  # the first column is the site's
    )
    header_before = header.bounding_box()

    td.get_by_role(
        "button", name="C claimed: change Sterile liquid vials at Cork fill-finish"
    ).click()
    editor = page.get_by_role("form", name="Change Sterile liquid vials at Cork fill-finish")
    expect(editor).to_be_visible()
    expect(page.get_by_label("Level of Sterile liquid vials at Cork fill-finish")).to_be_visible()
    assert td.bounding_box() == cell_before
    assert header.bounding_box()["width"] == header_before["width"]
    assert table.bounding_box() == table_before
    expect(td).to_contain_text("C")  # the cell still shows its level under the editor
    box = editor.bounding_box()
    assert box["width"] > 3 * cell_before["width"]  # room to work in, beside the cell
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["y"] >= cell_before["y"] + cell_before["height"] - 1 or (
        box["y"] + box["height"] <= cell_before["y"] + 1
    )
    td.get_by_role("button", name="Cancel").click()
    expect(editor).to_have_count(0)
    assert table.bounding_box() == table_before


def test_adding_a_level_asks_for_a_reason_kept_in_the_history(live_server, login, sourcing, cell):
    lyo = Capability.objects.get(code="dosage-forms-lyophilized-products")
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/?view=sites")
    td = page.locator(f"#cell-{cell.site_id}-{lyo.pk}")
    td.get_by_role("button", name="None: change Lyophilized products at Cork fill-finish").click()
    page.get_by_label("Level of Lyophilized products at Cork fill-finish").select_option("1")
    reason = page.get_by_label("Reason for changing Lyophilized products at Cork fill-finish")
    td.get_by_role("button", name="Save").click()
    expect(reason).to_be_focused()  # the browser asks for it before sending anything
    assert reason.evaluate("e => e.validity.valueMissing")
    reason.fill("Listed in the CMO's questionnaire")
    td.get_by_role("button", name="Save").click()
    expect(td).to_have_text("C")
    page.reload()
    expect(page.locator(f"#cell-{cell.site_id}-{lyo.pk}")).to_have_text("C")
    page.get_by_role("link", name="Cork fill-finish").click()
    expect(page.locator("main")).to_contain_text("Listed in the CMO's questionnaire")


def test_the_country_filter_lists_only_countries_that_have_sites(
    live_server, login, sourcing, cell
):
    SiteFactory(name="Hyderabad API", country="IN")
    page = login(sourcing)
    page.goto(f"{live_server.url}/cmos/capabilities/")
    country = page.get_by_label("Country")
    options = country.locator("option")
    expect(options).to_have_text(["Any country", "India", "Ireland"])
    country.select_option(label="India")
    expect(page).to_have_url(re.compile(r"country=IN"))
    page.get_by_label("View").select_option("sites")
    expect(page.locator("#matrix")).to_contain_text("Hyderabad API")
    expect(page.locator("#matrix")).not_to_contain_text("Cork fill-finish")
    page.reload()
    expect(page.get_by_label("Country")).to_have_value("IN")
