import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from vendors.models import ImportRun
from vendors.services import import_run_create, import_run_execute


class Command(BaseCommand):
    help = (
        "Import an FDA export (DECRS establishment registrations, or a Data Dashboard export of "
        "inspections, citations, compliance actions, published 483s or recalls). The format is "
        "recognised from the header; re-importing a file changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The .csv or .xlsx file as downloaded from the FDA.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; write nothing."
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="Create a prospect CMO and site for FEI numbers that match no site.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the final summary as one JSON object."
        )

    def handle(
        self, *args, file: str, dry_run: bool, create_missing: bool, json: bool, **options
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as handle:
            try:
                run = import_run_create(
                    file=File(handle),
                    name=path.name,
                    via=ImportRun.Via.COMMAND,
                    create_missing=create_missing,
                    dry_run=dry_run,
                    start=False,
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        progress = None if json else self._progress
        run = import_run_execute(run=run, commit=not dry_run, progress=progress)
        if progress:
            sys.stderr.write("\n")
        summary = {**run.summary(), "import_id": run.pk, "dry_run": dry_run}
        if dry_run:
            summary["sites_created"] = run.preview.get("sites_created", 0)
        if json:
            self.stdout.write(_json_dumps(summary))
        else:
            self._print(run, summary)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message)

    def _progress(self, done: int, total: int | None) -> None:
        if total:
            sys.stderr.write(f"\r{done:>8,} / {total:,} rows ({min(100, 100 * done // total)}%)")
        else:
            sys.stderr.write(f"\r{done:>8,} rows")
        sys.stderr.flush()

    def _print(self, run: ImportRun, summary: dict) -> None:
        if run.status == ImportRun.Status.FAILED:
            return
        verb = "Would import" if summary["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {run.get_format_display()}: {summary['created']} created, "
            f"{summary['updated']} updated, {summary['unchanged']} unchanged, "
            f"{summary['skipped']} skipped."
        )
        for error in run.errors[:20]:
            self.stdout.write(f"  row {error['row']}: {error['message']}")
        if run.error_count > 20:
            self.stdout.write(f"  … and {run.error_count - 20} more row errors (import {run.pk}).")


def _json_dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
