"""The ``cirx`` command line: thin commands over :class:`cirx.Platform` services."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cirx.cli import attribution as attribution_cli
from cirx.cli import data, evaluation, extract, imports, incidents, norms, peers, records, serve, sharing
from cirx.cli.common import (
    DbOption,
    JsonOption,
    console,
    handles_errors,
    platform,
    print_json,
    print_report,
    progress_bar,
)
from cirx.ingest.fetch import cached_release

app = typer.Typer(help="cirx: the open platform for international cyber-security cooperation.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(imports.app, name="import")
app.add_typer(data.app, name="data")
app.add_typer(incidents.app, name="incidents")
app.add_typer(incidents.stats_app, name="stats")
app.add_typer(records.actors_app, name="actors")
app.add_typer(records.countries_app, name="countries")
app.add_typer(records.export_app, name="export")
app.add_typer(sharing.org_app, name="org")
app.add_typer(sharing.token_app, name="token")
app.add_typer(sharing.group_app, name="group")
app.command("audit")(sharing.show_audit)
app.command("serve")(serve.serve)
app.add_typer(peers.app, name="peer")
app.command("assess")(norms.assess)
app.add_typer(norms.responses_app, name="responses")
app.add_typer(extract.app, name="extract")
app.add_typer(extract.drafts_app, name="drafts")
app.add_typer(evaluation.app, name="eval")
app.command("attribute")(attribution_cli.attribute)
evaluation.app.command("attribution")(attribution_cli.eval_attribution)


@app.command("init")
@handles_errors
def init(
    db: DbOption = None,
    knowledge: Annotated[bool, typer.Option(help="Load the offline knowledge base too.")] = True,
    attack: Annotated[Path | None, typer.Option(
        help="Also import this ATT&CK Enterprise release (STIX bundle) into the knowledge base; default: "
             "the release `cirx data fetch attack` left in the data directory, if any.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create (or upgrade) the store and load the offline knowledge base; prints a summary."""
    started = time.perf_counter()
    cirx = platform(db)
    if knowledge:
        with progress_bar("loading the knowledge base") as advance:
            report = cirx.imports.knowledge_base(advance)
        if not as_json:
            print_report(report)
        release = attack or cached_release("attack", cirx.settings)
        if release is not None:
            with progress_bar(f"importing {release.name}") as advance:
                reports = cirx.imports.stix(release, advance)
            if not as_json:
                for report in reports:
                    print_report(report)
    counts = cirx.reader.count_by_type()
    knowledge_counts = cirx.reader.knowledge_counts()
    elapsed = time.perf_counter() - started
    if as_json:
        print_json({"store": cirx.settings.resolved_database_url, "objects": counts,
                    "knowledge": knowledge_counts, "seconds": round(elapsed, 2)})
        return
    table = Table(title=f"store {cirx.settings.resolved_database_url}")
    table.add_column("type")
    table.add_column("objects", justify="right")
    for stix_type, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        table.add_row(stix_type, str(count))
    console.print(table)
    console.print(
        f"{knowledge_counts['actors']} threat actors ({knowledge_counts['misp_threat_actors']} from the MISP "
        f"threat-actor galaxy), {knowledge_counts['attack_groups']} ATT&CK groups "
        f"({knowledge_counts['attack_groups_with_techniques']} with technique links), "
        f"{knowledge_counts['countries']} countries", highlight=False)
    console.print(f"ready in {elapsed:.1f} s; try: cirx actors show 'Fancy Bear', cirx countries show UA",
                  highlight=False)


def main() -> None:
    """Entry point of the ``cirx`` script."""
    app()
