"""``cirx assess``, ``cirx countries profile``, ``cirx stats escalation``, ``cirx responses`` and their REST
routes, the latter under the access policy (an AMBER incident stays out of another organisation's view)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import typer
from typer.testing import CliRunner

from cirx import Platform, Settings
from cirx.api.app import create_app
from cirx.cli import incidents, norms, records
from cirx.model.incident import cirx_identity, extension_definition
from tests.analysis.test_norms_rules import ESTONIA, GRID_UA, NOTPETYA
from tests.analysis.test_norms_service import load

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def cli() -> typer.Typer:
    """The commands of this feature, mounted as cirx mounts them."""
    app = typer.Typer()
    app.command("assess")(norms.assess)
    app.add_typer(norms.responses_app, name="responses")
    app.add_typer(records.countries_app, name="countries")
    app.add_typer(incidents.stats_app, name="stats")
    return app


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli(), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cirx.db'}"
    platform = Platform(Settings(database_url=url, data_dir=tmp_path)).init()
    load(platform, NOTPETYA, GRID_UA, ESTONIA)
    platform.close()
    db = ("--db", url)
    one = json.loads(run("assess", "test:grid-ua-2015", "--json", *db))
    assert one["norms"]["gge2015-13f"]["status"] == "implicated"
    assert "international law" in run("assess", "test:grid-ua-2015", *db)
    lines = [json.loads(line) for line in run("assess", "--all", "--jsonl", *db).splitlines()]
    assert len(lines) == 3 and {"incident", "external_ids", "international_law", "response_justification",
                                "norms", "budapest"} <= set(lines[0])
    judged = json.loads(run("assess", "test:grid-ua-2015", "--set", "13f=not_implicated", "--by", "alice",
                            "--reason", "outage was caused by a storm", "--json", *db))
    assert judged["norms"]["gge2015-13f"] | {"because": []} == {"status": "not_implicated", "because": [],
                                                                 "state_conduct": True, "computed": "implicated",
                                                                 "judged_by": "alice"}
    bad = CliRunner().invoke(cli(), ["assess", "test:grid-ua-2015", "--set", "13f=not_implicated", *db])
    assert bad.exit_code == 1 and "--by" in bad.output
    profile = json.loads(run("countries", "profile", "UA", "--json", *db))
    assert profile["as_receiver"]["incidents"] == 2
    escalation = json.loads(run("stats", "escalation", "--min-rank", "4", "--json", *db))
    assert escalation["incidents"] == 3 and escalation["dyads"][0]["states"] == ["RU", "UA"]
    run("stats", "rivalries", "--out", str(tmp_path / "rivalries.parquet"), "--json", *db)
    assert pq.read_table(tmp_path / "rivalries.parquet").num_rows == 7
    run("stats", "dyad-trends", "--out", str(tmp_path / "dyads.csv"), *db)
    assert (tmp_path / "dyads.csv").read_text().startswith("initiator,receiver,incidents")
    added = json.loads(run("responses", "add", "--type", "resp-09", "--by", "bob", "--incident", "test:estonia-2007",
                           "--date", "2007-05-02", "--actor-country", "EE", "--target", "RU", "--json", *db))
    assert added["rank"] == 7
    timeline = json.loads(run("responses", "list", "--dyad", "EE-RU", "--json", *db))
    assert [r["id"] for r in timeline] == [added["id"]]
    assert "resp-15-self-defence" in run("responses", "types", "--json")


def test_rest_routes_follow_the_access_policy(tmp_path: Path) -> None:
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'cirx.db'}", data_dir=tmp_path)).init()
    orgs = platform.organisations
    orgs.create("CERT-A", country="FR")
    orgs.create("CERT-B", country="DE")
    token_a = orgs.create_token("CERT-A", role="contributor")[0]
    token_b = orgs.create_token("CERT-B", role="reader")[0]
    client = TestClient(create_app(platform))
    platform.writer.import_objects(iter([cirx_identity(), extension_definition()]), _report())

    def post(objects: list[dict[str, Any]], tlp: str) -> None:
        bundle = {"type": "bundle", "id": "bundle--6d3bd1a3-5b2a-4b0e-9a50-4d1c6a5c7e09", "objects": objects}
        response = client.post("/api/objects", params={"tlp": tlp}, content=orjson.dumps(bundle),
                               headers={"Authorization": f"Bearer {token_a}", "Content-Type": "application/json"})
        assert response.status_code == 200, response.text

    post([_plain(GRID_UA)], "green")
    post([_plain(NOTPETYA)], "amber")

    def get(token: str, url: str, **params: Any) -> Any:
        return client.get(url, params=params, headers={"Authorization": f"Bearer {token}"})

    assert get(token_a, "/api/assess/test:notpetya").status_code == 200
    assert get(token_b, "/api/assess/test:notpetya").status_code == 404
    assert get(token_b, "/api/assess/test:grid-ua-2015").json()["norms"]["gge2015-13f"]["status"] == "implicated"
    lines = get(token_b, "/api/assessments").text.splitlines()
    assert [json.loads(line)["external_ids"] for line in lines] == [["test:grid-ua-2015"]]
    assert get(token_a, "/api/countries/UA/profile").json()["as_receiver"]["incidents"] == 2
    assert get(token_b, "/api/countries/UA/profile").json()["as_receiver"]["incidents"] == 1
    assert get(token_b, "/api/escalation", min_rank=0).json()["incidents"] == 1
    assert get(token_b, "/api/rivalries").json()[0]["incidents"] == 1
    assert len(get(token_a, "/api/dyad-trends").json()) == 6
    judgement = {"subject": "13f", "status": "cannot_tell", "reason": "second look"}
    assert client.post("/api/assess/test:grid-ua-2015/judgements", json=judgement,
                       headers={"Authorization": f"Bearer {token_b}"}).status_code == 403
    response = client.post("/api/assess/test:grid-ua-2015/judgements", json=judgement,
                           headers={"Authorization": f"Bearer {token_a}"})
    assert response.status_code == 201, response.text
    assert response.json()["overrides"][0]["author"].startswith("CERT-A")
    response = client.post("/api/responses", json={"type": "resp-03", "incident": "test:notpetya"},
                           headers={"Authorization": f"Bearer {token_a}"})
    assert response.status_code == 201, response.text
    assert get(token_b, "/api/responses", incident="test:notpetya").status_code == 404
    assert get(token_a, "/api/norms").json()["versions"]["norms"] == "1.0.0"
    assert get(token_a, "/api/assess/test:grid-ua-2015", threshold="nonsense").status_code == 400
    platform.close()


def _plain(incident: dict[str, Any]) -> dict[str, Any]:
    """The incident as an organisation contributes it (no platform authorship)."""
    found = dict(incident)
    found.pop("created_by_ref")
    return found


def _report() -> Any:
    from cirx.ingest.report import ImportReport

    return ImportReport(source="test")
