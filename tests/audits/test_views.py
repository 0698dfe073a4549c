import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audits.models import Audit, Severity
from tests.factories import make_audit, make_checklist, raise_finding

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_audits(n, version):
    audits = [make_audit(version=version, status=Audit.Status.IN_PROGRESS) for _ in range(n)]
    for audit in audits:
        raise_finding(audit, audit.lead_auditor, Severity.MAJOR)
    return audits


@pytest.mark.parametrize(
    "url",
    [reverse("audits:audit_list"), reverse("audits:dashboard"), reverse("audits:template_list")],
)
def test_list_pages_cost_the_same_queries_for_few_and_many_rows(client_for, manager, url):
    client = client_for(manager)
    version = make_checklist()
    add_audits(2, version)
    few = queries_for(client, url)
    add_audits(8, version)
    make_checklist()
    assert queries_for(client, url) == few


def test_the_audit_list_filters_by_status_and_search(client_for, sourcing):
    version = make_checklist()
    planned = make_audit(version=version)
    running = make_audit(version=version, status=Audit.Status.IN_PROGRESS)
    client = client_for(sourcing)
    page = client.get(reverse("audits:audit_list"), {"status": "in_progress"}).context["page"]
    assert list(page.object_list) == [running]
    page = client.get(reverse("audits:audit_list"), {"q": planned.site.name}).context["page"]
    assert list(page.object_list) == [planned]


def test_qa_plans_starts_and_submits_an_audit(client_for, qa, django_capture_on_commit_callbacks):
    from tests.factories import SiteFactory

    version = make_checklist()
    site = SiteFactory()
    client = client_for(qa)
    response = client.post(
        reverse("audits:audit_create"),
        {
            "site": site.pk,
            "template_version": version.pk,
            "audit_type": "qualification",
            "planned_start": "2026-04-01",
            "planned_end": "2026-03-30",
            "lead_auditor": qa.pk,
            "scope": "Sterile filling",
        },
    )
    assert "cannot end before it starts" in response.content.decode()
    response = client.post(
        reverse("audits:audit_create"),
        {
            "site": site.pk,
            "template_version": version.pk,
            "audit_type": "qualification",
            "planned_start": "2026-04-01",
            "planned_end": "2026-04-02",
            "lead_auditor": qa.pk,
            "scope": "Sterile filling",
        },
    )
    audit = Audit.objects.get()
    assert response.url == audit.get_absolute_url() and audit.answers.count() == 5
    client.post(reverse("audits:audit_status", args=[audit.pk]), {"status": "in_progress"})
    client.post(
        reverse("audits:audit_status", args=[audit.pk]),
        {"status": "in_review", "justification": "Remote audit: the laboratory was not seen."},
    )
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_REVIEW
    response = client.post(
        reverse("audits:audit_status", args=[audit.pk]), {"status": "in_progress"}, follow=True
    )
    assert "Give a reason" in response.content.decode()
    assert [h.history_change_reason for h in audit.history.order_by("history_date")] == [
        "Planned",
        "Status: In progress",
        "Status: In review",
    ]


def test_the_detail_page_shows_score_findings_and_the_sign_dialog(client_for, qa, reviewer):
    audit = make_audit(lead=qa, status=Audit.Status.IN_REVIEW)
    page = client_for(reviewer).get(audit.get_absolute_url()).content.decode()
    assert "Recommendation" in page and 'id="sign-dialog"' in page and "Approve or reject" in page


def test_the_lead_auditor_and_team_see_why_they_cannot_sign(client_for, qa, reviewer, admin_user):
    audit = make_audit(lead=qa, status=Audit.Status.IN_REVIEW)
    audit.team.set([admin_user])
    for user in (qa, admin_user):
        page = client_for(user).get(audit.get_absolute_url()).content.decode()
        assert "cannot sign their own audit" in page
        assert 'id="sign-dialog"' not in page and "Approve or reject" not in page
        page = client_for(user).get(reverse("audits:audit_sign", args=[audit.pk])).content
        assert "another QA person signs it" in page.decode() and b'name="password"' not in page


def test_the_detail_page_and_the_queryset_list_findings_by_severity_then_number(client_for, qa):
    audit = make_audit(lead=qa, status=Audit.Status.IN_PROGRESS)
    for severity in (Severity.OBSERVATION, Severity.MINOR, Severity.CRITICAL, Severity.MAJOR):
        raise_finding(audit, qa, severity, title=f"Finding graded {severity}")
    raise_finding(audit, qa, Severity.MINOR, title="Second minor")
    assert [(f.severity, f.number) for f in audit.findings.by_severity()] == [
        ("critical", 3),
        ("major", 4),
        ("minor", 2),
        ("minor", 5),
        ("observation", 1),
    ]
    page = client_for(qa).get(audit.get_absolute_url()).content.decode()
    titles = ["critical", "major", "minor"]
    positions = [page.index(f"Finding graded {s}") for s in titles]
    assert positions == sorted(positions)
    assert page.index("Finding graded minor") < page.index("Second minor")
    assert page.index("Second minor") < page.index("Finding graded observation")


def test_the_audit_list_counts_only_findings_still_needing_action(client_for, sourcing):
    from audits.models import Capa

    audit = make_audit(status=Audit.Status.IN_PROGRESS)
    for severity in (Severity.MAJOR, Severity.MINOR, Severity.OBSERVATION):
        raise_finding(audit, audit.lead_auditor, severity)
    Capa.objects.filter(finding__severity=Severity.MINOR).update(status=Capa.Status.CLOSED)
    html = client_for(sourcing).get(reverse("audits:audit_list")).content.decode()
    assert '<td class="num">3 (1)</td>' in html


def test_a_finding_is_raised_only_against_an_answer_of_its_own_audit(client_for, qa):
    version = make_checklist()
    audit = make_audit(version=version, status=Audit.Status.IN_PROGRESS)
    other = make_audit(version=version, status=Audit.Status.IN_PROGRESS)
    url = reverse("audits:finding_create", args=[audit.pk])
    client = client_for(qa)
    own = audit.answers.select_related("question").first()
    response = client.get(url, {"answer": own.pk})
    assert response.status_code == 200 and response.context["answer"] == own
    assert client.get(url, {"answer": other.answers.first().pk}).status_code == 404


def test_the_audit_form_takes_its_type_and_scope_from_the_link_and_ignores_an_unknown_type(
    client_for, qa
):
    from tests.factories import SiteFactory
    from tests.html_forms import rendered_form

    site = SiteFactory()
    client = client_for(qa)
    url = reverse("audits:audit_create")
    query = {"site": site.pk, "type": "for_cause", "scope": "Sterile filling after the recall"}
    fields = rendered_form(client.get(url, query).content, url).fields
    assert fields["site"] == str(site.pk) and fields["audit_type"] == "for_cause"
    assert fields["scope"] == "Sterile filling after the recall"
    fields = rendered_form(client.get(url, {"type": "bogus"}).content, url).fields
    assert fields["audit_type"] == "qualification"
