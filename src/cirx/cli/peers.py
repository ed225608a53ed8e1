"""``cirx peer ...``: federation peers (other cirx nodes, any TAXII 2.1 server) and their sync."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from cirx.cli.common import DbOption, JsonOption, console, errors, handles_errors, platform, print_json
from cirx.federation.peers import PeerService

app = typer.Typer(help="Federation peers: other cirx nodes or TAXII 2.1 servers this node syncs with.",
                  no_args_is_help=True)


@app.command("add")
@handles_errors
def add(
    name: Annotated[str, typer.Argument(help="A name for the peer, e.g. cert-fr.")],
    url: Annotated[str, typer.Option("--url", help="The peer's TAXII 2.1 API root URL.")],
    collection: Annotated[str, typer.Option("--collection", help="The peer collection's id.")],
    token: Annotated[str, typer.Option("--token", help="The token this node presents to the peer.")],
    org: Annotated[str, typer.Option("--org", help="Local organisation that pulled objects are attributed to.")],
    direction: Annotated[str, typer.Option("--direction", help="pull, push or both.")] = "both",
    max_tlp: Annotated[str, typer.Option("--max-tlp", help="Highest TLP level ever pushed to the peer.")] = "green",
    group: Annotated[list[str] | None, typer.Option(
        "--group", help="Sharing group whose AMBER objects may go to the peer (repeat for more).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a peer with its sharing policy."""
    record = PeerService(platform(db)).add(name, url, collection, token, org=org, direction=direction,
                                           max_tlp=max_tlp, groups=tuple(group or ()))
    if as_json:
        print_json(record.as_dict())
        return
    groups = f", groups {', '.join(record.groups)}" if record.groups else ""
    console.print(f"peer [bold]{record.name}[/bold] added: {record.api_root} collection {record.collection_id}, "
                  f"{record.direction}, up to TLP:{record.max_tlp.upper()}{groups}, as {record.org}",
                  highlight=False, soft_wrap=True)


@app.command("list")
@handles_errors
def list_peers(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List peers with their cursors, last sync and last error."""
    records = PeerService(platform(db)).list()
    if as_json:
        print_json([r.as_dict() for r in records])
        return
    if not records:
        console.print("no peers; add one with: cirx peer add NAME --url ... --collection ... --token ... --org ...")
        return
    table = Table(title="peers")
    for column in ("name", "api root", "collection", "org", "direction", "max TLP", "groups",
                   "pull cursor", "push cursor", "last sync", "last error"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(r.name, r.api_root, r.collection_id, r.org or "", r.direction, r.max_tlp.upper(),
                      ", ".join(r.groups), r.pull_cursor or "", str(r.push_cursor), r.last_sync_at or "",
                      r.last_error or "")
    console.print(table)


@app.command("remove")
@handles_errors
def remove(name: Annotated[str, typer.Argument(help="The peer's name.")], db: DbOption = None) -> None:
    """Forget a peer; what was synced stays in the store."""
    PeerService(platform(db)).remove(name)
    console.print(f"peer [bold]{name}[/bold] removed", highlight=False)


@app.command("sync")
@handles_errors
def sync(
    name: Annotated[str | None, typer.Argument(help="One peer; default: every peer.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pull from and push to peers; exits 1 when any peer had an error (the others still sync)."""
    tasks: dict[tuple[str, str], TaskID] = {}
    columns = [SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:.0f} objects"),
               TimeElapsedColumn()]
    with Progress(*columns, console=errors, transient=True, disable=not errors.is_terminal) as bar:

        def advance(peer: str, phase: str, n: int) -> None:
            key = (peer, phase)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{phase} {peer}", total=None)
            bar.advance(tasks[key], n)

        reports = PeerService(platform(db)).sync(name, advance)
    if as_json:
        print_json([r.as_dict() for r in reports])
    else:
        for report in reports:
            colour = "green" if report.ok else "red"
            console.print(
                f"[{colour}]{report.peer}[/{colour}]: {report.pulled} pulled ({report.unchanged} already here), "
                f"{report.pushed} pushed, {report.skipped_by_policy} kept home by policy, "
                f"{report.skipped_from_peer} not sent back to their source", highlight=False, soft_wrap=True)
            for note in report.notes:
                console.print(f"  note: {note}", highlight=False, soft_wrap=True)
            for error in report.errors:
                errors.print(f"  [red]error:[/red] {error}", highlight=False, soft_wrap=True)
        if not reports:
            console.print("no peers to sync")
    if any(not r.ok for r in reports):
        raise typer.Exit(1)
