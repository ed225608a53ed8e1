"""``cirx incidents ...`` and ``cirx stats ...``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from cirx.cli.common import DbOption, JsonOption, console, handles_errors, platform, print_json
from cirx.model.countries import to_iso2
from cirx.model.incident import ir_properties
from cirx.services.incidents import summary_row
from cirx.store.reader import IncidentFilter

app = typer.Typer(help="List, show and search incidents.", no_args_is_help=True)
stats_app = typer.Typer(help="Statistics over incidents: dyads, timeline, types...", no_args_is_help=True)

Initiator = Annotated[str | None, typer.Option(help="Initiator state (ISO code or name).")]
Receiver = Annotated[str | None, typer.Option(help="Receiver state (ISO code or name).")]
Type = Annotated[str | None, typer.Option("--type", help="Incident type (common vocabulary, e.g. espionage).")]
Sector = Annotated[str | None, typer.Option(help="Receiver sector (e.g. energy, government).")]
Actor = Annotated[str | None, typer.Option(help="Actor name as recorded on the incident.")]
Since = Annotated[str | None, typer.Option(help="Started on or after this date (YYYY[-MM-DD]).")]
Until = Annotated[str | None, typer.Option(help="Started on or before this date (YYYY[-MM-DD]).")]
Text = Annotated[str | None, typer.Option("--text", "-q", help="Full-text search in names and descriptions.")]


def _filter(initiator: str | None, receiver: str | None, type_: str | None, sector: str | None,
            actor: str | None, since: str | None, until: str | None, text: str | None) -> IncidentFilter:
    def country(value: str | None) -> str | None:
        return (to_iso2(value) or value.upper()) if value else None

    if until and len(until) == 4:
        until = f"{until}-12-31"
    return IncidentFilter(initiator=country(initiator), receiver=country(receiver), type=type_,
                          sector=sector, actor=actor, since=since, until=until, text=text)


def _print_incidents(rows: list[dict[str, object]], total: int) -> None:
    table = Table(title=f"{len(rows)} of {total} incidents")
    for column in ("source_ids", "start_date", "name", "initiators", "receivers", "types"):
        table.add_column(column)
    for incident in rows:
        row = summary_row(incident)
        table.add_row(*(str(row[c]) for c in ("source_ids", "start_date", "name", "initiators", "receivers", "types")))
    console.print(table)


@app.command("list")
@handles_errors
def list_incidents(
    initiator: Initiator = None, receiver: Receiver = None, type_: Type = None, sector: Sector = None,
    actor: Actor = None, since: Since = None, until: Until = None, text: Text = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
    offset: Annotated[int, typer.Option(help="How many to skip.")] = 0,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """List incidents, newest first, with filters."""
    where = _filter(initiator, receiver, type_, sector, actor, since, until, text)
    service = platform(db).incidents
    rows = service.list(where, limit=limit, offset=offset)
    if as_json:
        print_json(rows)
    else:
        _print_incidents(rows, service.count(where))


@app.command("search")
@handles_errors
def search_incidents(
    query: Annotated[str, typer.Argument(help="Words to find in names, aliases and descriptions.")],
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Full-text search over incidents."""
    where = IncidentFilter(text=query)
    service = platform(db).incidents
    rows = service.list(where, limit=limit)
    if as_json:
        print_json(rows)
    else:
        _print_incidents(rows, service.count(where))


@app.command("show")
@handles_errors
def show_incident(
    reference: Annotated[str, typer.Argument(help="STIX id or SOURCE:ID, e.g. eurepoc:947.")],
    db: DbOption = None, as_json: JsonOption = False,
) -> None:
    """Show one incident with its IR properties and related objects."""
    service = platform(db).incidents
    incident = service.show(reference)
    if as_json:
        print_json({"incident": incident, "related": service.related(incident["id"])})
        return
    ir = ir_properties(incident)
    console.print(f"[bold]{incident.get('name')}[/bold]  ({incident['id']})")
    if incident.get("description"):
        console.print(incident["description"], highlight=False)
    for key, value in ir.items():
        if key not in ("extension_type", "original_values") and value:
            console.print(f"[cyan]{key}[/cyan]: {value}", highlight=False)


def _stats_command(kind: str, help_text: str) -> None:
    @stats_app.command(kind, help=help_text)
    @handles_errors
    def command(
        initiator: Initiator = None, receiver: Receiver = None, type_: Type = None, sector: Sector = None,
        actor: Actor = None, since: Since = None, until: Until = None, text: Text = None,
        db: DbOption = None, as_json: JsonOption = False,
    ) -> None:
        where = _filter(initiator, receiver, type_, sector, actor, since, until, text)
        rows = platform(db).incidents.stats(kind, where)
        if as_json:
            print_json(rows)
            return
        table = Table(title=f"incidents: {kind}")
        for column in rows[0].keys() if rows else ["(none)"]:
            table.add_column(column)
        for row in rows:
            table.add_row(*("?" if v is None else str(v) for v in row.values()))
        console.print(table)


_stats_command("dyads", "Incidents per (initiator, receiver) pair; unknown parties are null.")
_stats_command("timeline", "Incidents per start year.")
_stats_command("types", "Incidents per incident type.")
_stats_command("sectors", "Incidents per receiver sector.")
_stats_command("initiators", "Incidents per initiator state.")
_stats_command("receivers", "Incidents per receiver state.")
