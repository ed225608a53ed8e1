"""Running ``cirx`` commands in-process for tests."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from cirx.cli import app

runner = CliRunner()


def cirx(*args: str, expect: int = 0) -> str:
    """Run a cirx command; assert its exit code; return stdout."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == expect, f"cirx {' '.join(args)} -> {result.exit_code}\n{result.output}\n{result.stderr}"
    return result.stdout


def cirx_failure(*args: str) -> str:
    """Run a cirx command that must fail; return what it printed on stderr."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code != 0, result.output
    return result.stderr


def cirx_json(*args: str) -> Any:
    """Run a cirx command with --json and parse its output."""
    return json.loads(cirx(*args, "--json"))
