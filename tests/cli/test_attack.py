"""Acceptance: the ATT&CK v18.1 bundle through the CLI (import, re-import, export, validate)."""

from __future__ import annotations

import json
from pathlib import Path

import ijson
import pytest
from stix2validator import ValidationOptions, validate_file

from tests.cli.cli_helpers import cirx, cirx_json
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def attack_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    bundle = shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json")
    db = f"sqlite:///{tmp_path_factory.mktemp('attack') / 'cirx.db'}"
    report = cirx_json("import", "stix", str(bundle), "--db", db)
    assert report["rejected"] == []
    return db, bundle


def source_ids(bundle: Path) -> set[str]:
    with bundle.open("rb") as stream:
        return {obj["id"] for obj in ijson.items(stream, "objects.item")}


def test_every_object_is_stored_and_a_second_run_adds_none(attack_db: tuple[str, Path]) -> None:
    db, bundle = attack_db
    again = cirx_json("import", "stix", str(bundle), "--db", db)
    expected = len(source_ids(bundle))
    assert expected == 20258
    assert (again["imported"], again["unchanged"], again["read"]) == (0, expected, expected)


def test_export_is_valid_stix_and_holds_the_same_objects(attack_db: tuple[str, Path], tmp_path: Path) -> None:
    db, bundle = attack_db
    out = tmp_path / "export.json"
    cirx("export", "stix", "--out", str(out), "--db", db)
    exported = json.loads(out.read_text())
    assert {o["id"] for o in exported["objects"]} == source_ids(bundle)
    assert all(o["spec_version"] == "2.1" for o in exported["objects"])
    result = validate_file(str(out), ValidationOptions(version="2.1"))
    errors = [str(e) for o in result.object_results for e in o.errors]
    assert result.is_valid, errors[:10]


def test_actors_resolve_any_alias_with_their_techniques(attack_db: tuple[str, Path]) -> None:
    db, _ = attack_db
    for alias in ("APT28", "Fancy Bear", "Forest Blizzard", "G0007", "sofacy"):
        profile = cirx_json("actors", "show", alias, "--db", db)
        assert profile["attack_id"] == "G0007", alias
    assert len(profile["techniques"]) > 50
    assert any(t["attack_id"] == "T1566.001" for t in profile["techniques"])
    assert "Sandworm Team" in cirx("actors", "show", "ELECTRUM", "--db", db)


def test_full_text_search_finds_techniques(attack_db: tuple[str, Path]) -> None:
    from cirx import Platform, Settings

    db, _ = attack_db
    platform = Platform(Settings(database_url=db)).init()
    hits = platform.reader.search("spearphishing attachment", types=["attack-pattern"])
    assert hits[0]["name"] == "Spearphishing Attachment"
    platform.close()


def test_init_loads_an_attack_release_into_the_knowledge_base(tmp_path: Path) -> None:
    """The main job (`make demo`) passes the ATT&CK release at hand: the galaxy of pymispgalaxies 1.1.1 lags
    ATT&CK (167 groups with technique links), the release brings the knowledge base to the current groups."""
    bundle = shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json")
    db = f"sqlite:///{tmp_path / 'cirx.db'}"
    summary = cirx_json("init", "--attack", str(bundle), "--db", db)
    knowledge = summary["knowledge"]
    assert knowledge["attack_groups_with_techniques"] >= 170
    assert knowledge["misp_threat_actors"] >= 800 and knowledge["countries"] >= 240
