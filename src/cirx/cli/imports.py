"""``cirx import ...``: STIX bundles, the knowledge base, IR datasets, CSV/XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cirx.cli.common import DbOption, JsonOption, handles_errors, platform, print_report, progress_bar

app = typer.Typer(help="Import STIX bundles, the offline knowledge base and IR datasets.", no_args_is_help=True)


@app.command("stix")
@handles_errors
def import_stix(
    source: Annotated[str, typer.Argument(help="A bundle file, a directory of .json bundles, or - for stdin.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import STIX 2.0/2.1 bundles (2.0 is upgraded); each file all-or-nothing."""
    with progress_bar(f"importing {source}") as advance:
        reports = platform(db).imports.stix(source, advance)
    for report in reports:
        print_report(report, as_json)


@app.command("galaxy")
@handles_errors
def import_galaxy(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Load the offline knowledge base (MISP galaxies and taxonomies from registry packages)."""
    with progress_bar("loading the knowledge base") as advance:
        report = platform(db).imports.knowledge_base(advance)
    print_report(report, as_json)


def _dataset_command(name: str, what: str) -> None:
    @app.command(name, help=f"Import {what} from its file or folder; all-or-nothing, re-runs add nothing.")
    @handles_errors
    def command(
        path: Annotated[Path, typer.Argument(help="The dataset's file or folder.")],
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        with progress_bar(f"importing {name}") as advance:
            report = platform(db).imports.dataset(name, path, advance)
        print_report(report, as_json)


_dataset_command("eurepoc", "the European Repository of Cyber Incidents (EuRepoC)")
_dataset_command("cfr", "the CFR Cyber Operations Tracker")
_dataset_command("dcid", "the Dyadic Cyber Incident and Dispute Dataset (DCID 2.0)")


@app.command("csv")
@handles_errors
def import_csv(
    path: Annotated[Path, typer.Argument(help="A CSV or XLSX file.")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="Mapping file: columns to fields, value maps.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a CSV/XLSX file of incidents, driven by a mapping file."""
    with progress_bar(f"importing {path.name}") as advance:
        report = platform(db).imports.rows(path, mapping, advance)
    print_report(report, as_json)
