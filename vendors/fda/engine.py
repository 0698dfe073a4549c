"""Apply an FDA export to the database, chunk by chunk, or only count what it would do.

Rows are parsed and checked in Python first; each chunk is then planned (what is new, what
changed) and, in a commit, written in one transaction with bulk inserts and updates (history
included). Should a chunk still fail in the database, its rows are retried one by one, so one
bad row never takes its neighbours down with it and never leaves half a record behind. A
preview plans the same way and skips the write.
"""

from collections.abc import Callable
from pathlib import Path

from django.db import DatabaseError, connection, transaction

from vendors.fda.citations import plan_citations
from vendors.fda.context import Context, Plan, Rows, Tally
from vendors.fda.events import plan_events
from vendors.fda.formats import OPERATION_CAPABILITIES, Format, detect
from vendors.fda.records import RowError
from vendors.fda.registrations import plan_registrations
from vendors.fda.tables import open_table
from vendors.models import Capability, ImportRun

CHUNK_SIZE = 1000

Planner = Callable[[Rows, Context, Tally], Plan]
PLANNERS: dict[str, Planner] = {
    "decrs": plan_registrations,
    "inspections": plan_events,
    "citations": plan_citations,
    "compliance_actions": plan_events,
    "published_483s": plan_events,
    "recalls": plan_events,
}

ProgressFn = Callable[[int, int | None], None]


def import_file(
    *, run: ImportRun, path: Path, commit: bool, progress: ProgressFn | None = None
) -> tuple[Format, Tally]:
    """Read every row of the file; raises HeaderProblem or FileProblem for an unusable file."""
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
    tally = Tally()
    with open_table(path, run.original_name) as table:
        fmt = detect(table.header)
        columns = fmt.column_map(table.header)
        planner = PLANNERS[fmt.code]
        if progress:
            progress(0, table.total)
        chunk: Rows = []
        seen = 0
        for number, values in table.rows:
            seen += 1
            row = {c: (values[i] if i < len(values) else None) for c, i in columns.items()}
            try:
                chunk.append((number, fmt.parse(row)))
            except RowError as error:
                tally.error(number, str(error))
            if len(chunk) >= CHUNK_SIZE:
                _apply_chunk(planner, chunk, ctx, tally)
                chunk = []
                if progress:
                    progress(seen, table.total)
        if chunk:
            _apply_chunk(planner, chunk, ctx, tally)
        if progress:
            progress(seen, seen)
    return fmt, tally


def _apply_chunk(planner: Planner, chunk: Rows, ctx: Context, tally: Tally) -> None:
    if not ctx.commit:
        local = Tally()
        planner(chunk, ctx, local).remember(ctx.preview)
        tally.add(local)
        return
    if _write(planner, chunk, ctx, tally) is None:
        return
    for item in chunk:  # the chunk failed in the database: find the row(s) to blame
        error = _write(planner, [item], ctx, tally)
        if error is not None:
            tally.error(item[0], f"could not be saved: {error}")


def _write(planner: Planner, rows: Rows, ctx: Context, tally: Tally) -> DatabaseError | None:
    """Plan and write rows in one transaction; their counts join the tally only if it commits."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # The chunks of an import need not wait for the disk one by one: the import's
                # final save (its status and counts) waits, and with it every chunk before it.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            local = Tally()
            planner(rows, ctx, local).write(ctx, local)
    except DatabaseError as error:
        return error
    tally.add(local)
    return None
