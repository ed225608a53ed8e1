"""``cirx data ...``: download official dataset releases when online."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cirx.cli.common import JsonOption, console, handles_errors, print_json, progress_bar
from cirx.config import Settings

app = typer.Typer(help="Download official dataset releases (ATT&CK, EuRepoC, ...).", no_args_is_help=True)


@app.command("list")
@handles_errors
def list_datasets(as_json: JsonOption = False) -> None:
    """List the datasets cirx knows how to fetch."""
    from cirx.ingest.fetch import list_datasets as registry

    datasets = registry()
    if as_json:
        print_json(datasets)
        return
    table = Table(title="datasets")
    for column in ("name", "description"):
        table.add_column(column)
    for entry in datasets:
        table.add_row(str(entry.get("name")), str(entry.get("description", "")))
    console.print(table)


@app.command("fetch")
@handles_errors
def fetch(
    name: Annotated[str, typer.Argument(help="Dataset name (see cirx data list).")],
    force: Annotated[bool, typer.Option(help="Download again even if cached.")] = False,
) -> None:
    """Download, check and cache an official dataset release."""
    from cirx.ingest.fetch import fetch as do_fetch

    with progress_bar(f"fetching {name}") as advance:
        result = do_fetch(name, Settings.from_env(), progress=advance, force=force)
    console.print(str(result))
