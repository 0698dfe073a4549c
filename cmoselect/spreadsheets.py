"""CSV and XLSX exports that a spreadsheet opens as text, never as formulas.

A CMO named ``=HYPERLINK(...)`` or a question reading ``+cmd|' /C calc'!A0`` would run as a
formula (or a DDE command) when the export is opened in Excel or LibreOffice. Every export writes
its rows through :func:`csv_text` or :func:`xlsx_append`, which guard each text cell as the OWASP
CSV-injection guidance says: a text value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote (``'``).

The same guard is used for XLSX, rather than only marking the cell as text: one rule for both
formats means a file can move between them (a CSV export opened in Excel and saved as XLSX) and
still import back the same through :func:`unguard`. A guarded XLSX cell is a plain text cell
(openpyxl only writes a formula for a string starting with ``=``).

Numbers, dates, booleans and empty cells are written unchanged, and so is text that is just a
number (``-12.5``), which a spreadsheet reads as that number. Text that already starts with a
quote is guarded too, so that :func:`unguard` gives back exactly what was exported.
"""

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _needs_guard(text: str) -> bool:
    if text.startswith(GUARD):
        return True
    return text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


def guard(value: object) -> object:
    """Return `value` as a spreadsheet will show it as text: quoted if it could be a formula."""
    if isinstance(value, str) and _needs_guard(value):
        return GUARD + value
    return value


def unguard(value: object) -> object:
    """Undo :func:`guard` on a cell read back from one of our exports."""
    if isinstance(value, str) and value.startswith(GUARD) and _needs_guard(value[1:]):
        return value[1:]
    return value


def guarded(row: Iterable) -> list:
    return [guard(value) for value in row]


def csv_text(rows: Iterable[Iterable]) -> str:
    """The rows as CSV text, every cell guarded."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(guarded(row) for row in rows)
    return buffer.getvalue()


def xlsx_append(sheet, row: Iterable) -> None:
    """Append a row to an openpyxl worksheet, every cell guarded."""
    sheet.append(guarded(row))
