"""The GxP controls on audits, CAPAs and signatures, as the person refused sees them."""

import pytest
from playwright.sync_api import expect

from audits.models import Audit, Capa, Severity
from audits.services import (
    capa_accept,
    capa_record_response,
)
from cmoselect.models import SignatureFailure
from tests.conftest import PASSWORD
from tests.factories import answer_all, make_audit, make_checklist, raise_finding, submit_for_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answered_audit(lead):
    version = make_checklist((("Quality system", ("yes_no", "rating")),))
    audit = make_audit(version=version, lead=lead, status=Audit.Status.IN_PROGRESS)
    answer_all(audit, lead)
    return audit


def major_finding(audit, user, severity=Severity.MAJOR, title="Cleaning validation incomplete"):
    return raise_finding(
        audit,
        user,
        severity,
        title=title,
        requirement="EU GMP Annex 15 10.12",
        description="Worst case product not covered.",
    )


def switch_user(page, login, user):
    page.context.clear_cookies()
    return login(user)


def test_the_lead_auditor_is_told_why_they_cannot_sign(live_server, login, qa):
    audit = answered_audit(qa)
    submit_for_review(audit, qa)
    page = login(qa)
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    expect(page.locator("#own-audit")).to_contain_text("cannot sign their own audit's decision")
    expect(page.get_by_role("button", name="Approve or reject…")).to_have_count(0)
    page.goto(f"{live_server.url}/audits/{audit.pk}/sign/")
    expect(page.locator("#own-audit")).to_contain_text("another QA person signs it")
    expect(page.get_by_label("Password")).to_have_count(0)


def test_a_conditional_recommendation_offers_only_conditions_or_rejection(
    live_server, login, qa, reviewer
):
    audit = answered_audit(qa)
    finding = major_finding(audit, qa)
    submit_for_review(audit, qa)
    page = login(reviewer)
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    page.get_by_role("button", name="Approve or reject…").click()
    dialog = page.locator("#sign-dialog")
    expect(dialog.locator("#outcome-limit")).to_contain_text(
        "you can approve with conditions or reject"
    )
    expect(dialog.get_by_label("Approve", exact=True)).to_have_count(0)
    dialog.get_by_label("Approve with conditions").check()
    dialog.get_by_label("Meaning of my signature").select_option("approved")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("button", name="Sign").click()
    # Refused: no conditions written, the open major finding not linked.
    expect(page.locator("#field-conditions")).to_contain_text("Write the conditions")
    page.get_by_label("Conditions of the approval").fill("Close F01 within 30 days.")
    page.get_by_label(f"{finding.reference} (major) Cleaning validation incomplete").check()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign").click()
    expect(page.locator(".messages")).to_contain_text("conditionally approved and signed")
    page.reload()
    expect(page.locator(".badge.audit-conditionally_approved").first).to_have_text(
        "Conditionally approved"
    )
    expect(page.locator("#signatures")).to_contain_text("Close F01 within 30 days.")
    expect(page.locator("#signatures")).to_contain_text(f"Depends on {finding.reference}")


def test_a_not_approvable_audit_can_only_be_rejected(live_server, login, qa, reviewer):
    audit = answered_audit(qa)
    major_finding(audit, qa, Severity.CRITICAL, "Audit trail not reviewed")
    submit_for_review(audit, qa)
    page = login(reviewer)
    page.goto(f"{live_server.url}/audits/{audit.pk}/sign/")
    expect(page.locator("#outcome-limit")).to_contain_text("you can only reject")
    expect(page.get_by_label("Approve", exact=True)).to_have_count(0)
    expect(page.get_by_label("Approve with conditions")).to_have_count(0)
    expect(page.get_by_label("Reject")).to_be_visible()


def test_sending_an_incomplete_audit_to_review_needs_a_justification(live_server, login, qa):
    version = make_checklist((("Quality system", ("yes_no", "yes_no", "rating")),))
    audit = make_audit(version=version, lead=qa, status=Audit.Status.IN_PROGRESS)
    page = login(qa)
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")
    page.get_by_label("Next step").select_option("in_review")
    page.get_by_role("button", name="Move on").click()
    expect(page.locator("#field-justification")).to_contain_text("3 questions unanswered")
    expect(page.locator("#field-justification")).to_contain_text(
        "Mark each not applicable with a reason"
    )
    expect(page.get_by_label("Next step")).to_have_value("in_review")
    page.get_by_label("Justification for unanswered questions").fill(
        "Remote audit: the shop floor could not be seen."
    )
    page.get_by_role("button", name="Move on").click()
    expect(page.locator(".messages")).to_contain_text("is now In review")
    page.reload()
    expect(page.locator(".page-head .badge").first).to_have_text("In review")
    expect(page.locator("#score")).to_contain_text("0 / 3")
    expect(page.locator("#score")).to_contain_text(
        "Sent to review incomplete: Remote audit: the shop floor could not be seen."
    )


def test_whoever_accepted_a_capa_cannot_verify_it_and_verification_needs_a_check(
    live_server, login, qa, reviewer
):
    audit = answered_audit(qa)
    capa = major_finding(audit, qa).capa
    capa_record_response(
        capa=capa, user=qa, root_cause="a", corrective_action="b", preventive_action="c"
    )
    capa_accept(capa=capa, user=qa)
    page = login(qa)
    page.goto(f"{live_server.url}{capa.finding.get_absolute_url()}")
    expect(page.locator("#own-acceptance")).to_contain_text(
        "Whoever accepted the CAPA response cannot verify its closure"
    )
    expect(page.get_by_role("button", name="Verify and close")).to_have_count(0)

    page = switch_user(page, login, reviewer)
    page.goto(f"{live_server.url}{capa.finding.get_absolute_url()}")
    page.get_by_label("How the actions were verified").fill("Revised SOP seen in use")
    page.get_by_role("button", name="Verify and close").click()
    # The browser holds the form back: the effectiveness check is required.
    check = page.get_by_label("Effectiveness check")
    assert check.evaluate("field => field.validity.valueMissing")
    page.reload()
    expect(page.locator("#capa .badge").first).to_have_text("Accepted")
    page.get_by_label("How the actions were verified").fill("Revised SOP seen in use")
    page.get_by_label("Effectiveness check").fill("No recurrence in 20 batches since.")
    page.get_by_label("Evidence of the check").set_input_files(
        {"name": "batches.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 batches"}
    )
    page.get_by_role("button", name="Verify and close").click()
    expect(page.locator(".messages")).to_contain_text("CAPA is now verified and closed.")
    page.reload()
    expect(page.locator("#capa")).to_contain_text("No recurrence in 20 batches since.")
    expect(page.locator("#capa")).to_contain_text("batches.pdf")
    assert Capa.objects.get(pk=capa.pk).verified_by == reviewer


def test_five_wrong_signature_passwords_lock_signing(live_server, login, qa, reviewer):
    audit = answered_audit(qa)
    submit_for_review(audit, qa)
    page = login(reviewer)
    page.goto(f"{live_server.url}/audits/{audit.pk}/sign/")

    def attempt(password):
        page.get_by_label("Approve", exact=True).check()
        page.get_by_label("Meaning of my signature").select_option("approved")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign").click()

    for _ in range(4):
        attempt("not-my-password")
        expect(page.locator("#field-password")).to_contain_text("The password is not correct")
    attempt("not-my-password")
    expect(page.locator("#field-password")).to_contain_text("Signing is locked")
    attempt(PASSWORD)
    expect(page.locator("#field-password")).to_contain_text("Signing is locked after 5")
    page.goto(f"{live_server.url}{audit.get_absolute_url()}")  # not a reload: that re-posts
    expect(page.locator(".page-head .badge").first).to_have_text("In review")
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_REVIEW
    failures = SignatureFailure.objects.filter(user=reviewer, record=audit.reference)
    assert failures.filter(while_locked=False).count() == 5
    assert failures.filter(while_locked=True).count() == 1  # the right password, refused
