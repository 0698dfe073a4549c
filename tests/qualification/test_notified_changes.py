"""Changes a CMO notified: the risk factor, the service's rules, the site page and the API."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from qualification import risk
from qualification.changes import notified_change_save
from qualification.models import NotifiedChange, SiteQualification
from qualification.risk import assess_sites
from tests.factories import SiteFactory
from tests.html_forms import rendered_form
from tests.qualification.test_risk import facts, points

pytestmark = pytest.mark.django_db
MAJOR, MINOR = NotifiedChange.Significance.MAJOR, NotifiedChange.Significance.MINOR


def change(site, **fields) -> NotifiedChange:
    values = {
        "notified_on": date.today() - timedelta(days=2),
        "title": "Second lyophiliser on line 2",
        "category": NotifiedChange.Category.FACILITY,
        "significance": MAJOR,
    }
    return NotifiedChange(site=site, **{**values, **fields})


# ---------------------------------------------------------------- the factor


def test_a_major_change_weighs_three_points_and_minor_ones_one():
    from collections import Counter

    assert points(risk.notified_changes) == 0
    assert points(risk.notified_changes, notified_changes=Counter({MINOR: 2})) == 1
    assert points(risk.notified_changes, notified_changes=Counter({MAJOR: 1})) == 3
    both = risk.notified_changes(facts(notified_changes=Counter({MAJOR: 2, MINOR: 1})))
    assert (both.points, both.detail) == (4, "2 major, 1 minor since the last audit")
    none_approved = risk.notified_changes(
        facts(last_approved_end=None, notified_changes=Counter({MAJOR: 1}))
    )
    assert none_approved.detail == "1 major, 0 minor with no approved audit"


def test_only_changes_notified_after_the_last_approved_audit_count(approved, qa):
    site = approved.site
    end = approved.planned_end
    for day, significance in [(end - timedelta(days=5), MAJOR), (end, MAJOR)]:
        notified_change_save(
            change=change(site, notified_on=day, significance=significance), user=qa
        )
    lines = {c.factor: c for c in assess_sites([site.pk])[site.pk].breakdown}
    assert "Changes the CMO notified" not in lines  # before or on the audit's last day: covered

    notified_change_save(change=change(site, notified_on=end + timedelta(days=1)), user=qa)
    line = {c.factor: c for c in assess_sites([site.pk])[site.pk].breakdown}[
        "Changes the CMO notified"
    ]
    assert (line.points, line.detail) == (3, "1 major, 0 minor since the last audit")


def test_every_change_counts_for_a_site_never_approved(qa):
    site = SiteFactory()
    notified_change_save(
        change=change(site, notified_on=date(2020, 1, 1), significance=MINOR), user=qa
    )
    line = {c.factor: c for c in assess_sites([site.pk])[site.pk].breakdown}
    assert line["Changes the CMO notified"].points == 1


def test_recording_a_change_reassesses_the_sites_entry(
    approved, qa, django_capture_on_commit_callbacks
):
    entry = SiteQualification.objects.get(site=approved.site)
    before = entry.risk_points
    with django_capture_on_commit_callbacks(execute=True):
        notified_change_save(change=change(approved.site), user=qa)
    entry.refresh_from_db()
    assert entry.risk_points == before + 3
    assert entry.history.filter(history_change_reason__contains="Changes the CMO notified +3")


# ---------------------------------------------------------------- the service


def test_only_qa_and_admin_record_changes(sourcing, manager, admin_user):
    site = SiteFactory()
    for person in (sourcing, manager):
        with pytest.raises(PermissionDenied):
            notified_change_save(change=change(site), user=person)
    saved = notified_change_save(change=change(site), user=admin_user)
    assert saved.created_by == admin_user
    assert saved.history.get().history_change_reason == "Created"


def test_a_future_date_and_an_assessment_without_notes_are_refused(qa):
    site = SiteFactory()
    with pytest.raises(ValidationError) as future:
        notified_change_save(change=change(site, notified_on=date.today() + timedelta(1)), user=qa)
    assert "notified_on" in future.value.message_dict
    with pytest.raises(ValidationError) as silent:
        notified_change_save(change=change(site, assessment="accepted"), user=qa)
    assert silent.value.message_dict["assessment_notes"] == [
        "Say what the assessment concluded and why."
    ]
    assert not NotifiedChange.objects.exists()


def test_an_assessment_is_a_change_with_a_reason_kept_in_history(qa):
    saved = notified_change_save(change=change(SiteFactory()), user=qa)
    saved.assessment, saved.assessment_notes = "audit", "Verify the lyophiliser's PQ on site."
    with pytest.raises(ValidationError) as no_reason:
        notified_change_save(change=saved, user=qa)
    assert "change_reason" in no_reason.value.message_dict
    notified_change_save(change=saved, user=qa, reason="Assessed by QA")
    latest = saved.history.first()
    assert (latest.assessment, latest.history_change_reason) == ("audit", "Assessed by QA")


# ---------------------------------------------------------------- the pages


def test_qa_records_a_change_through_the_rendered_form_and_sees_it_on_the_site_page(client_for, qa):
    site = SiteFactory()
    client = client_for(qa)
    page = client.get(site.get_absolute_url()).content.decode()
    assert "No changes notified." in page
    url = reverse("qualification:notified_change_create", args=[site.pk])
    assert url in page
    form = rendered_form(client.get(url).content, url)
    assert form.fields["notified_on"] == date.today().isoformat()  # today by default
    assert form.options["significance"] == ["major", "minor"]  # no empty choice
    response = client.post(
        url,
        form.data(
            title="New API supplier for lactose",
            category="materials",
            significance="minor",
            description="Supplier change notice SCN-2026-14.",
        ),
        follow=True,
    )
    body = response.content.decode()
    assert "recorded for" in body and "New API supplier for lactose" in body
    saved = site.notified_changes.get()
    assert (saved.category, saved.significance, saved.created_by) == ("materials", "minor", qa)


def test_the_rendered_form_shows_errors_beside_the_fields(client_for, qa):
    site = SiteFactory()
    client = client_for(qa)
    url = reverse("qualification:notified_change_create", args=[site.pk])
    form = rendered_form(client.get(url).content, url)
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.post(
        url,
        form.data(
            notified_on=future,
            title="Move",
            category="facility",
            significance="major",
            assessment="accepted",
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The date is in the future." in body
    assert not NotifiedChange.objects.exists()


def test_qa_assesses_a_change_with_a_reason(client_for, qa):
    saved = notified_change_save(change=change(SiteFactory()), user=qa)
    client = client_for(qa)
    url = reverse("qualification:notified_change_edit", args=[saved.pk])
    form = rendered_form(client.get(url).content, url)
    client.post(
        url,
        form.data(
            assessment="accepted",
            assessment_notes="Equivalent equipment, qualified; no impact on the filing.",
            change_reason="QA assessment",
        ),
    )
    saved.refresh_from_db()
    assert saved.assessment == "accepted"
    page = client.get(saved.site.get_absolute_url()).content.decode()
    assert "Equivalent equipment, qualified" in page


def test_sourcing_and_managers_read_the_card_but_cannot_record(client_for, sourcing, manager, qa):
    saved = notified_change_save(change=change(SiteFactory()), user=qa)
    create = reverse("qualification:notified_change_create", args=[saved.site_id])
    edit = reverse("qualification:notified_change_edit", args=[saved.pk])
    for person in (sourcing, manager):
        client = client_for(person)
        page = client.get(saved.site.get_absolute_url()).content.decode()
        assert saved.title in page and create not in page
        assert client.get(create).status_code == 403
        assert client.post(edit, {"title": "x"}).status_code == 403


# ---------------------------------------------------------------- the API


def test_the_api_records_and_filters_changes_with_field_errors(api_for, qa, sourcing):
    site = SiteFactory()
    client = api_for(qa)
    body = {
        "site": site.pk,
        "notified_on": (date.today() - timedelta(days=1)).isoformat(),
        "title": "New CEO",
        "category": "people",
        "significance": "minor",
    }
    created = client.post("/api/v1/notified-changes/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["assessment"] == "open"
    refused = client.post(
        "/api/v1/notified-changes/", {**body, "assessment": "rejected"}, format="json"
    )
    assert refused.status_code == 400 and "assessment_notes" in refused.json()
    pk = created.json()["id"]
    no_reason = client.patch(f"/api/v1/notified-changes/{pk}/", {"title": "CEO"}, format="json")
    assert no_reason.status_code == 400 and "change_reason" in no_reason.json()
    listed = client.get("/api/v1/notified-changes/", {"site": site.pk, "significance": "minor"})
    assert [r["id"] for r in listed.json()["results"]] == [pk]
    assert client.get("/api/v1/notified-changes/", {"significance": "major"}).json()["count"] == 0
    reader = api_for(sourcing)
    assert reader.get(f"/api/v1/notified-changes/{pk}/").status_code == 200
    assert reader.post("/api/v1/notified-changes/", body, format="json").status_code == 403
