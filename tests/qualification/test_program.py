"""Events pull the due date in, alerts go out once, the pages and the API answer by role."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from qualification.models import SiteQualification
from qualification.services import qualification_reassess, requalification_alerts_send
from tests.factories import RegulatoryEventFactory, SiteFactory
from tests.html_forms import rendered_form
from tests.qualification.conftest import approve
from vendors.models import Notification

pytestmark = pytest.mark.django_db


def test_a_warning_letter_after_the_audit_raises_the_risk_pulls_the_date_in_and_tells_qa(
    approved, qa
):
    entry = SiteQualification.objects.get(site=approved.site)
    before = entry.valid_until
    letter = RegulatoryEventFactory(
        site=approved.site, kind="warning_letter", event_date=date.today() - timedelta(days=2)
    )
    qualification_reassess(site_ids=[approved.site_id])
    entry.refresh_from_db()
    assert entry.risk_class == "high" and entry.cause_event == letter
    assert entry.valid_until == letter.event_date + timedelta(days=90) < before
    notice = Notification.objects.get(recipient=qa, key__startswith="for-cause:")
    assert "For-cause audit proposed" in notice.subject
    qualification_reassess(site_ids=[approved.site_id])
    assert Notification.objects.filter(recipient=qa, key__startswith="for-cause:").count() == 1


def test_a_new_approved_audit_resets_the_due_date(
    approved, qa, reviewer, django_capture_on_commit_callbacks
):
    first = SiteQualification.objects.get(site=approved.site).valid_until
    later = approved.planned_end + timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        again = approve(approved.site, qa, reviewer, end=later)
    entry = SiteQualification.objects.get(site=approved.site)
    assert entry.audit == again and entry.last_audit_end == later
    assert entry.valid_until == first + timedelta(days=40) or entry.valid_until > first


def test_qa_is_alerted_90_30_and_7_days_before_and_when_overdue_each_once(approved, qa):
    due = SiteQualification.objects.get(site=approved.site).valid_until
    sent = []
    for days in (100, 90, 60, 30, 29, 7, 3, -1, -20):
        notices = requalification_alerts_send(on=due - timedelta(days=days))
        sent += [n.subject for n in notices if n.recipient == qa]
    assert sent == [
        f"Requalification due in 90 days: {approved.site.name}",
        f"Requalification due in 30 days: {approved.site.name}",
        f"Requalification due in 7 days: {approved.site.name}",
        f"Requalification overdue: {approved.site.name}",
    ]


def test_qa_overrides_the_risk_class_with_a_reason_and_the_interval_follows(
    approved, client_for, qa
):
    entry = SiteQualification.objects.get(site=approved.site)
    client = client_for(qa)
    url = reverse("qualification:risk_override", args=[entry.pk])
    form = rendered_form(client.get(url).content, url)
    response = client.post(url, form.data(risk_class="high", reason=""))
    assert "Say why the risk class is overridden" in response.content.decode()
    client.post(url, form.data(risk_class="high", reason="Sterile line rebuilt"))
    entry.refresh_from_db()
    assert entry.risk_class == "high" and entry.risk_override_reason == "Sterile line rebuilt"
    assert entry.valid_until == date(
        entry.last_audit_end.year + 1, entry.last_audit_end.month, entry.last_audit_end.day
    )
    assert entry.history.filter(history_change_reason__contains="Sterile line rebuilt").exists()


def test_who_may_see_the_program_and_the_list(approved, client_for, sourcing, qa, manager):
    program, asl = reverse("qualification:program"), reverse("qualification:asl")
    assert client_for(sourcing).get(program).status_code == 403
    assert client_for(sourcing).get(asl).status_code == 200
    assert client_for(manager).get(program).status_code == 200
    page = client_for(qa).get(program).content.decode()
    assert approved.site.name in page and "Plan audit" in page
    assert "Plan audit" not in client_for(manager).get(program).content.decode()


def test_plan_audit_opens_the_audit_form_prefilled(approved, client_for, qa):
    client = client_for(qa)
    entry = SiteQualification.objects.get(site=approved.site)
    from qualification.views import plan_audit_url
    from vendors.models import Capability

    entry.capabilities.set(Capability.objects.filter(category="services")[:2])

    url = plan_audit_url(entry)
    form = rendered_form(client.get(url).content, reverse("audits:audit_create"))
    fields = form.fields
    assert fields["site"] == str(approved.site_id)
    assert fields["audit_type"] == "requalification"
    assert fields["scope"].startswith("Requalification audit of the approved scope")
    scope = {str(c.pk) for c in entry.capabilities.all()}
    assert scope and set(form.fields.get("capabilities", [])) == scope


def _more_sites(qa, reviewer, n, capture):
    for i in range(n):
        with capture(execute=True):
            approve(SiteFactory(), qa, reviewer, end=date.today() - timedelta(days=30 * i))


@pytest.mark.parametrize("name", ["qualification:program", "qualification:asl"])
def test_the_pages_cost_the_same_queries_for_few_and_many_sites(
    name, approved, client_for, qa, reviewer, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(qa)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name)).status_code == 200
    _more_sites(qa, reviewer, 3, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name)).status_code == 200
    assert len(many) == len(few)


def test_the_list_filters_and_exports(approved, client_for, sourcing):
    entry = SiteQualification.objects.get(site=approved.site)
    client = client_for(sourcing)
    url = reverse("qualification:asl")
    assert client.get(url, {"risk": entry.risk_class}).context["page"].paginator.count == 1
    assert client.get(url, {"status": "suspended"}).context["page"].paginator.count == 0
    assert client.get(url, {"due": "overdue"}).context["page"].paginator.count == 0
    assert (
        client.get(url, {"country": approved.site.country.code}).context["page"].paginator.count
        == 1
    )
    assert client.get(url, {"product": "no such product"}).context["page"].paginator.count == 0
    csv = client.get(url, {"export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert approved.site.name in csv.content.decode() and approved.reference in csv.content.decode()
    xlsx = client.get(url, {"export": "xlsx", "risk": "high"})
    assert xlsx["Content-Disposition"].endswith('.xlsx"')


def test_the_api_lists_edits_and_overrides_by_role(approved, api_for, sourcing, qa):
    entry = SiteQualification.objects.get(site=approved.site)
    reader = api_for(sourcing)
    listed = reader.get("/api/v1/qualifications/", {"ordering": "due"})
    assert listed.status_code == 200 and listed.json()["results"][0]["id"] == entry.pk
    assert reader.get(f"/api/v1/qualifications/{entry.pk}/risk/").json()["risk_class"]
    refused = reader.patch(f"/api/v1/qualifications/{entry.pk}/", {"status": "suspended"})
    assert refused.status_code == 403
    writer = api_for(qa)
    missing = writer.patch(f"/api/v1/qualifications/{entry.pk}/", {"status": "suspended"})
    assert missing.status_code == 400 and "change_reason" in missing.json()
    done = writer.patch(
        f"/api/v1/qualifications/{entry.pk}/",
        {"status": "suspended", "change_reason": "CAPAs ignored"},
    )
    assert done.status_code == 200 and done.json()["status"] == "suspended"
    bad = writer.post(f"/api/v1/qualifications/{entry.pk}/risk-override/", {"risk_class": "x"})
    assert bad.status_code == 400
    ok = writer.post(
        f"/api/v1/qualifications/{entry.pk}/risk-override/",
        {"risk_class": "low", "reason": "Audit history"},
    )
    assert ok.status_code == 200 and ok.json()["risk_class"] == "low"


def test_an_oai_inspection_entered_on_the_site_reaches_the_list_through_the_event_announcement(
    approved, qa, django_capture_on_commit_callbacks
):
    from vendors.models import RegulatoryEvent
    from vendors.services import regulatory_event_save

    event = RegulatoryEvent(
        site=approved.site,
        kind="inspection",
        classification="oai",
        event_date=date.today() - timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        regulatory_event_save(event=event, user=qa, reason="FDA letter received")
    entry = SiteQualification.objects.get(site=approved.site)
    assert entry.risk_class == "high" and entry.cause_event_id == event.pk
    assert entry.valid_until == event.event_date + timedelta(days=90)


def test_a_site_suspended_in_the_directory_is_suspended_on_the_list(approved, manager):
    from vendors.services import site_change_status

    site = approved.site
    site.refresh_from_db()
    if site.qualification_status != "approved":
        type(site).objects.filter(pk=site.pk).update(qualification_status="approved")
        site.refresh_from_db()
    site_change_status(site=site, status="suspended", user=manager, reason="Recall under review")
    qualification_reassess(site_ids=[site.pk])
    entry = SiteQualification.objects.get(site=site)
    assert entry.status == "suspended"
    assert entry.history.filter(history_change_reason__contains="suspended in the directory")


def test_the_api_gives_the_program_months_to_qa_and_managers_only(approved, api_for, sourcing, qa):
    assert api_for(sourcing).get("/api/v1/qualifications/months/").status_code == 403
    months = api_for(qa).get("/api/v1/qualifications/months/").json()
    assert len(months) == 12 and all(m["count"] == len(m["sites"]) for m in months)


def test_the_api_list_costs_the_same_queries_for_few_and_many_sites(
    approved, api_for, qa, reviewer, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(qa)
    client.get("/api/v1/qualifications/")  # the first request of a token also records its use
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/qualifications/").status_code == 200
    _more_sites(qa, reviewer, 2, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/qualifications/").json()["results"]) == 3
    assert len(many) == len(few)


def test_beat_runs_the_daily_review_which_reassesses_and_alerts_once(approved, qa, settings):
    from cmoselect.celery import app
    from qualification.tasks import review_program

    task = settings.CELERY_BEAT_SCHEDULE["qualification-daily-review"]["task"]
    assert task == review_program.name and task in app.tasks
    # One month for every class: the audit that ended ten days ago is due in about 20 days.
    settings.REQUALIFICATION_INTERVAL_MONTHS = {"high": 1, "medium": 1, "low": 1}
    review_program.delay()
    review_program.delay()
    entry = SiteQualification.objects.get(site=approved.site)
    assert 0 < entry.days_to_due() <= 30
    alerts = Notification.objects.filter(recipient=qa, key__startswith="requalification:")
    assert [a.key.rsplit(":", 1)[1] for a in alerts] == ["30"]


@pytest.mark.parametrize(
    ("persona", "entry", "target"),
    [
        ("qa", "Qualification", "qualification:program"),
        ("manager", "Qualification", "qualification:program"),
        ("sourcing", "ASL", "qualification:asl"),
    ],
)
def test_the_menu_has_one_entry_for_the_program_and_the_list(
    client_for, request, persona, entry, target
):
    html = client_for(request.getfixturevalue(persona)).get(reverse("home")).content.decode()
    menu = html[html.index('<nav class="container-fluid">') : html.index("</nav>")]
    assert f'<a href="{reverse(target)}" >{entry}</a>' in menu
    assert menu.count('href="/qualification/') == 1


def test_the_calendar_counts_every_site_due_in_a_month_and_names_the_first_eight(
    client_for, qa, django_assert_num_queries
):
    from qualification.schedule import months_ahead

    today = date.today()
    month = (today.replace(day=1) + timedelta(days=40)).replace(day=1)  # next month
    later = (month + timedelta(days=100)).replace(day=1)
    for index in range(11):
        SiteQualification.objects.create(
            site=SiteFactory(name=f"Site {10 - index:02d}"),
            status="approved",
            valid_until=month + timedelta(days=index % 3),
        )
    SiteQualification.objects.create(
        site=SiteFactory(name="Later"), status="approved", valid_until=later + timedelta(days=4)
    )
    SiteQualification.objects.create(
        site=SiteFactory(name="Withdrawn"), status="withdrawn", valid_until=month
    )
    # The counts and the names in one query, whatever the number of months with sites due.
    with django_assert_num_queries(1):
        months = months_ahead(SiteQualification.objects.in_program(), today)
    assert [m["month"] for m in months][:2] == [today.replace(day=1), month]
    due = months[1]
    assert (due["count"], due["more"]) == (11, 3)
    # Soonest first, then by name: days 0 (sites 10, 07, 04, 01), 1 (09, 06, 03, 00), 2 ...
    assert [s["name"] for s in due["sites"]] == [
        "Site 01",
        "Site 04",
        "Site 07",
        "Site 10",
        "Site 00",
        "Site 03",
        "Site 06",
        "Site 09",
    ]
    after = next(m for m in months if m["month"] == later)
    assert (after["count"], [s["name"] for s in after["sites"]]) == (1, ["Later"])
    assert all(m["count"] == 0 and m["sites"] == [] for m in months if m not in (due, after))
    page = client_for(qa).get(reverse("qualification:program")).content.decode()
    assert "and 3 more" in page and "Withdrawn" not in page


def test_the_program_counts_overdue_and_soon_due_sites_and_every_qualified_one(client_for, qa):
    today = date.today()
    for name, days, status in [
        ("Overdue", -3, "approved"),
        ("Soon", 30, "conditionally_approved"),
        ("Day ninety", 90, "approved"),
        ("Later", 200, "suspended"),
        ("Gone", -10, "disqualified"),
    ]:
        SiteQualification.objects.create(
            site=SiteFactory(name=name), status=status, valid_until=today + timedelta(days=days)
        )
    response = client_for(qa).get(reverse("qualification:program"))
    page = response.content.decode()
    assert '<p id="overdue-count">1</p>' in page
    assert '<p id="due-soon-count">2</p>' in page
    assert response.context["page"].paginator.count == 4
    assert "Gone" not in page
