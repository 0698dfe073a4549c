"""The audit program, the approved supplier list and an entry's page: no serious accessibility
violation at desktop and tablet width, and no sideways scroll on a tablet."""

import pytest
from playwright.sync_api import expect

from qualification.models import SiteQualification
from tests.browser.test_accessibility import check_pages
from tests.factories import SiteFactory
from vendors.models import Capability

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def entry():
    entry = SiteQualification.objects.create(
        site=SiteFactory(name="Aseptic Plant Basel"),
        status=SiteQualification.Status.CONDITIONAL,
        conditions="Close the media fill CAPA",
        risk_class="high",
        computed_risk="high",
    )
    entry.capabilities.set(Capability.objects.filter(category="dosage_forms")[:3])
    return entry


def test_the_qualification_pages_have_no_serious_accessibility_violations(
    live_server, login, qa, entry
):
    page = login(qa)
    paths = ["/qualification/program/", "/qualification/asl/", entry.get_absolute_url()]
    assert check_pages(page, live_server.url, paths) == {}


def test_the_qualification_pages_fit_a_tablet(live_server, login, qa, entry):
    page = login(qa)
    page.set_viewport_size({"width": 820, "height": 1180})
    for path in ("/qualification/program/", "/qualification/asl/", entry.get_absolute_url()):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
        expect(page.get_by_role("button", name="Log out")).to_be_in_viewport(ratio=1)
