"""What every command shares: the ``--db`` option, the platform, errors, output."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from cirx.config import Settings
from cirx.errors import CirxError, ImportRejected
from cirx.ingest.report import ImportReport
from cirx.platform import Platform

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL (sqlite:///path or postgresql://...); default: CIRX_DATABASE_URL or SQLite in the data directory."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

console = Console()
errors = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def platform(db: str | None) -> Platform:
    """The platform for a command, with its store migrated."""
    return Platform(Settings.from_env(database_url=db)).init()


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a CirxError into a clean message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ImportRejected as exc:
            errors.print(f"[red]error:[/red] {exc.source}: {len(exc.rejected)} rejected, nothing imported",
                         soft_wrap=True)
            for rejection in exc.rejected[:50]:
                errors.print(f"  - {rejection}", markup=False, highlight=False, soft_wrap=True)
            if len(exc.rejected) > 50:
                errors.print(f"  ... and {len(exc.rejected) - 50} more")
            raise typer.Exit(1) from exc
        except CirxError as exc:
            errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from exc

    return wrapper


def print_json(data: Any) -> None:
    """Print data as JSON on stdout (no colour, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@contextlib.contextmanager
def progress_bar(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr; yields ``advance(n)``."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def print_report(report: ImportReport, as_json: bool = False) -> None:
    """Print what an import did."""
    if as_json:
        print_json(report.as_dict())
        return
    console.print(
        f"[bold]{report.source}[/bold]: {report.imported} imported, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected (of {report.read} read)", highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"  note: {note}", highlight=False, soft_wrap=True)
