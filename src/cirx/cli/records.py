"""``cirx actors ...``, ``cirx countries ...`` and ``cirx export ...``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cirx.cli.common import DbOption, JsonOption, console, handles_errors, platform, print_json, progress_bar
from cirx.store.reader import IncidentFilter

actors_app = typer.Typer(help="Threat actors; any alias resolves.", no_args_is_help=True)
countries_app = typer.Typer(help="Countries: status and incidents both ways.", no_args_is_help=True)
export_app = typer.Typer(help="Export as a STIX bundle, CSV or Parquet.", no_args_is_help=True)


@actors_app.command("show")
@handles_errors
def show_actor(
    name: Annotated[str, typer.Argument(help="Any name or alias (APT28, Fancy Bear, Forest Blizzard, G0007).")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Show an actor's names across schemes, sponsor, techniques, software and incidents."""
    profile = platform(db).actors.profile(name)
    if as_json:
        print_json(profile)
        return
    console.print(f"[bold]{profile['name']}[/bold] {profile['attack_id'] or ''}", highlight=False)
    console.print(f"aliases: {', '.join(profile['aliases'])}", highlight=False)
    for scheme, names in (profile["names_by_scheme"] or {}).items():
        console.print(f"  {scheme}: {', '.join(names)}", highlight=False)
    console.print(f"suspected sponsor: {profile['sponsor_country'] or 'unknown'}")
    console.print(f"techniques: {len(profile['techniques'])}; software: {len(profile['software'])}; "
                  f"incidents: {len(profile['incidents'])}")


@actors_app.callback()
def _actors() -> None:
    """Threat actors; any alias resolves."""


@countries_app.command("show")
@handles_errors
def show_country(
    iso: Annotated[str, typer.Argument(help="ISO 3166-1 code (UA) or a name.")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Show a country: Budapest Convention status and incidents as initiator and receiver."""
    country = platform(db).countries.show(iso)
    if as_json:
        print_json(country)
        return
    console.print(f"[bold]{country['name']}[/bold] ({country['iso2']})")
    console.print(f"Budapest Convention: {country['budapest_convention'] or 'unknown'}")
    console.print(f"incidents as initiator: {country['incidents_as_initiator']}, "
                  f"as receiver: {country['incidents_as_receiver']}")


@countries_app.callback()
def _countries() -> None:
    """Countries: status and incidents both ways."""


@export_app.command("stix")
@handles_errors
def export_stix(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write; default stdout.")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="Only these STIX types.")] = None,
    db: DbOption = None,
) -> None:
    """Export the latest version of every object as one STIX 2.1 bundle."""
    exports = platform(db).exports
    with progress_bar("exporting") as advance:
        if out is None:
            count = exports.stix(sys.stdout.buffer, types=type_ or None, progress=advance)
        else:
            with out.open("wb") as stream:
                count = exports.stix(stream, types=type_ or None, progress=advance)
    if out is not None:
        console.print(f"{count} objects written to {out}")


@export_app.command("csv")
@handles_errors
def export_csv(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write; default stdout.")] = None,
    db: DbOption = None,
) -> None:
    """Export incidents as CSV (one row each, lists joined with ';')."""
    exports = platform(db).exports
    if out is None:
        exports.incidents_csv(sys.stdout, IncidentFilter())
        return
    with out.open("w", newline="", encoding="utf-8") as stream:
        count = exports.incidents_csv(stream, IncidentFilter())
    console.print(f"{count} incidents written to {out}")


@export_app.command("parquet")
@handles_errors
def export_parquet(
    out: Annotated[Path, typer.Option("--out", "-o", help="Parquet file to write.")],
    db: DbOption = None,
) -> None:
    """Export incidents as a Parquet file."""
    count = platform(db).exports.incidents_parquet(out, IncidentFilter())
    console.print(f"{count} incidents written to {out}")
