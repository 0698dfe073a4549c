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
