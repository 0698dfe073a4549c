"""Apply an FDA export to the database, chunk by chunk, or only count what it would do.

Rows are parsed and checked in Python first; each chunk is then planned (what is new, what
changed) and, in a commit, written in one transaction with bulk inserts and updates (history
included). Should a chunk still fail in the database, its rows are retried one by one, so one
bad row never takes its neighbours down with it and never leaves half a record behind. A
preview plans the same way and skips the write.
"""

import time
from collections.abc import Callable
from pathlib import Path

from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from vendors.fda.citations import plan_citations
from vendors.fda.context import Context, Plan, Rows, Tally
from vendors.fda.events import plan_events
from vendors.fda.formats import OPERATION_CAPABILITIES, Format, detect
from vendors.fda.records import RowError
from vendors.fda.registrations import plan_registrations, prepare_registrations
from vendors.fda.tables import open_table
from vendors.models import Capability, ImportProblem, ImportRun, ProblemReason

CHUNK_SIZE = 1000
# SQLite has one writer at a time: a chunk's transaction holds the write lock while it is
# planned and written, so smaller chunks there keep other users' saves from waiting long.
SQLITE_CHUNK_SIZE = 50


def chunk_size() -> int:
    return min(CHUNK_SIZE, SQLITE_CHUNK_SIZE) if connection.vendor == "sqlite" else CHUNK_SIZE


# A chunk refused because the database was busy is written again, never reported as bad rows.
BUSY_RETRIES = 5
BUSY_PAUSE_SECONDS = 1.0
_BUSY_WORDS = ("database is locked", "database table is locked", "lock timeout", "deadlock")


def is_busy(error: DatabaseError) -> bool:
    return isinstance(error, OperationalError) and any(w in str(error).lower() for w in _BUSY_WORDS)


Planner = Callable[[Rows, Context, Tally], Plan]
PLANNERS: dict[str, Planner] = {
    "decrs": plan_registrations,
    "inspections": plan_events,
    "citations": plan_citations,
    "compliance_actions": plan_events,
    "published_483s": plan_events,
    "recalls": plan_events,
}

# Formats whose planning needs every row first (DECRS: the rows of one FEI are merged): the
# rows are kept from the one reading of the file.
Preparer = Callable[[list, Format, dict, Context], None]
PREPARERS: dict[str, Preparer] = {"decrs": prepare_registrations}

ProgressFn = Callable[[int, int | None], None]


def import_file(
    *, run: ImportRun, path: Path, commit: bool, progress: ProgressFn | None = None
) -> tuple[Format, Tally]:
    """Read every row of the file; raises HeaderProblem or FileProblem for an unusable file.

    A commit checkpoints each chunk on the run in the chunk's own transaction; with a checkpoint
    already on the run (a commit cut short), the rows up to it are skipped and its tally taken
    up, so the resumed commit counts exactly what a single one would have.
    """
    ctx = Context(
        run=run,
        commit=commit,
        create_missing=run.create_missing,
        user=run.uploaded_by,
        capability_ids=dict(
            Capability.objects.filter(code__in=set(OPERATION_CAPABILITIES.values())).values_list(
                "code", "pk"
            )
        ),
    )
    resume = (run.checkpoint or {}) if commit else {}
    done_up_to = int(resume.get("row", 0))
    tally = Tally.from_state(resume.get("tally", {})) if resume else Tally()
    # The problems stored are those of this reading of the file: a preview's or a commit's
    # (a resumed commit keeps those of the rows it had already done).
    ImportProblem.objects.filter(run=run, row__gt=done_up_to).delete()
    with open_table(path, run.original_name) as table:
        fmt = detect(table.header)
        columns = fmt.column_map(table.header)
        planner = PLANNERS[fmt.code]
        if progress:
            progress(0, table.total)
        chunk: Rows = []
        size = chunk_size()
        seen = 0
        last = done_up_to
        rows = table.rows
        if fmt.code in PREPARERS:
            rows = list(rows)
            PREPARERS[fmt.code](rows, fmt, columns, ctx)
        for number, values in rows:
            seen += 1
            if number <= done_up_to:
                continue
            last = number
            row = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
            try:
                chunk.append((number, fmt.parse(row)))
            except RowError as error:
                tally.error(
                    number, str(error), reason=error.reason, field=error.field, value=error.value
                )
            if len(chunk) >= size:
                _apply_chunk(planner, chunk, ctx, tally, up_to=last)
                chunk = []
                if progress:
                    progress(seen, table.total)
        if chunk:
            _apply_chunk(planner, chunk, ctx, tally, up_to=last)
        elif commit and last > done_up_to:  # the file ends with rows that had errors
            _checkpoint(run, tally, up_to=last, problems=tally.problems)
            tally.problems = []
        if not commit:
            _store_problems(run, tally.problems)
            tally.problems = []
        if progress:
            progress(seen, seen)
    return fmt, tally


def _apply_chunk(planner: Planner, chunk: Rows, ctx: Context, tally: Tally, *, up_to: int) -> None:
    """Plan a chunk of rows; in a commit write it, checkpointed at file row `up_to`."""
    if not ctx.commit:
        local = Tally()
        planner(chunk, ctx, local).remember(ctx.preview)
        tally.add(local)
        _store_problems(ctx.run, tally.problems)
        tally.problems = []
        return
    for attempt in range(BUSY_RETRIES + 1):
        error = _write(planner, chunk, ctx, tally, up_to=up_to)
        if error is None:
            return
        if not is_busy(error) or attempt == BUSY_RETRIES:
            break
        # The database was busy (SQLite still locked past its timeout, a PostgreSQL lock
        # wait): nothing of the chunk was written, so wait and write it again whole.
        time.sleep(BUSY_PAUSE_SECONDS * (attempt + 1))
    for index, item in enumerate(chunk):  # the chunk failed in the database: find the row(s)
        row_up_to = up_to if index == len(chunk) - 1 else item[0]
        error = _write(planner, [item], ctx, tally, up_to=row_up_to)
        if error is not None:
            tally.error(
                item[0],
                f"could not be saved: {error}",
                reason=ProblemReason.NOT_SAVED,
                value=str(error),
            )
            _checkpoint(ctx.run, tally, up_to=row_up_to, problems=tally.problems)
            tally.problems = []


def _checkpoint(run: ImportRun, tally: Tally, *, up_to: int, problems: list) -> None:
    """Record that the rows up to `up_to` are done, with their problems, in one transaction."""
    state = {"row": up_to, "tally": tally.state(up_to_row=up_to)}
    with transaction.atomic():
        _store_problems(run, problems)
        ImportRun.objects.filter(pk=run.pk).update(checkpoint=state, heartbeat_at=timezone.now())


def _store_problems(run: ImportRun, problems: list) -> None:
    if problems:
        ImportProblem.objects.bulk_create(
            [ImportProblem(run_id=run.pk, **problem) for problem in problems], batch_size=500
        )


def _write(
    planner: Planner, rows: Rows, ctx: Context, tally: Tally, *, up_to: int
) -> DatabaseError | None:
    """Plan and write rows in one transaction with the run's checkpoint; their counts join the
    tally only if it commits."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The chunks of an import need not wait for the disk one by one: the import's
                # final save (its status and counts) waits, and with it every chunk before it.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            local = Tally()
            planner(rows, ctx, local).write(ctx, local)
            after = Tally.from_state(tally.state(up_to_row=up_to))
            after.add(local)
            _checkpoint(ctx.run, after, up_to=up_to, problems=[*tally.problems, *local.problems])
    except DatabaseError as error:
        return error
    tally.add(local)
    tally.problems = []
    return None
