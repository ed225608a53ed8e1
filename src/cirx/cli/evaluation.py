"""``cirx eval ...``: evaluations of cirx's analytics on annotated data (extraction, attribution...)."""

from __future__ import annotations

import typer

from cirx.cli import extract

app = typer.Typer(help="Evaluate cirx's analytics on annotated data.", no_args_is_help=True)
app.command("extraction")(extract.eval_extraction)
