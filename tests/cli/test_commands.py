"""The CLI contract on small data: exit codes, JSON shapes, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from tests.cli.cli_helpers import cirx, cirx_failure, cirx_json
from tests.store import stix_samples as s


def test_import_show_and_export_round_trip(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    bundle = tmp_path / "b.json"
    bundle.write_bytes(orjson.dumps(s.bundle(*s.small_world())))
    assert "7 imported" in cirx("import", "stix", str(bundle), "--db", db)
    assert "0 imported, 7 unchanged" in cirx("import", "stix", str(bundle), "--db", db)
    assert cirx_json("actors", "show", "fancy bear", "--db", db)["aliases"] == ["APT28", "Fancy Bear", "Sofacy"]
    cirx("export", "stix", "--out", str(tmp_path / "out.json"), "--db", db)
    assert len(json.loads((tmp_path / "out.json").read_text())["objects"]) == 7


def test_a_rejected_import_exits_non_zero_and_names_object_and_property(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    bundle = tmp_path / "bad.json"
    bundle.write_bytes(orjson.dumps(s.bundle(s.group(created_by_ref="identity--bad"))))
    stderr = cirx_failure("import", "stix", str(bundle), "--db", db)
    assert s.GROUP in stderr and "created_by_ref" in stderr and "nothing imported" in stderr
    assert cirx_json("stats", "dyads", "--db", db) == []


def test_missing_file_and_bad_database_url_are_clean_errors(tmp_path: Path) -> None:
    assert "no such file" in cirx_failure("import", "stix", str(tmp_path / "nope.json"), "--db",
                                          f"sqlite:///{tmp_path / 'c.db'}")
    assert "only sqlite:// and postgresql://" in cirx_failure("stats", "dyads", "--db", "mysql://x/y")
    assert "no incident" in cirx_failure("incidents", "show", "eurepoc:999999", "--db",
                                         f"sqlite:///{tmp_path / 'c.db'}")


def test_stats_dyads_json_contract(tmp_path: Path) -> None:
    from cirx.model.incident import make_incident

    db = f"sqlite:///{tmp_path / 'c.db'}"
    objects = [
        make_incident(source="t", external_id=str(i), name=f"i{i}", modified="2024-01-01T00:00:00.000Z",
                      ir={"initiator_countries": ini, "receiver_countries": rec, "start_date": "2020-01-01"})
        for i, (ini, rec) in enumerate([(["RU"], ["UA"]), (["RU"], ["UA", "GE"]), ([], ["UA"])])
    ]
    bundle = tmp_path / "i.json"
    bundle.write_bytes(orjson.dumps(s.bundle(*objects)))
    cirx("import", "stix", str(bundle), "--db", db)
    assert cirx_json("stats", "dyads", "--db", db) == [
        {"initiator": "RU", "receiver": "UA", "incidents": 2},
        {"initiator": None, "receiver": "UA", "incidents": 1},
        {"initiator": "RU", "receiver": "GE", "incidents": 1},
    ]
    assert cirx_json("stats", "timeline", "--db", db) == [{"year": 2020, "incidents": 3}]
    assert len(cirx_json("incidents", "list", "--receiver", "Ukraine", "--db", db)) == 3
