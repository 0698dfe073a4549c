import re

import pytest
from playwright.sync_api import expect

from audits.models import Answer, Audit, Evidence, Finding
from tests.conftest import PASSWORD
from tests.factories import make_audit, make_checklist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_fills_out_an_audit_raises_a_finding_signs_and_downloads_the_report(
    live_server, login, qa, reviewer, tmp_path
):
    version = make_checklist(
        (("Quality system", ("yes_no", "rating")), ("Laboratory", ("yes_no", "text")))
    )
    audit = make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS)
    page = login(qa)
    page.get_by_role("link", name="Audits", exact=True).click()
    page.get_by_role("link", name=audit.reference).click()
    page.get_by_role("button", name="Fill out the checklist").click()

    first, second = audit.answers.order_by("question__section__position", "question__position")[:2]
    block = page.locator(f"#q-{first.pk}")
    block.get_by_label("Yes").check()
    expect(block.locator(".save-state")).to_contain_text("Saved")
    page.locator(f"#q-{second.pk}").get_by_label("4", exact=True).check()
    expect(page.locator(f"#q-{second.pk} .save-state")).to_contain_text("Saved")
    block.get_by_label("Comment").fill("SOP QA-001 rev 7 seen")
    block.get_by_label("Comment").press("Tab")
    expect(page.locator("#progress")).to_contain_text("2 of 4 answered")
    block.get_by_text("Attach evidence").click()
    block.get_by_label("Evidence file").set_input_files(
        {
            "name": "line-clearance.png",
            "mimeType": "image/png",
            "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64),
        }
    )
    block.get_by_role("button", name="Upload").click()
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("line-clearance.png")

    page.get_by_role("link", name=re.compile(r"2\. Laboratory")).first.click()
    lab = audit.answers.filter(question__section__position=2).order_by("question__position")
    lab_block = page.locator(f"#q-{lab[0].pk}")
    lab_block.get_by_label("No", exact=True).check()
    expect(lab_block.locator(".save-state")).to_contain_text("Saved")
    text_block = page.locator(f"#q-{lab[1].pk}")
    text_block.get_by_label("Answer").fill("Methods transferred in 2024")
    expect(text_block.locator(".save-state")).to_contain_text("Saved")

    lab_block.get_by_role("link", name="Raise a finding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a finding")
    page.get_by_role("radio", name=re.compile("Major")).check()
    expect(page.get_by_text("A non-critical deficiency")).to_be_visible()
    page.get_by_label("Title").fill("OOS results invalidated without evidence")
    page.get_by_label("Requirement cited").fill("21 CFR 211.192")
    page.get_by_label("Description").fill("Three OOS results were invalidated as lab error.")
    page.get_by_role("button", name="Raise the finding").click()
    expect(lab_block.locator(".badge.sev-major")).to_contain_text("F01")

    page.reload()
    expect(page.locator(f"#q-{lab[1].pk} textarea[name=value]")).to_have_value(
        "Methods transferred in 2024"
    )
    expect(page.locator(f"#q-{lab[0].pk}").get_by_label("No", exact=True)).to_be_checked()
    page.get_by_role("link", name=re.compile(r"1\. Quality system")).first.click()
    expect(page.locator(f"#q-{first.pk}").get_by_label("Yes")).to_be_checked()
    expect(page.locator(f"#q-{first.pk}").get_by_label("Comment")).to_have_value(
        "SOP QA-001 rev 7 seen"
    )
    expect(page.locator(f"#evidence-{first.pk}")).to_contain_text("line-clearance.png")
    assert Answer.objects.filter(audit=audit).exclude(value="").count() == 4
    assert Evidence.objects.filter(answer=first).count() == 1
    assert Finding.objects.get(audit=audit).severity == "major"

    page.get_by_role("button", name="Audit overview").click()
    page.get_by_label("Next step").select_option("in_review")
    page.get_by_role("button", name="Move on").click()
    # The lead auditor cannot sign; another QA person approves, with conditions at most
    # because of the open major finding.
    expect(page.locator("#own-audit")).to_be_visible()
    page.context.clear_cookies()
    page = login(reviewer)
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    page.get_by_role("button", name="Approve or reject…").click()
    dialog = page.locator("#sign-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Approve with conditions").check()
    dialog.get_by_label("Conditions of the approval").fill("Close F01 within 30 days.")
    dialog.get_by_label("F01 (major) OOS results invalidated without evidence").check()
    dialog.get_by_label("Meaning of my signature").select_option("approved")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign").click()
    expect(page.locator(".messages")).to_contain_text("conditionally approved and signed")
    expect(page.locator("#signatures")).to_contain_text("Approved by")
    expect(page.locator("#signatures")).to_contain_text("content unchanged")

    page.get_by_role("button", name="Render the PDF report").click()
    download_link = page.get_by_role("button", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "report.pdf"
    info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.CONDITIONALLY_APPROVED
