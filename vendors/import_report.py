"""An import's row problems grouped by reason for its report, a page of one group, and the CSV.

A real export can skip thousands of rows for one reason: the report counts each reason and
shows a page of rows at a time, never the thousands at once.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.http import QueryDict

from vendors.models import ImportProblem, ImportRun
from vendors.models.imports import problem_label

ROWS_SHOWN = 50  # rows of a group shown at a time


@dataclass
class ProblemGroup:
    """The problems of one reason (and column), with the rows of its page `number`."""

    reason: str
    field: str
    count: int
    number: int = 1
    rows: list[ImportProblem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return problem_label(self.reason, self.field)

    @property
    def first_row(self) -> int:
        return (self.number - 1) * ROWS_SHOWN + 1

    @property
    def last_row(self) -> int:
        return min(self.count, self.number * ROWS_SHOWN)

    @property
    def has_next(self) -> bool:
        return self.last_row < self.count

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def query(self, number: int) -> str:
        params = QueryDict(mutable=True)
        params.update({"reason": self.reason, "field": self.field, "page": str(number)})
        return params.urlencode()

    @property
    def next_query(self) -> str:
        return self.query(self.number + 1)

    @property
    def previous_query(self) -> str:
        return self.query(self.number - 1)


def problem_counts(run: ImportRun) -> list[ProblemGroup]:
    """The run's problems counted by reason and column, the most frequent first (one query)."""
    counts = (
        ImportProblem.objects.filter(run=run)
        .values("reason", "field")
        .annotate(count=Count("pk"))
        .order_by("-count", "reason", "field")
    )
    return [ProblemGroup(reason=c["reason"], field=c["field"], count=c["count"]) for c in counts]


def problem_groups(run: ImportRun) -> list[ProblemGroup]:
    """The groups with the first rows of each: two queries however many problems there are."""
    groups = problem_counts(run)
    if not groups:
        return groups
    by_key = {(g.reason, g.field): g for g in groups}
    first = (
        ImportProblem.objects.filter(run=run)
        .annotate(
            number=Window(
                RowNumber(),
                partition_by=[F("reason"), F("field")],
                order_by=[F("row").asc(), F("pk").asc()],
            )
        )
        .filter(number__lte=ROWS_SHOWN)
        .order_by("row", "pk")
    )
    for problem in first:
        by_key[(problem.reason, problem.field)].rows.append(problem)
    return groups


def problem_group_page(run: ImportRun, *, reason: str, field: str, number: int) -> ProblemGroup:
    """Page `number` of one group (the last page for a number past it)."""
    problems = ImportProblem.objects.filter(run=run, reason=reason, field=field)
    count = problems.count()
    last = max(1, -(-count // ROWS_SHOWN))
    number = min(max(1, number), last)
    start = (number - 1) * ROWS_SHOWN
    rows = list(problems.order_by("row", "pk")[start : start + ROWS_SHOWN])
    return ProblemGroup(reason=reason, field=field, count=count, number=number, rows=rows)


CSV_HEADER = ["row", "reason", "field", "value", "message"]


def problem_lines(run: ImportRun) -> Iterator[list]:
    """Every problem of the run as CSV lines, the header first, in file order."""
    yield CSV_HEADER
    problems = ImportProblem.objects.filter(run=run).order_by("row", "pk")
    for row, reason, column, value, message in problems.values_list(
        "row", "reason", "field", "value", "message"
    ).iterator(chunk_size=2000):
        yield [row, problem_label(reason, column), column, value, message]
