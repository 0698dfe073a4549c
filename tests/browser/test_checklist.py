"""The checklist on a tablet in the field: compact questions, saves that survive the network."""

import re

import pytest
from playwright.sync_api import expect

from audits.models import Answer, Audit
from audits.services import answer_save
from tests.factories import make_audit, make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def audit(qa):
    version = make_checklist((("Quality system", ("yes_no", "rating", "text")),))
    return make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS)


def answers(audit) -> list[Answer]:
    return list(audit.answers.order_by("question__position"))


def open_checklist(page, live_server, audit):
    page.goto(f"{live_server.url}/audits/{audit.pk}/checklist/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checklist")


def test_evidence_upload_stays_collapsed_until_asked_for(live_server, login, qa, audit):
    first = answers(audit)[0]
    page = login(qa)
    page.set_viewport_size({"width": 820, "height": 1180})
    open_checklist(page, live_server, audit)
    block = page.locator(f"#q-{first.pk}")
    expect(block.get_by_label("Evidence file")).to_be_hidden()
    expect(block.get_by_role("button", name="Upload")).to_be_hidden()
    # All three questions fit on one tablet screen once the upload blocks are folded away.
    expect(page.locator("article.question").last).to_be_in_viewport()

    block.get_by_text("Attach evidence").click()
    block.get_by_label("Evidence file").set_input_files(
        {"name": "batch-record.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF"}
    )
    block.get_by_role("button", name="Upload").click()
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("batch-record.pdf")
    page.reload()
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("batch-record.pdf")
    expect(page.locator(f"#q-{first.pk}").get_by_role("button", name="Upload")).to_be_hidden()


def test_going_offline_shows_a_banner_and_the_failed_save_is_sent_when_back_online(
    live_server, login, qa, audit, context
):
    first = answers(audit)[0]
    page = login(qa)
    open_checklist(page, live_server, audit)
    banner = page.get_by_text("You are offline")
    expect(banner).to_be_hidden()

    context.set_offline(True)
    expect(banner).to_be_visible()
    block = page.locator(f"#q-{first.pk}")
    block.get_by_label("No", exact=True).check()
    state = block.locator(".save-state")
    expect(state).to_contain_text("Not saved (no connection")
    # Let the back-off grow past what the test waits for below.
    expect(state).to_contain_text("Retrying in 8 s", timeout=15_000)

    context.set_offline(False)
    expect(banner).to_be_hidden()
    expect(state).to_contain_text("Saved", timeout=3_000)
    assert Answer.objects.get(pk=first.pk).value == "no"


def test_an_answer_made_offline_survives_closing_the_tab(live_server, login, qa, audit, context):
    first, second, _ = answers(audit)
    page = login(qa)
    open_checklist(page, live_server, audit)
    context.set_offline(True)
    page.locator(f"#q-{first.pk}").get_by_label("Yes").check()
    comment = page.locator(f"#q-{second.pk}").get_by_label("Comment")
    comment.fill("Deviation log reviewed, 3 open")
    comment.press("Tab")
    expect(page.locator(f"#q-{second.pk} .save-state")).to_contain_text("Not saved")
    page.close()
    context.set_offline(False)
    assert Answer.objects.get(pk=first.pk).value == ""

    page = context.new_page()
    open_checklist(page, live_server, audit)
    expect(page.locator(f"#q-{first.pk} .save-state")).to_contain_text("Saved")
    expect(page.locator(f"#q-{second.pk} .save-state")).to_contain_text("Saved")
    page.reload()
    expect(page.locator(f"#q-{first.pk}").get_by_label("Yes")).to_be_checked()
    expect(page.locator(f"#q-{second.pk}").get_by_label("Comment")).to_have_value(
        "Deviation log reviewed, 3 open"
    )
    assert Answer.objects.get(pk=first.pk).value == "yes"
    assert Answer.objects.get(pk=second.pk).comment == "Deviation log reviewed, 3 open"


def test_arrowing_through_a_rating_saves_only_where_the_auditor_stops(
    live_server, login, qa, audit
):
    rating = answers(audit)[1]
    page = login(qa)
    open_checklist(page, live_server, audit)
    block = page.locator(f"#q-{rating.pk}")
    block.get_by_label("0", exact=True).check()
    expect(block.locator(".save-state")).to_contain_text("Saved")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(block.get_by_label("3", exact=True)).to_be_checked()
    expect(block.locator(".save-state")).to_contain_text("Saved")
    page.wait_for_timeout(1500)  # longer than the pause that ends a run of arrow keys

    saved = Answer.objects.get(pk=rating.pk)
    assert saved.value == "3"
    assert saved.version == 2  # the click on 0, then 3; not 1 and 2 on the way
    saved_values = saved.history.order_by("history_date").values_list("value", flat=True)
    # The empty answer planned with the audit, the click on 0, then 3; not 1 and 2 on the way.
    assert list(saved_values) == ["", "0", "3"]
    page.reload()
    expect(page.locator(f"#q-{rating.pk}").get_by_label("3", exact=True)).to_be_checked()


def test_a_conflict_says_not_saved_beside_the_answer_too(live_server, login, qa, manager, audit):
    first = answers(audit)[0]
    page = login(qa)
    open_checklist(page, live_server, audit)
    answer_save(answer=first, user=manager, value="no", comment="", expected_version=0)

    block = page.locator(f"#q-{first.pk}")
    block.get_by_label("Yes").check()
    expect(block.get_by_role("alert")).to_contain_text("changed this answer")
    expect(block.locator(".save-state")).to_have_text(re.compile(r"^\s*Not saved"))
    expect(block.locator(".save-state")).not_to_contain_text("Saving")

    block.get_by_role("button", name="Save mine over theirs").click()
    expect(page.locator(f"#q-{first.pk} .save-state")).to_contain_text("Saved")
    assert Answer.objects.get(pk=first.pk).value == "yes"
