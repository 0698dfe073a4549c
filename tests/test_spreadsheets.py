import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from cmoselect.spreadsheets import csv_text, guard, unguard, xlsx_append

MALICIOUS = [
    '=HYPERLINK("http://evil.example","Click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", MALICIOUS)
def test_text_that_a_spreadsheet_would_run_is_quoted(text):
    assert guard(text) == "'" + text


@pytest.mark.parametrize(
    "value", [-12, -12.5, 0, None, "", "Basel Biologics AG", "-12.5", "+3", dt.date(2026, 1, 2)]
)
def test_numbers_dates_plain_text_and_empty_cells_are_left_alone(value):
    assert guard(value) == value


@pytest.mark.parametrize("text", [*MALICIOUS, "'quoted", "'=1+1", "''", "'", "plain", "-5"])
def test_unguard_gives_back_exactly_what_was_guarded(text):
    assert unguard(guard(text)) == text


def test_csv_and_xlsx_cells_are_written_as_text():
    rows = [["Name", "Total"], ['=HYPERLINK("x")', -3.5]]
    assert csv_text(rows).splitlines()[1] == '"\'=HYPERLINK(""x"")",-3.5'

    book = Workbook()
    for row in rows:
        xlsx_append(book.active, row)
    buffer = io.BytesIO()
    book.save(buffer)
    name, total = load_workbook(buffer).active[2]
    assert (name.value, name.data_type) == ('\'=HYPERLINK("x")', "s")
    assert (total.value, total.data_type) == (-3.5, "n")
