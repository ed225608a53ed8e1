"""``cirx org password`` (hidden prompt or stdin) and ``cirx serve`` announcing the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cirx import Platform, Settings
from cirx.cli import app
from cirx.errors import Unauthenticated
from tests.cli.cli_helpers import cirx, cirx_failure

PASSWORD = "a long enough passphrase"


def test_org_password_prompts_twice_with_hidden_input(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cirx("org", "create", "CERT-EE", "--country", "EE", "--db", db)
    result = CliRunner().invoke(app, ["org", "password", "CERT-EE", "kadri", "--role", "org-admin", "--db", db],
                                input=f"{PASSWORD}\n{PASSWORD}\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input: never echoed
    assert "password set for kadri of CERT-EE (role org-admin)" in result.stdout
    platform = Platform(Settings(database_url=db)).init()
    assert platform.organisations.check_password("CERT-EE", "kadri", PASSWORD).role == "org-admin"
    mismatch = CliRunner().invoke(app, ["org", "password", "CERT-EE", "kadri", "--db", db],
                                  input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output


def test_org_password_from_stdin_and_its_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cirx("org", "create", "CERT-EE", "--country", "EE", "--db", db)
    result = CliRunner().invoke(app, ["org", "password", "CERT-EE", "mari", "--password-stdin", "--db", db],
                                input=f"{PASSWORD}\n", catch_exceptions=False)
    assert result.exit_code == 0 and "(role reader)" in result.stdout
    platform = Platform(Settings(database_url=db)).init()
    platform.organisations.check_password("CERT-EE", "mari", PASSWORD)
    with pytest.raises(Unauthenticated):
        platform.organisations.check_password("CERT-EE", "mari", PASSWORD + "x")
    short = CliRunner().invoke(app, ["org", "password", "CERT-EE", "mari", "--password-stdin", "--db", db],
                               input="short\n")
    assert short.exit_code == 1 and "password: at least 12 characters" in short.stderr
    assert "no organisation" in cirx_failure("org", "password", "CERT-XX", "mari", "--password-stdin", "--db", db)


@pytest.mark.parametrize(("flags", "env", "expected"), [
    ([], {}, False), (["--anonymous-read"], {}, True), ([], {"CIRX_ANONYMOUS_READ": "1"}, True),
    (["--no-anonymous-read"], {"CIRX_ANONYMOUS_READ": "1"}, False),
])
def test_serve_announces_the_workspace_and_sets_anonymous_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flags: list[str], env: dict[str, str],
        expected: bool) -> None:
    import uvicorn

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    result = CliRunner().invoke(app, ["serve", "--port", "8123", "--db", f"sqlite:///{tmp_path / 'c.db'}", *flags],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [call] = calls
    assert "serving the workspace at http://127.0.0.1:8123/" in result.stderr
    platform = call["app"].state.platform
    assert platform.settings.anonymous_read is expected
    assert "/api/incidents" in call["app"].openapi()["paths"]  # REST and TAXII stay where they were
    from fastapi.testclient import TestClient

    client = TestClient(call["app"])
    assert client.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"}).status_code in (200, 401)
    assert client.get("/sharing").status_code == 200
