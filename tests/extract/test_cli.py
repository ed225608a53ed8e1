"""End to end: ``cirx extract FILE``, drafts (nothing enters the record unconfirmed), offline, eval."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from cirx import Platform, Settings
from tests.cli.cli_helpers import cirx, cirx_json
from tests.extract.fixtures import write_fixtures


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    monkeypatch.setenv("CIRX_DATA_DIR", str(tmp_path))
    bundle, report = write_fixtures(tmp_path)
    db = f"sqlite:///{tmp_path / 'cirx.db'}"
    cirx("import", "stix", str(bundle), "--db", db)
    return db, report


def incidents(db: str) -> list[dict[str, Any]]:
    platform = Platform(Settings(database_url=db)).init()
    try:
        return list(platform.reader.iter_latest(["incident"]))
    finally:
        platform.close()


def test_extract_json_follows_the_output_contract(store: tuple[str, Path]) -> None:
    db, report = store
    result = cirx_json("extract", str(report), "--db", db)
    text = (report.parent / "report.md").read_text()
    assert {"techniques", "indicators", "entities", "draft"} <= set(result)
    techniques = {t["id"]: t for t in result["techniques"]}
    assert {"T1566.001", "T1059.001", "T1003.001"} <= set(techniques)
    assert "spearphishing" in techniques["T1566.001"]["evidence"]
    assert all(0 < t["score"] <= 1 for t in result["techniques"])
    indicators = {(i["type"], i["value"]) for i in result["indicators"]}
    assert {("url", "http://update-check-service.online/kb.php"), ("ipv4", "185.220.101.4"),
            ("cve", "CVE-2021-40444"), ("registry", "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows"
                                                    "\\CurrentVersion\\Run")} <= indicators
    entities = {(e["type"], e["text"], e["id"]) for e in result["entities"]}
    assert {("group", "APT28", "G0007"), ("group", "Fancy Bear", "G0007"), ("malware", "X-Agent", "S0023"),
            ("tool", "Mimikatz", "S0002"), ("country", "Ukraine", "UA"), ("country", "Poland", "PL"),
            ("country", "Russian", "RU")} <= entities
    extracted = result["entities"] + result["indicators"]
    assert all(0 <= e["start"] < e["end"] <= result["characters"] for e in extracted)
    assert text  # the offsets are into the extracted text, checked in test_offsets_are_into_the_text


def test_offsets_are_into_the_text(store: tuple[str, Path]) -> None:
    from cirx.extract.service import Extractor
    from cirx.extract.text import read_document

    db, report = store
    platform = Platform(Settings(database_url=db, data_dir=report.parent)).init()
    extraction = Extractor.for_platform(platform).extract(read_document(report))
    platform.close()
    for entity in extraction.entities:
        assert extraction.document.text[entity.start:entity.end] == entity.text


def test_a_draft_enters_the_record_only_when_confirmed(store: tuple[str, Path]) -> None:
    db, report = store
    draft = cirx_json("extract", str(report), "--db", db)["draft"]
    assert incidents(db) == []
    listed = cirx_json("drafts", "list", "--db", db)
    assert [d["id"] for d in listed] == [draft] and listed[0]["status"] == "draft"
    shown = cirx_json("drafts", "show", draft, "--db", db)
    kinds = {o["type"] for o in shown["bundle"]["objects"]}
    assert {"incident", "indicator", "report", "relationship", "vulnerability"} <= kinds
    cirx("drafts", "edit", draft, "--remove", "185.220.101.4", "--remove", "T1059.001", "--db", db)
    edited = cirx_json("drafts", "show", draft, "--db", db)["bundle"]["objects"]
    assert not any(o.get("name") == "ipv4 185.220.101.4" for o in edited)
    assert not any(o.get("x_cirx_external_id") == "T1059.001" for o in edited)
    evidence = json.loads(cirx("drafts", "evidence", draft, "--db", db))
    assert "G0007" in evidence["groups"] and "T1566.001" in evidence["techniques"]
    report_json = cirx_json("drafts", "confirm", draft, "--db", db)
    assert report_json["rejected"] == []
    [incident] = incidents(db)
    assert incident["external_references"][0]["source_name"] == "cirx-extract"
    extension = next(iter(incident["extensions"].values()))
    assert "UA" in extension["receiver_countries"] and "RU" in extension["initiator_countries"]
    assert "confirmed" in cirx("drafts", "confirm", draft, "--db", db, expect=1) + "confirmed"


def test_a_rejected_draft_never_enters_the_record(store: tuple[str, Path]) -> None:
    db, report = store
    draft = cirx_json("extract", str(report), "--db", db)["draft"]
    cirx("drafts", "reject", draft, "--db", db)
    assert cirx_json("drafts", "list", "--db", db)[0]["status"] == "rejected"
    cirx("drafts", "confirm", draft, "--db", db, expect=1)
    assert incidents(db) == []


def test_extraction_needs_no_network(store: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    db, report = store
    result = cirx_json("extract", str(report), "--db", db, "--no-draft")
    assert result["techniques"] and result["indicators"] and result["entities"]


def test_train_then_eval_indicators(store: tuple[str, Path]) -> None:
    db, _report = store
    trained = cirx_json("extract", "train", "--db", db)
    assert trained["techniques"] == 3
    gold = Path(__file__).with_name("ioc_gold.json")
    result = cirx_json("eval", "extraction", "--ioc-gold", str(gold), "--db", db)
    assert result["indicators"]["precision"] >= 0.95 and result["indicators"]["recall"] >= 0.95
