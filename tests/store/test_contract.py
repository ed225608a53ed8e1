"""The store contract: every test runs on SQLite and on PostgreSQL (the ``platform`` fixture)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from cirx import Platform
from cirx.errors import ImportRejected, InvalidInput, NotFound
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident
from cirx.model.stix import iter_bundle
from cirx.store.reader import IncidentFilter
from tests.store import stix_samples as s


def write_bundle(tmp_path: Path, objects: list[dict[str, Any]], name: str = "b.json",
                 spec_version: str | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(s.bundle(*objects, spec_version=spec_version)))
    return path


def import_objects(platform: Platform, objects: list[dict[str, Any]]) -> ImportReport:
    return platform.writer.import_objects(iter(objects), ImportReport(source="test"))


def test_import_stores_every_object_and_a_rerun_adds_none(platform: Platform, tmp_path: Path) -> None:
    path = write_bundle(tmp_path, s.small_world())
    [first] = platform.imports.stix(path)
    assert (first.imported, first.unchanged, first.rejected) == (7, 0, [])
    [second] = platform.imports.stix(path)
    assert (second.imported, second.unchanged) == (0, 7)
    assert platform.reader.count_versions() == 7
    assert platform.reader.get(s.GROUP)["name"] == "APT28"


def test_cyber_observables_are_stored_latest_and_read_back(platform: Platform, tmp_path: Path) -> None:
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
          "value": "198.51.100.3"}
    domain = {"type": "domain-name", "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5",
              "value": "evil.example.com", "resolves_to_refs": [ip["id"]]}  # 2.1 without spec_version
    seen = {"type": "observed-data", "spec_version": "2.1", "id": "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf",
            "created": "2024-05-01T00:00:00.000Z", "modified": "2024-05-01T00:00:00.000Z",
            "first_observed": "2024-05-01T00:00:00Z", "last_observed": "2024-05-01T00:00:00Z",
            "number_observed": 1, "object_refs": [ip["id"], domain["id"]]}
    path = write_bundle(tmp_path, [ip, domain, seen])
    [first] = platform.imports.stix(path)
    assert (first.imported, first.rejected) == (3, [])
    assert platform.reader.get(ip["id"])["value"] == "198.51.100.3"
    assert [o["value"] for o in platform.reader.get_many([domain["id"], ip["id"]])] == ["evil.example.com",
                                                                                        "198.51.100.3"]
    assert platform.reader.count_by_type() == {"ipv4-addr": 1, "domain-name": 1, "observed-data": 1}
    exported = {o["id"] for o in platform.reader.iter_latest()}
    assert {ip["id"], domain["id"], seen["id"]} <= exported
    [again] = platform.imports.stix(path)
    assert (again.imported, again.unchanged) == (0, 3)
    assert platform.reader.count_versions() == 3


def test_every_version_is_kept_and_the_newest_is_the_default(platform: Platform) -> None:
    import_objects(platform, [s.group("2024-01-01T00:00:00.000Z", description="first")])
    import_objects(platform, [s.group("2025-06-01T00:00:00.000Z", description="second")])
    # An older version arriving late is kept but does not replace the latest.
    import_objects(platform, [s.group("2023-01-01T00:00:00Z", description="older")])
    assert platform.reader.get(s.GROUP)["description"] == "second"
    assert [v["description"] for v in platform.reader.versions(s.GROUP)] == ["older", "first", "second"]
    assert platform.reader.get(s.GROUP, version="2024-01-01T00:00:00Z")["description"] == "first"
    assert platform.reader.count_by_type() == {"intrusion-set": 1}


def test_a_new_version_replaces_aliases_and_search_text(platform: Platform) -> None:
    import_objects(platform, [s.group()])
    assert platform.reader.resolve("Sofacy") == [s.GROUP]
    renamed = s.group("2025-01-01T00:00:00.000Z", aliases=["APT28", "Forest Blizzard"],
                      description="Renamed by Microsoft.")
    import_objects(platform, [renamed])
    assert platform.reader.resolve("Sofacy") == []
    assert platform.reader.resolve("forest blizzard") == [s.GROUP]
    assert [hit["id"] for hit in platform.reader.search("Microsoft")] == [s.GROUP]
    assert platform.reader.search("governments") == []


def test_relationships_and_sightings_are_queryable_both_ways(platform: Platform) -> None:
    import_objects(platform, s.small_world())
    out = platform.reader.relationships(s.GROUP, direction="out")
    assert [(e["relationship_type"], e["target_ref"]) for e in out] == [("uses", s.TECHNIQUE)]
    into = platform.reader.relationships(s.TECHNIQUE, direction="in")
    assert [e["source_ref"] for e in into] == [s.GROUP]
    sightings = platform.reader.relationships(s.INDICATOR, direction="in")
    assert [(e["kind"], e["source_ref"]) for e in sightings] == [("sighting", s.IDENTITY)]
    assert platform.reader.relationships(s.IDENTITY, direction="out")[0]["target_ref"] == s.INDICATOR


def test_names_resolve_through_aliases_and_external_ids(platform: Platform) -> None:
    import_objects(platform, s.small_world())
    for name in ("APT28", "apt 28", "Fancy Bear", "FANCY-BEAR", "G0007", s.GROUP):
        assert platform.reader.resolve(name, ["intrusion-set"]) == [s.GROUP], name
    assert platform.reader.resolve("chopstick") == [s.MALWARE]
    assert platform.actors.profile("Sofacy")["techniques"][0]["attack_id"] == "T1566.001"
    with pytest.raises(NotFound):
        platform.actors.profile("Nobody Panda")


def test_full_text_search_over_names_aliases_and_descriptions(platform: Platform) -> None:
    import_objects(platform, s.small_world())
    assert platform.reader.search("Fancy")[0]["id"] == s.GROUP
    assert platform.reader.search("GRU governments")[0]["id"] == s.GROUP
    assert {h["id"] for h in platform.reader.search("spearphishing attachment")} == {s.TECHNIQUE}
    assert platform.reader.search("attachment", types=["intrusion-set"]) == []
    assert platform.reader.search("") == []
    assert platform.reader.search('"; DROP TABLE x; --') == []


def test_stix_20_objects_are_upgraded_to_21(platform: Platform, tmp_path: Path) -> None:
    malware_20 = {"type": "malware", "id": s.MALWARE, "created": "2017-01-01T00:00:00.000Z",
                  "modified": "2017-01-01T00:00:00.000Z", "name": "X-Agent", "labels": ["backdoor"]}
    indicator_20 = {"type": "indicator", "id": s.INDICATOR, "created": "2017-01-01T00:00:00.000Z",
                    "modified": "2017-01-01T00:00:00.000Z", "labels": ["malicious-activity"],
                    "valid_from": "2017-01-01T00:00:00Z", "pattern": "[domain-name:value = 'evil.example']"}
    platform.imports.stix(write_bundle(tmp_path, [malware_20, indicator_20], spec_version="2.0"))
    malware = platform.reader.get(s.MALWARE)
    assert malware["spec_version"] == "2.1"
    assert malware["is_family"] is True and malware["malware_types"] == ["backdoor"]
    indicator = platform.reader.get(s.INDICATOR)
    assert indicator["pattern_type"] == "stix" and indicator["indicator_types"] == ["malicious-activity"]


@pytest.mark.parametrize(
    ("broken", "names"),
    [
        ({"name": 42}, (s.GROUP, "'name'", "string")),
        ({"created_by_ref": "not-an-identifier"}, (s.GROUP, "created_by_ref", "identifier")),
        ({"object_marking_refs": ["marking-definition--nope"]}, (s.GROUP, "object_marking_refs")),
        ({"spec_version": "2.2"}, (s.GROUP, "spec_version", "2.2")),
        ({"modified": "yesterday"}, (s.GROUP, "modified", "timestamp")),
        ({"aliases": "Fancy Bear"}, (s.GROUP, "aliases", "list")),
        ({"description": "x" * 300_000}, (s.GROUP, "bytes", "limit")),
    ],
)
def test_a_malformed_object_is_rejected_by_name_and_the_store_is_unchanged(
        platform: Platform, tmp_path: Path, broken: dict[str, Any], names: tuple[str, ...]) -> None:
    platform.writer._max_bytes = 200_000
    before = platform.reader.count_versions()
    objects = [*s.small_world()[1:], s.group(**broken)]
    with pytest.raises(ImportRejected) as caught:
        platform.imports.stix(write_bundle(tmp_path, objects))
    message = str(caught.value)
    for part in names:
        assert part in message
    assert "nothing imported" in message
    assert platform.reader.count_versions() == before == 0
    assert platform.reader.relationships(s.GROUP) == []


def test_a_bad_pattern_or_a_bad_reference_names_the_object(platform: Platform) -> None:
    indicator = {**s.small_world()[4], "pattern": "[ipv4-addr:value = '1.2.3.4'"}
    with pytest.raises(ImportRejected, match=r"indicator--8e2e.*'pattern'"):
        import_objects(platform, [indicator])
    relationship = {**s.small_world()[5], "target_ref": "attack-pattern--123"}
    with pytest.raises(ImportRejected, match=r"relationship--3c3c.*target_ref"):
        import_objects(platform, [relationship])
    assert platform.reader.count_versions() == 0


def test_bad_json_is_rejected_and_nothing_is_written(platform: Platform, tmp_path: Path) -> None:
    good = orjson.dumps(s.bundle(*s.small_world())).decode()
    path = tmp_path / "truncated.json"
    path.write_text(good[: len(good) - 40])
    with pytest.raises(InvalidInput, match=r"truncated\.json: bad JSON"):
        platform.imports.stix(path)
    (tmp_path / "text.json").write_text("this is not json")
    with pytest.raises(InvalidInput, match="not a STIX bundle"):
        platform.imports.stix(tmp_path / "text.json")
    (tmp_path / "objects.json").write_text('{"type": "bundle", "objects": {"type": "indicator"}}')
    with pytest.raises(InvalidInput, match=r"objects\.json: the bundle's objects must be a list"):
        platform.imports.stix(tmp_path / "objects.json")
    assert platform.reader.count_versions() == 0


def test_every_problem_is_reported_not_only_the_first(platform: Platform) -> None:
    objects = [s.group(name=1), {**s.small_world()[1], "modified": "x"}, {"type": "malware"}]
    with pytest.raises(ImportRejected) as caught:
        import_objects(platform, objects)
    assert len(caught.value.rejected) == 3
    assert caught.value.rejected[2].property == "id"


def test_export_holds_the_same_objects(platform: Platform) -> None:
    import_objects(platform, s.small_world())
    out = io.BytesIO()
    count = platform.exports.stix(out)
    exported = json.loads(out.getvalue())
    assert exported["type"] == "bundle" and count == 7
    assert sorted(o["id"] for o in exported["objects"]) == sorted(o["id"] for o in s.small_world())
    assert {o["id"]: o for o in exported["objects"]}[s.GROUP] == s.group()


def incident(key: str, initiators: list[str], receivers: list[str], **ir: Any) -> dict[str, Any]:
    return make_incident(source="test", external_id=key, name=f"Incident {key}",
                         modified="2024-01-01T00:00:00.000Z", description=f"Operation {key} against grids",
                         ir={"initiator_countries": initiators, "receiver_countries": receivers, **ir})


def test_incident_filters_and_dyads(platform: Platform) -> None:
    import_objects(platform, [
        incident("1", ["RU"], ["UA"], incident_types=["sabotage"], sectors=["energy"], start_date="2015-12-23"),
        incident("2", ["RU"], ["UA", "PL"], incident_types=["espionage"], start_date="2017-06-27"),
        incident("3", [], ["US"], incident_types=["espionage"], start_date="2020-12-13", actors=["APT29"]),
        incident("4", ["CN", "KP"], ["US"], start_date="2014-11-24"),
    ])
    reader = platform.reader
    assert reader.count_incidents(IncidentFilter()) == 4
    assert reader.count_incidents(IncidentFilter(initiator="RU", receiver="UA")) == 2
    assert reader.count_incidents(IncidentFilter(type="espionage", since="2018-01-01")) == 1
    assert reader.count_incidents(IncidentFilter(sector="energy")) == 1
    assert reader.count_incidents(IncidentFilter(actor="APT29")) == 1
    assert reader.count_incidents(IncidentFilter(text="grids", until="2015-12-31")) == 2
    dyads = {(d["initiator"], d["receiver"]): d["incidents"] for d in reader.dyads(IncidentFilter())}
    assert dyads == {("RU", "UA"): 2, ("RU", "PL"): 1, (None, "US"): 1, ("CN", "US"): 1, ("KP", "US"): 1}
    assert reader.timeline(IncidentFilter()) == [
        {"year": 2014, "incidents": 1}, {"year": 2015, "incidents": 1},
        {"year": 2017, "incidents": 1}, {"year": 2020, "incidents": 1}]
    assert platform.incidents.show("test:2")["name"] == "Incident 2"
    assert [i["name"] for i in platform.incidents.list(IncidentFilter(receiver="US"))] == [
        "Incident 3", "Incident 4"]


def test_a_newer_incident_version_replaces_its_facets(platform: Platform) -> None:
    first = incident("9", ["IR"], ["SA"], start_date="2012-08-15")
    import_objects(platform, [first])
    second = {**incident("9", ["IR"], ["SA", "QA"], start_date="2012-08-15"),
              "modified": "2025-01-01T00:00:00.000Z"}
    import_objects(platform, [second])
    dyads = platform.reader.dyads(IncidentFilter())
    assert sorted((d["initiator"], d["receiver"], d["incidents"]) for d in dyads) == [
        ("IR", "QA", 1), ("IR", "SA", 1)]


def test_the_parallel_reader_reports_rejections_and_writes_nothing(platform: Platform, tmp_path: Path) -> None:
    good = s.small_world()
    [report] = [platform.writer.import_objects(iter(good), ImportReport("parallel"), parallel=True)]
    assert (report.imported, report.read) == (7, 7)
    objects = [s.group("2030-01-01T00:00:00.000Z"), {**good[4], "pattern": "[bad"}, {"type": "tool"}]
    with pytest.raises(ImportRejected) as caught:
        platform.writer.import_objects(iter(objects), ImportReport("parallel"), parallel=True)
    assert [r.property for r in caught.value.rejected] == ["pattern", "id"]
    assert platform.reader.get(s.GROUP)["modified"] == "2024-01-01T00:00:00.000Z"
    broken = tmp_path / "broken.json"
    broken.write_bytes(orjson.dumps(s.bundle(*good))[:-30])
    with pytest.raises(InvalidInput, match="bad JSON"), broken.open("rb") as stream:
        platform.writer.import_objects((o for o, _ in iter_bundle(stream, "broken.json")),
                                       ImportReport("broken"), parallel=True)
    assert platform.reader.count_versions() == 7


def test_concurrent_imports_wait_for_each_other_instead_of_failing(sqlite_platform: Platform) -> None:
    import threading

    from cirx import Settings

    other = Platform(Settings(database_url=sqlite_platform.settings.database_url)).init()
    errors: list[BaseException] = []

    def run(platform: Platform, offset: int) -> None:
        try:
            objects = [{**s.group(), "id": f"intrusion-set--{offset + i:08d}-0000-4000-8000-000000000000",
                        "name": f"group {offset + i}"} for i in range(3000)]
            platform.writer.import_objects(iter(objects), ImportReport(f"writer {offset}"))
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p, n * 10000)) for n, p in enumerate([sqlite_platform, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    assert errors == []
    assert sqlite_platform.reader.count_by_type() == {"intrusion-set": 6000}
