import re

import pytest
from playwright.sync_api import expect

from tests.factories import CmoFactory, ContractFactory, SiteFactory
from vendors.models import Cmo, QualificationStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory():
    basel = CmoFactory(
        legal_name="Basel Biologics AG",
        headquarters_country="CH",
        qualification_status=QualificationStatus.APPROVED,
    )
    SiteFactory(cmo=basel, name="Visp", types=["biologics", "sterile"])
    cork = CmoFactory(legal_name="Cork Sterile Ltd", headquarters_country="IE")
    SiteFactory(cmo=cork, name="Ringaskiddy", country="IE", types=["sterile"])
    CmoFactory(legal_name="Hyderabad Fine Chemicals", headquarters_country="IN")
    return {"basel": basel, "cork": cork}


def test_sourcing_filters_opens_and_edits_a_cmo(live_server, login, sourcing, directory):
    page = login(sourcing)
    page.get_by_role("link", name="CMOs", exact=True).click()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").fill("sterile")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=sterile"))
    page.get_by_label("Search").fill("")
    expect(rows).to_have_count(3)
    page.get_by_label("Country").click()
    page.get_by_role("group", name="Country").get_by_role(
        "checkbox", name="India", exact=True
    ).check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hyderabad Fine Chemicals")
    expect(page).to_have_url(re.compile(r"country=IN"))

    page.goto(f"{live_server.url}/cmos/?site_type=sterile")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name=re.compile("Legal name")).click()  # sorted by name: reverse it
    expect(rows.first).to_contain_text("Cork Sterile Ltd")
    expect(page).to_have_url(re.compile(r"ordering=-name"))

    rows.first.get_by_role("link", name="Cork Sterile Ltd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cork Sterile Ltd")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.get_by_label("Website").fill("https://cork-sterile.example.com")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#field-change_reason .errorlist")).to_contain_text("required")

    page.get_by_label("Reason for change").fill("Website confirmed by their BD team")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    expect(page.get_by_role("link", name="https://cork-sterile.example.com")).to_be_visible()
    history = page.locator("#history")
    expect(history).to_contain_text("Website confirmed by their BD team")
    expect(history).to_contain_text("https://cork-sterile.example.com")
    expect(history).to_contain_text(sourcing.get_full_name())
    assert Cmo.objects.get(pk=directory["cork"].pk).website == "https://cork-sterile.example.com"


def test_filters_take_several_choices_by_checkbox_with_the_same_query(
    live_server, login, sourcing, directory
):
    page = login(sourcing)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(f"{live_server.url}/cmos/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(3)
    status = page.get_by_label("Status")
    expect(status).to_contain_text("Any")
    status.click()
    choices = page.get_by_role("group", name="Status")
    expect(
        choices.get_by_role("checkbox", name="Conditionally approved", exact=True)
    ).to_be_visible()
    choices.get_by_role("checkbox", name="Approved", exact=True).check()
    expect(rows).to_have_count(1)
    choices.get_by_role("checkbox", name="Prospect", exact=True).check()
    expect(rows).to_have_count(3)
    expect(page).to_have_url(re.compile(r"status=prospect&status=approved"))
    expect(status).to_contain_text("Prospect, Approved")
    choices.get_by_role("checkbox", name="Prospect", exact=True).uncheck()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Basel Biologics AG")

    page.reload()
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Status")).to_contain_text("Approved")
    page.get_by_label("Status").click()
    expect(
        page.get_by_role("group", name="Status").get_by_role(
            "checkbox", name="Approved", exact=True
        )
    ).to_be_checked()
    page.keyboard.press("Escape")
    expect(page.get_by_role("group", name="Status").get_by_role("checkbox").first).to_be_hidden()
    page.get_by_label("Site type").click()
    page.get_by_role("group", name="Site type").get_by_role(
        "checkbox", name="Biologics", exact=True
    ).check()
    expect(page).to_have_url(re.compile(r"site_type=biologics"))
    expect(rows).to_have_count(1)


def test_qa_sees_no_edit_controls_and_a_direct_post_is_refused(live_server, login, qa, directory):
    page = login(qa)
    cork = directory["cork"]
    page.goto(f"{live_server.url}{cork.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cork Sterile Ltd")
    expect(page.get_by_text("Edit", exact=True)).to_have_count(0)
    expect(page.get_by_text("Add a site")).to_have_count(0)

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/cmos/{cork.pk}/edit/",
        form={"legal_name": "Hijacked", "headquarters_country": "IE", "change_reason": "x"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url},
    )
    assert response.status == 403
    assert Cmo.objects.get(pk=cork.pk).legal_name == "Cork Sterile Ltd"


@pytest.mark.parametrize(
    ("path", "sort"), [("/cmos/", "Legal name"), ("/contracts/", "Title"), ("/audits/", None)]
)
def test_filtering_or_sorting_a_list_swaps_its_results_once(
    live_server, login, manager, directory, path, sort
):
    ContractFactory(cmo=directory["cork"])  # a row, so the contracts list has its sort links
    page = login(manager)
    page.goto(f"{live_server.url}{path}")
    results = page.locator("[id=results]")
    page.get_by_label("Search").fill("nothing matches this")
    expect(page).to_have_url(re.compile(r"q=nothing"))
    expect(results).to_contain_text("match")
    expect(results).to_have_count(1)
    page.get_by_label("Search").fill("")
    expect(page).not_to_have_url(re.compile(r"q=nothing"))
    expect(results).to_have_count(1)
    if sort:
        page.get_by_role("link", name=re.compile(sort)).click()
        expect(page).to_have_url(re.compile(r"ordering="))
        expect(results).to_have_count(1)
