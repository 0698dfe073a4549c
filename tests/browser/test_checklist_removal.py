import pytest
from django.urls import reverse
from playwright.sync_api import expect

from audits.models import ChecklistQuestion, ChecklistSection
from tests.factories import make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_removing_a_draft_question_or_section_asks_first(live_server, login, qa):
    version = make_checklist(published=False)
    page = login(qa)
    page.goto(live_server.url + reverse("audits:version_detail", args=[version.pk]))
    questions = page.locator(".question-list li[id^=question-]")
    expect(questions).to_have_count(5)

    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="Remove question 1.2").click()
    expect(questions).to_have_count(5)
    assert asked == ["Remove question 1.2?"]
    page.reload()
    expect(questions).to_have_count(5)

    page.once("dialog", answer(True))
    page.get_by_role("button", name="Remove question 1.2").click()
    expect(questions).to_have_count(4)
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Remove section 2").click()
    assert asked[-1] == "Remove section 2, Laboratory, and its questions?"
    page.reload()
    expect(questions).to_have_count(4)
    expect(page.locator("section.checklist-section")).to_have_count(2)
    assert ChecklistQuestion.objects.filter(section__version=version).count() == 4
    assert ChecklistSection.objects.filter(version=version).count() == 2
