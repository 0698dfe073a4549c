"""The notifications page, the header's unread count and the e-mails' links to records."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CmoFactory, UserFactory
from tests.html_forms import form_with_button, forms_of
from vendors.models import Notification
from vendors.models import QualificationStatus as S
from vendors.services import cmo_change_status

pytestmark = pytest.mark.django_db


def notice(recipient, subject: str, **fields) -> Notification:
    return Notification.objects.create(recipient=recipient, subject=subject, **fields)


def test_the_header_shows_how_many_notifications_are_unread(client_for, manager):
    notice(manager, "Acme: Approved → Suspended")
    notice(manager, "Beta: Prospect → Under evaluation")
    notice(manager, "Read already", read_at="2026-01-01T00:00Z")
    notice(UserFactory(), "Someone else's")
    page = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
    assert 'Notifications <span class="count">2<span class="sr-only"> unread</span></span>' in page


def test_the_header_shows_no_count_when_everything_is_read(client_for, manager):
    notice(manager, "Read already", read_at="2026-01-01T00:00Z")
    page = client_for(manager).get(reverse("contracts:dashboard")).content.decode()
    assert 'class="count"' not in page


def test_the_unread_count_costs_one_query_per_page(client_for, manager):
    notice(manager, "Acme: Approved → Suspended")
    client = client_for(manager)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("notifications"))  # the count shows in the header and the page
    counts = [
        q["sql"] for q in queries if "COUNT" in q["sql"] and "vendors_notification" in q["sql"]
    ]
    # One for the unread count, one for the paginator's total.
    assert len(counts) == 2


def test_marking_one_notification_read_leaves_the_others_unread(client_for, manager):
    first = notice(manager, "Acme: Approved → Suspended")
    second = notice(manager, "Beta: Prospect → Under evaluation")
    client = client_for(manager)
    page = client.get(reverse("notifications"))
    form = form_with_button(page.content, "Mark read: Acme: Approved → Suspended")
    response = client.post(form.action, form.data())
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None

    page = client.get(response.url)
    assert "Marked as read: Acme: Approved → Suspended" in page.content.decode()
    buttons = [b.label for form in forms_of(page.content) for b in form.buttons]
    assert "Mark read: Acme: Approved → Suspended" not in buttons
    assert "Mark read: Beta: Prospect → Under evaluation" in buttons
    assert '<span class="count">1<' in page.content.decode()


def test_nobody_can_mark_another_persons_notification_read(client_for, manager, qa):
    theirs = notice(qa, "For QA only")
    response = client_for(manager).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_is_a_post_only(client_for, manager):
    mine = notice(manager, "Acme: Approved → Suspended")
    response = client_for(manager).get(reverse("notification_read", args=[mine.pk]))
    assert response.status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_all_read_marks_only_ones_own(client_for, manager, qa):
    mine = [notice(manager, "One"), notice(manager, "Two")]
    theirs = notice(qa, "For QA only")
    client = client_for(manager)
    page = client.get(reverse("notifications"))
    form = next(f for f in forms_of(page.content) if f.action == "")
    client.post(reverse("notifications"), form.data())
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = client.get(reverse("notifications")).content.decode()
    assert 'class="count"' not in page and "Mark all as read" not in page


def test_the_status_change_email_links_to_the_record(
    qa, manager, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://cmoselect.example.com"
    cmo = CmoFactory(qualification_status=S.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        cmo_change_status(cmo=cmo, status=S.SUSPENDED, user=qa, reason="Recall class I")
    [message] = mail.outbox
    assert f"https://cmoselect.example.com{cmo.get_absolute_url()}" in message.body
