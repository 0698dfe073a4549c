"""The audit-trail review page (EU GMP Annex 11 §9): every history entry across regulated
records, newest first, filtered, paginated and exported as CSV, for QA and Admin only."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Severity
from cmoselect.audit_trail import TrailFilters, trail_page
from cmoselect.history import save_with_history
from tests.audits.test_decisions import raise_finding
from tests.factories import CmoFactory, SiteFactory, make_audit
from tests.html_forms import form_with
from vendors.models import Cmo, QualificationStatus
from vendors.services import cmo_change_status, site_change_status

pytestmark = pytest.mark.django_db
URL = reverse("audit_trail")
CSV_URL = reverse("audit_trail_csv")


def rename(cmo, user, name, reason):
    cmo.legal_name = name
    return save_with_history(cmo, user=user, reason=reason)


@pytest.fixture
def trail(sourcing, qa):
    """A CMO renamed by sourcing, moved by QA, and an audit finding raised by QA."""
    cmo = save_with_history(CmoFactory.build(legal_name="Basel Biologics"), user=sourcing)
    rename(cmo, sourcing, "Basel Biologics AG", "Legal name from the registry extract")
    cmo_change_status(
        cmo=cmo, status=QualificationStatus.UNDER_EVALUATION, user=qa, reason="Audit planned"
    )
    audit = make_audit(site=SiteFactory(cmo=cmo), lead=qa, status="in_progress")
    finding = raise_finding(audit, qa, Severity.MAJOR)
    return {"cmo": Cmo.objects.get(pk=cmo.pk), "audit": audit, "finding": finding}


def rows_of(html: str) -> list[str]:
    body = html.split('<table class="data striped" id="trail">')[1].split("</table>")[0]
    return [row.split("</tr>")[0] for row in body.split("<tr>")[2:]]


@pytest.mark.parametrize("persona", ["qa", "admin_user"])
def test_qa_and_admin_review_the_trail_from_the_navigation(client_for, request, persona, trail):
    client = client_for(request.getfixturevalue(persona))
    home = client.get("/").content.decode()
    assert f'href="{URL}"' in home and ">Audit trail</a>" in home
    response = client.get(URL)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["sourcing", "manager", "outsider"])
def test_other_roles_get_the_403_page_and_no_link(client_for, request, persona, trail):
    client = client_for(request.getfixturevalue(persona))
    assert f'href="{URL}"' not in client.get("/").content.decode()
    for url in (URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 403
        assert "Log out" in response.content.decode()


def test_entries_are_newest_first_with_who_type_record_changes_and_reason(
    client_for, qa, sourcing, trail
):
    html = client_for(qa).get(URL).content.decode()
    rows = rows_of(html)
    # The finding (and its CAPA) came last, the CMO's creation first.
    assert "Finding" in rows[0] or "CAPA" in rows[0]
    rename_row = next(r for r in rows if "Legal name from the registry extract" in r)
    assert sourcing.get_full_name() in rename_row
    assert "CMO" in rename_row
    assert f'href="{trail["cmo"].get_absolute_url()}"' in rename_row
    assert "<del>Basel Biologics</del> → <ins>Basel Biologics AG</ins>" in rename_row
    status_row = next(r for r in rows if "Qualification status change" in r)
    assert "<del>Prospect</del> → <ins>Under evaluation</ins>" in status_row
    assert "Audit planned" in status_row and qa.get_full_name() in status_row
    finding = trail["finding"]
    finding_row = next(r for r in rows if "Raised" in r)
    assert f'href="{finding.get_absolute_url()}"' in finding_row and "Finding" in finding_row
    whens = [r.split("<td>")[1].split("</td>")[0] for r in rows]
    assert whens == sorted(whens, reverse=True)


def test_the_filters_narrow_by_user_record_type_date_and_reason(client_for, qa, sourcing, trail):
    client = client_for(qa)
    form = form_with(client.get(URL).content.decode(), "record_type")
    assert "vendors.cmo" in form.options["record_type"]
    by_sourcing = client.get(URL, form.data(user=str(sourcing.pk))).content.decode()
    assert all(sourcing.get_full_name() in row for row in rows_of(by_sourcing))
    assert len(rows_of(by_sourcing)) == 2
    statuses = client.get(URL, form.data(record_type="vendors.statuschange")).content.decode()
    assert len(rows_of(statuses)) == 1 and "Audit planned" in rows_of(statuses)[0]
    reason = client.get(URL, form.data(reason="REGISTRY extract")).content.decode()
    assert len(rows_of(reason)) == 1
    today = timezone.localdate()
    in_range = client.get(URL, form.data(date_from=str(today), date_to=str(today)))
    assert len(rows_of(in_range.content.decode())) == len(rows_of(client.get(URL).content.decode()))
    past = client.get(URL, form.data(date_to=str(today - timedelta(days=1)))).content.decode()
    assert "No entries match these filters." in past


def test_a_reversed_date_range_is_refused_beside_the_field(client_for, qa, trail):
    today = timezone.localdate()
    html = (
        client_for(qa)
        .get(URL, {"date_from": str(today), "date_to": str(today - timedelta(days=3))})
        .content.decode()
    )
    field = html.split('id="field-date_to"')[1].split("</div>")[0]
    assert "The end date is before the start date." in field


def test_an_empty_trail_says_so(client_for, qa):
    html = client_for(qa).get(URL).content.decode()
    assert "No entries yet." in html


def test_pages_are_of_fifty_and_link_older_and_newer(client_for, qa, sourcing):
    cmo = save_with_history(CmoFactory.build(legal_name="Name 0"), user=sourcing)
    for n in range(1, 60):
        rename(cmo, sourcing, f"Name {n}", f"Rename {n}")
    client = client_for(qa)
    first = client.get(URL, {"record_type": "vendors.cmo"}).content.decode()
    assert len(rows_of(first)) == 50 and "Rename 59" in rows_of(first)[0]
    assert "page=2" in first and "Older →" in first and "← Newer" not in first
    second = client.get(URL, {"record_type": "vendors.cmo", "page": "2"}).content.decode()
    assert len(rows_of(second)) == 10 and "Created" in rows_of(second)[-1]
    assert "← Newer" in second and "Older →" not in second


def test_the_page_costs_the_same_queries_for_few_entries_as_for_many(client_for, qa, sourcing):
    client = client_for(qa)

    def add_cmos(start: int, count: int) -> None:
        for n in range(start, start + count):
            cmo = save_with_history(CmoFactory.build(legal_name=f"CMO {n}"), user=sourcing)
            rename(cmo, sourcing, f"CMO {n} Ltd", "Legal form")
            cmo_change_status(
                cmo=cmo, status=QualificationStatus.UNDER_EVALUATION, user=qa, reason="Listed"
            )
            # A site's status change names the site with its CMO's name: no query a row.
            site_change_status(
                site=SiteFactory(cmo=cmo),
                status=QualificationStatus.UNDER_EVALUATION,
                user=qa,
                reason="Listed",
            )

    def queries(**filters) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, filters).status_code == 200
        return len(captured)

    add_cmos(0, 2)
    few, few_filtered = queries(), queries(record_type="vendors.cmo")
    add_cmos(2, 40)
    assert queries() == few
    assert queries(record_type="vendors.cmo") == few_filtered
    assert queries(page="2") == few


def test_the_csv_export_holds_the_filtered_entries(client_for, qa, sourcing, trail):
    response = client_for(qa).get(CSV_URL, {"user": str(sourcing.pk)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="audit-trail-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "When (UTC)",
        "Who",
        "Record type",
        "Action",
        "Record",
        "Link",
        "Changes",
        "Reason",
    ]
    assert len(rows) == 3
    renamed = rows[1]
    assert renamed[1] == sourcing.get_full_name() and renamed[2] == "CMO"
    assert renamed[3] == "Changed" and renamed[4] == "Basel Biologics AG"
    assert renamed[5].endswith(trail["cmo"].get_absolute_url())
    assert "legal name: Basel Biologics → Basel Biologics AG" in renamed[6]
    assert renamed[7] == "Legal name from the registry extract"
    assert rows[2][3] == "Created"


def test_the_page_link_exports_what_the_page_shows(client_for, qa, trail):
    html = client_for(qa).get(URL, {"record_type": "vendors.statuschange"}).content.decode()
    assert f'href="{CSV_URL}?record_type=vendors.statuschange"' in html


def test_every_history_table_and_the_signed_records_are_record_types():
    from cmoselect.audit_trail import record_types

    keys = {key for key, _ in record_types()}
    assert {
        "vendors.cmo",
        "vendors.site",
        "audits.answer",
        "audits.capa",
        "contracts.contract",
        "scoring.evaluation",
        "vendors.statuschange",
        "audits.signature",
        "scoring.decision",
    } <= keys


def test_a_record_whose_page_needs_its_parent_links_to_the_parent_without_a_query(trail, qa):
    capa = trail["finding"].capa
    entries, _ = trail_page(TrailFilters(record_type="audits.capa"))
    assert entries[0].url == capa.get_absolute_url()
    answers, _ = trail_page(TrailFilters(record_type="audits.answer"), size=1)
    assert answers == [] or answers[0].url == trail["audit"].get_absolute_url()
