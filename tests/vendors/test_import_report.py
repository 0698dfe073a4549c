"""An import's report groups its row problems by reason, pages each group, and downloads them."""

import csv
import importlib
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import ImportRunFactory
from vendors.import_report import ROWS_SHOWN, problem_groups
from vendors.models import ImportProblem, ImportRun, ProblemReason

FDA = Path(__file__).resolve().parent.parent / "fixtures" / "fda"
pytestmark = pytest.mark.django_db

BLANK_FEIS, BAD_DATES, GOOD = 900, 300, 300


def many_problems() -> bytes:
    """The real compliance actions sample 50 times over: 900 rows with a blank FEI, 300 whose
    action date is not a date, 300 good ones."""
    header, *rows = (FDA / "compliance_actions_drug_bio_sample.csv").read_text().splitlines()
    lines = [header]
    for k in range(BLANK_FEIS + BAD_DATES + GOOD):
        cells = next(csv.reader([rows[k % len(rows)]]))
        if k % 5 < 3:
            cells[0] = "0000000000"
        elif k % 5 == 3:
            cells[5] = "16th of July"
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(cells)
        lines.append(buffer.getvalue())
    return "\n".join(lines).encode()


@pytest.fixture
def run(client_for, manager, django_capture_on_commit_callbacks) -> ImportRun:
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("vendors:import_list"),
            {"file": SimpleUploadedFile("compliance_actions.csv", many_problems())},
        )
    return ImportRun.objects.get()


def test_problems_are_grouped_by_reason_most_frequent_first(run):
    assert run.status == ImportRun.Status.PREVIEWED
    assert run.error_count == BLANK_FEIS + BAD_DATES == ImportProblem.objects.count()
    groups = problem_groups(run)
    assert [(g.label, g.count) for g in groups] == [
        ("FEI Number is blank or all zeros", BLANK_FEIS),
        ("Action Taken Date is not a date", BAD_DATES),
    ]
    assert [len(g.rows) for g in groups] == [ROWS_SHOWN, ROWS_SHOWN]
    dates = groups[1]
    assert dates.reason == ProblemReason.NOT_A_DATE and dates.field == "Action Taken Date"
    assert dates.rows[0].row == 5 and dates.rows[0].value == "16th of July"  # file rows from 2
    assert [p.row for p in dates.rows] == sorted(p.row for p in dates.rows)


def test_the_page_shows_groups_and_a_bounded_number_of_rows(
    run, client_for, manager, django_assert_max_num_queries
):
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        html = client.get(run.get_absolute_url()).content.decode()
    report = html[html.index('id="row-errors"') :]
    assert html.count('<details class="problem-group">') == 2
    assert f"FEI Number is blank or all zeros — {BLANK_FEIS} rows" in report
    assert f"Action Taken Date is not a date — {BAD_DATES} rows" in report
    assert report.count('<tr><td class="num">') == 2 * ROWS_SHOWN
    assert f"Rows 1–{ROWS_SHOWN} of {BLANK_FEIS}" in report
    assert len(html) < 80_000  # 1,200 problems; every row listed would be several times that
    assert "Download problems (CSV)" in html


def test_a_group_pages_through_its_rows(run, client_for, manager, django_assert_max_num_queries):
    client = client_for(manager)
    html = client.get(run.get_absolute_url()).content.decode()
    next_link = re.search(r'hx-get="([^"]*reason=not_a_date[^"]*page=2)"', html)
    assert next_link, "the dates group links to its next rows"
    url = next_link.group(1).replace("&amp;", "&")
    with django_assert_max_num_queries(8):
        fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    rows = [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', fragment)]
    expected = [p.row for p in ImportProblem.objects.filter(reason="not_a_date").order_by("row")]
    assert rows == expected[ROWS_SHOWN : 2 * ROWS_SHOWN]
    assert f"Rows {ROWS_SHOWN + 1}–{2 * ROWS_SHOWN} of {BAD_DATES}" in fragment
    # Without htmx the same link is a page of its own; a page past the last shows the last.
    page = client.get(url.replace("page=2", "page=99")).content.decode()
    assert "<html" in page and f"Rows 251–{BAD_DATES} of {BAD_DATES}" in page


def test_the_csv_has_every_problem_row(run, client_for, qa):
    response = client_for(qa).get(reverse("vendors:import_problems_csv", args=[run.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert f"import-{run.pk}-problems.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == ["row", "reason", "field", "value", "message"]
    assert len(lines) - 1 == BLANK_FEIS + BAD_DATES  # more than the run's first few errors
    by_row = {int(line[0]): line for line in lines[1:]}
    assert by_row[2] == [
        "2",
        "FEI Number is blank or all zeros",
        "FEI Number",
        "0000000000",
        "FEI Number is blank or all zeros",
    ]
    assert by_row[5][1:4] == [
        "Action Taken Date is not a date",
        "Action Taken Date",
        "16th of July",
    ]
    assert "is not a date (expected MM/DD/YYYY or YYYY-MM-DD)" in by_row[5][4]


def test_a_commit_replaces_the_preview_problems_with_its_own(run, client_for, manager):
    from vendors.services import import_run_execute

    run.status = ImportRun.Status.COMMITTING
    run.save(update_fields=["status"])
    import_run_execute(run=run, commit=True)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert ImportProblem.objects.filter(run=run).count() == run.error_count == 1200


def test_the_api_gives_the_grouped_summary(run, api_for, qa):
    data = api_for(qa).get(f"/api/v1/imports/{run.pk}/").json()
    assert data["problem_groups"] == [
        {
            "reason": "fei_blank",
            "field": "FEI Number",
            "label": "FEI Number is blank or all zeros",
            "count": BLANK_FEIS,
        },
        {
            "reason": "not_a_date",
            "field": "Action Taken Date",
            "label": "Action Taken Date is not a date",
            "count": BAD_DATES,
        },
    ]
    assert len(data["errors"]) == 500  # the first rows only, as before
    listed = api_for(qa).get("/api/v1/imports/").json()
    assert "problem_groups" not in listed["results"][0]


def test_the_migration_groups_the_errors_earlier_imports_kept():
    from django.apps import apps

    old = ImportRunFactory(
        error_count=4,
        errors=[
            {"row": 3, "message": "FEI Number is blank or all zeros"},
            {"row": 4, "message": "Record Date '31/31/2020' is not a date (expected MM/DD/YYYY)"},
            {"row": 7, "message": "Action Type 'Call' is not one of: injunction, seizure"},
            {"row": 9, "message": "FEI matches no site"},
        ],
    )
    migration = importlib.import_module("vendors.migrations.0012_import_problems")
    migration.problems_of_earlier_imports(apps, None)
    found = {
        p.row: (p.reason, p.field, p.value, p.label) for p in ImportProblem.objects.filter(run=old)
    }
    assert found == {
        3: ("fei_blank", "FEI Number", "", "FEI Number is blank or all zeros"),
        4: ("not_a_date", "Record Date", "31/31/2020", "Record Date is not a date"),
        7: ("unknown_value", "Action Type", "Call", "Action Type is not one of the known values"),
        9: ("fei_unmatched", "FEI Number", "", "FEI matches no site"),
    }
