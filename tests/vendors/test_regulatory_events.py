"""Regulatory events entered by hand: a date later than today is refused, page and API alike."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


def test_the_event_form_refuses_a_date_in_the_future_beside_the_field(client_for, qa):
    site = SiteFactory()
    url = reverse("vendors:event_create", args=[site.pk])
    data = {"kind": "warning_letter", "agency": "fda", "event_date": "2099-03-01"}
    response = client_for(qa).post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"event_date": ["The event date is in the future."]}
    assert not site.regulatory_events.exists()

    today = timezone.localdate().isoformat()
    assert client_for(qa).post(url, {**data, "event_date": today}).status_code == 302
    assert site.regulatory_events.get().event_date.isoformat() == today


def test_the_api_answers_a_future_event_date_with_a_400_naming_the_field(api_for, qa):
    site = SiteFactory()
    data = {"site": site.pk, "kind": "warning_letter", "agency": "fda", "event_date": tomorrow()}
    api = api_for(qa)
    refused = api.post("/api/v1/regulatory-events/", data, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"event_date": ["The event date is in the future."]}
    assert not site.regulatory_events.exists()

    created = api.post(
        "/api/v1/regulatory-events/", {**data, "event_date": "2025-06-30"}, format="json"
    )
    assert created.status_code == 201, created.json()
    moved = api.patch(
        f"/api/v1/regulatory-events/{created.json()['id']}/",
        {"event_date": "2099-06-30", "change_reason": "Typo"},
        format="json",
    )
    assert moved.status_code == 400 and "event_date" in moved.json()
    assert site.regulatory_events.get().event_date == datetime.date(2025, 6, 30)


def label_and_help(html: str, name: str) -> tuple[str, str]:
    field = html[html.index(f'id="field-{name}"') :]
    field = field[: field.index("</div>")]
    label = field[field.index("<label") : field.index("</label>")]
    helptext = field[field.index('class="helptext"') :] if 'class="helptext"' in field else ""
    return label.split(">", 1)[1], helptext


def test_the_edit_form_tells_the_change_reason_from_the_event_reason(client_for, qa):
    from tests.factories import RegulatoryEventFactory
    from tests.html_forms import as_post, form_data

    event = RegulatoryEventFactory(
        kind="recall", classification="class_1", reason="Lack of sterility assurance"
    )
    client = client_for(qa)
    url = reverse("vendors:event_edit", args=[event.pk])
    page = client.get(url).content.decode()
    event_label, event_help = label_and_help(page, "reason")
    change_label, change_help = label_and_help(page, "change_reason")
    assert change_label.startswith("Reason for this change")
    assert event_label != change_label and event_help != change_help
    assert "history" in change_help

    data = form_data(page, "event-form")
    assert data["reason"] == "Lack of sterility assurance"
    data["change_reason"] = "Classification corrected after FDA update"
    data["classification"] = "class_2"
    assert client.post(url, as_post(data)).status_code == 302
    event.refresh_from_db()
    assert event.reason == "Lack of sterility assurance"
    assert event.history.first().history_change_reason == (
        "Classification corrected after FDA update"
    )
