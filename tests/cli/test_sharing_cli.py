"""The sharing commands: cirx org, token, group, audit, serve, and imports contributed by an organisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from cirx import Platform, Settings
from cirx.access.policy import Principal, Role
from cirx.access.tlp import TLP2_MARKINGS
from cirx.errors import Unauthenticated
from cirx.model.incident import make_incident
from tests.cli.cli_helpers import cirx, cirx_failure, cirx_json
from tests.store import stix_samples as s


def store(db: str) -> Platform:
    return Platform(Settings(database_url=db)).init()


def principal(db: str, org: str) -> Principal:
    token, _ = store(db).organisations.create_token(org, role="reader")
    return store(db).organisations.authenticate(token)


def sees(db: str, org: str, stix_id: str) -> bool:
    return stix_id in store(db).workspace(principal(db, org)).reader.names([stix_id])


def test_org_token_and_group_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    assert "CERT-A (FR) created; default TLP:AMBER" in cirx("org", "create", "CERT-A", "--country", "France",
                                                            "--sector", "government", "--db", db)
    cirx("org", "create", "CERT-B", "--country", "DE", "--default-tlp", "green", "--db", db)
    orgs = cirx_json("org", "list", "--db", db)
    assert [(o["name"], o["country"], o["sector"], o["default_tlp"]) for o in orgs] == [
        ("CERT-A", "FR", "government", "amber"), ("CERT-B", "DE", None, "green")]
    assert "CERT-B" in cirx("org", "list", "--db", db)
    assert "already exists" in cirx_failure("org", "create", "CERT-A", "--country", "FR", "--db", db)
    assert "not an ISO 3166 country" in cirx_failure("org", "create", "X", "--country", "Atlantis", "--db", db)
    assert "unknown TLP level" in cirx_failure("org", "create", "Y", "--country", "FR", "--default-tlp", "pink",
                                               "--db", db)

    out = cirx("token", "create", "--org", "CERT-A", "--role", "org-admin", "--user", "alice", "--db", db)
    *details, token = out.strip().splitlines()
    assert token.startswith("cirx_") and " " not in token and len(token) > 40
    assert "role: org-admin" in details and "user: alice" in details and "organisation: CERT-A" in details
    assert f"prefix: {token[:12]}" in details
    found = store(db).organisations.authenticate(token)
    assert found.role is Role.ORG_ADMIN and found.org_id == store(db).organisations.get("CERT-A").id
    forever = cirx("token", "create", "--org", "CERT-B", "--expires-days", "0", "--db", db)
    assert "expires: never" in forever
    assert "unknown role" in cirx_failure("token", "create", "--org", "CERT-A", "--role", "boss", "--db", db)
    assert "no organisation" in cirx_failure("token", "create", "--org", "CERT-Z", "--db", db)
    assert "revoked 1 token(s)" in cirx("token", "revoke", token[:12], "--db", db)
    with pytest.raises(Unauthenticated, match="revoked"):
        store(db).organisations.authenticate(token)
    assert "no active token" in cirx_failure("token", "revoke", token[:12], "--db", db)

    cirx("group", "create", "EU-CSIRTs", "--member", "CERT-A", "--description", "EU CSIRTs Network", "--db", db)
    cirx("group", "add", "EU-CSIRTs", "CERT-B", "--db", db)
    groups = cirx_json("group", "list", "--db", db)
    assert [(g["name"], g["members"], g["description"]) for g in groups] == [
        ("EU-CSIRTs", ["CERT-A", "CERT-B"], "EU CSIRTs Network")]
    assert "already a member" in cirx_failure("group", "add", "EU-CSIRTs", "CERT-B", "--db", db)
    assert "no sharing group" in cirx_failure("group", "add", "Nope", "CERT-B", "--db", db)
    assert "EU-CSIRTs" in cirx("group", "list", "--db", db)


def _organisations(db: str) -> None:
    for name, country in (("CERT-A", "FR"), ("CERT-B", "DE"), ("CERT-C", "IT")):
        cirx("org", "create", name, "--country", country, "--db", db)
    cirx("group", "create", "EU-CSIRTs", "--member", "CERT-A", "--member", "CERT-C", "--db", db)


def test_import_stix_as_an_organisation_with_tlp_sharing_groups_recipients_and_anonymity(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _organisations(db)
    bundle = tmp_path / "b.json"
    bundle.write_bytes(orjson.dumps(s.bundle(s.group())))
    assert "imported" in cirx("import", "stix", str(bundle), "--org", "CERT-A", "--tlp", "amber",
                              "--share-with", "EU-CSIRTs", "--db", db)
    assert store(db).reader.get(s.GROUP)["object_marking_refs"] == [TLP2_MARKINGS["amber"]]
    assert sees(db, "CERT-C", s.GROUP) and not sees(db, "CERT-B", s.GROUP)

    red = tmp_path / "red.json"
    red.write_bytes(orjson.dumps(s.bundle(s.small_world()[1])))
    cirx("import", "stix", str(red), "--org", "CERT-A", "--tlp", "red", "--recipient", "CERT-B", "--db", db)
    assert sees(db, "CERT-B", s.TECHNIQUE) and not sees(db, "CERT-C", s.TECHNIQUE)

    secret = make_incident(source="t", external_id="1", name="Attack on Acme", modified="2024-01-01T00:00:00.000Z",
                           ir={"receiver_countries": ["FR"], "sectors": ["energy"]})
    anonymous = tmp_path / "anon.json"
    anonymous.write_bytes(orjson.dumps(s.bundle(secret)))
    report = json.loads(cirx("import", "stix", str(anonymous), "--org", "CERT-A", "--tlp", "green", "--anonymous",
                             "--json", "--db", db))
    assert report["imported"] >= 1
    stored = store(db).workspace(principal(db, "CERT-B")).reader.get(secret["id"])
    assert stored["name"] == "Anonymised incident (energy; FR)"
    assert stored["created_by_ref"] != store(db).organisations.get("CERT-A").identity_ref

    assert "need --org" in cirx_failure("import", "stix", str(bundle), "--share-with", "EU-CSIRTs", "--db", db)
    assert "need --org" in cirx_failure("import", "stix", str(bundle), "--anonymous", "--db", db)
    assert "unknown TLP level" in cirx_failure("import", "stix", str(bundle), "--tlp", "purple", "--db", db)
    assert "no sharing group" in cirx_failure("import", "stix", str(bundle), "--org", "CERT-A",
                                              "--share-with", "NATO", "--db", db)
    assert "no organisation" in cirx_failure("import", "stix", str(bundle), "--org", "CERT-Z", "--db", db)


def test_import_csv_as_an_organisation(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _organisations(db)
    (tmp_path / "rows.csv").write_text("Ticket,Title,Victim\nINC-1,Ministry defacement,EE\n", encoding="utf-8")
    mapping: dict[str, Any] = {"source": "cert-ee", "release": "2024-06-30", "id_column": "Ticket",
                               "fields": {"name": "Title", "receiver_countries": {"column": "Victim"}}}
    (tmp_path / "mapping.json").write_text(json.dumps(mapping), encoding="utf-8")
    cirx("import", "csv", str(tmp_path / "rows.csv"), "--mapping", str(tmp_path / "mapping.json"),
         "--org", "CERT-A", "--tlp", "amber+strict", "--share-with", "EU-CSIRTs", "--db", db)
    [incident] = store(db).reader.by_type("incident")
    assert incident["object_marking_refs"] == [TLP2_MARKINGS["amber+strict"]]
    assert sees(db, "CERT-C", incident["id"]) and not sees(db, "CERT-B", incident["id"])


def test_audit_lists_events_with_organisation_names(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _organisations(db)
    bundle = tmp_path / "b.json"
    bundle.write_bytes(orjson.dumps(s.bundle(s.group())))
    cirx("import", "stix", str(bundle), "--org", "CERT-A", "--tlp", "green", "--db", db)
    store(db).audit.record(principal(db, "CERT-B"), "read", [s.GROUP])
    [event] = cirx_json("audit", "--db", db)
    assert (event["organisation"], event["action"], event["stix_id"], event["owner"]) == (
        "CERT-B", "read", s.GROUP, "CERT-A")
    assert "CERT-B" in cirx("audit", "--limit", "5", "--db", db)
    assert cirx_json("audit", "--action", "export", "--db", db) == []


def test_serve_runs_uvicorn_on_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    cirx("serve", "--host", "0.0.0.0", "--port", "8123", "--db", f"sqlite:///{tmp_path / 'c.db'}")
    [call] = calls
    assert (call["host"], call["port"]) == ("0.0.0.0", 8123)
    assert "/api/incidents" in call["app"].openapi()["paths"]
