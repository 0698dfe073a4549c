"""Stream the rows of a CSV or XLSX file without holding the file in memory."""

import codecs
import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"
EXTENSIONS = (".csv", ".xlsx")
# FDA exports are comma-separated; Excel set to a European locale saves CSV with semicolons.
DELIMITERS = (",", ";", "\t")


class FileProblem(Exception):
    """The file cannot be read at all (not a row problem)."""


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, tuple]]  # (row number as a spreadsheet shows it, values)
    total: int | None  # data rows, an estimate for CSV files with line breaks inside fields
    encoding: str = ""
    delimiter: str = ","


def sniff_kind(path: Path, name: str) -> str:
    """'csv' or 'xlsx', checked against both the file name and the first bytes."""
    suffix = Path(name).suffix.lower()
    if suffix not in EXTENSIONS:
        raise FileProblem(f"Expected a .csv or .xlsx file, got '{suffix or name}'.")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if suffix == ".xlsx":
        if not head.startswith(XLSX_MAGIC):
            raise FileProblem("The file is named .xlsx but is not an Excel workbook.")
        return "xlsx"
    if head.startswith(XLSX_MAGIC) or b"\x00" in head:
        raise FileProblem("The file is named .csv but is not a text file.")
    return "csv"


def csv_encoding_and_lines(path: Path) -> tuple[str, int]:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, otherwise Latin-1."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    utf8 = True
    with open(path, "rb") as handle:
        first = handle.read(3)
        bom = first == codecs.BOM_UTF8
        handle.seek(0)
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    if not utf8:
        return "latin-1", lines
    return ("utf-8-sig" if bom else "utf-8"), lines


def csv_delimiter(first_line: str) -> str:
    """The separator that splits the header line into the most columns; a comma if none does."""
    columns = {d: len(next(csv.reader([first_line], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: columns[d])  # on a tie, the earlier: comma first
    return best if columns[best] > 1 else ","


def _clean_header(cells) -> list[str]:
    return [str(c).strip().lstrip("\ufeff") if c is not None else "" for c in cells]


@contextmanager
def open_table(path: Path, name: str) -> Iterator[Table]:
    """Yield a Table over the first sheet of an XLSX file or over a CSV file."""
    kind = sniff_kind(path, name)
    if kind == "xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types for a damaged file
            raise FileProblem(f"The workbook cannot be opened: {error}") from error
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header = _clean_header(next(rows, ()))
            total = (sheet.max_row - 1) if sheet.max_row else None

            def numbered():
                for number, values in enumerate(rows, start=2):
                    if any(v not in (None, "") for v in values):
                        yield number, values

            yield Table(header=header, rows=numbered(), total=total)
        finally:
            workbook.close()
        return
    encoding, lines = csv_encoding_and_lines(path)
    with open(path, encoding=encoding, newline="") as handle:
        delimiter = csv_delimiter(handle.readline())
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header = _clean_header(next(reader, []))

        def numbered_csv():
            for number, values in enumerate(reader, start=2):
                if any(v.strip() for v in values):
                    yield number, tuple(values)

        yield Table(
            header=header,
            rows=numbered_csv(),
            total=max(lines - 1, 0),
            encoding=encoding,
            delimiter=delimiter,
        )
