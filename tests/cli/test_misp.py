"""MISP events through ``cirx import misp`` and ``platform.imports.misp``: misp-stix's STIX 2.1 in the store.

The events are built with pymisp as a MISP server exports them, written to a
temporary file; no test reaches the network (``offline`` refuses sockets).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent, MISPObject, MISPOrganisation
from sqlalchemy import select

from cirx import Platform, Settings
from cirx.access.policy import Principal
from cirx.access.tlp import TLP2_MARKINGS
from cirx.errors import ImportRejected, InvalidInput
from cirx.store.schema import StixObject
from tests.cli.cli_helpers import cirx, cirx_failure, cirx_json

EVENT = "5d0b2a9c-1111-4c2e-9c3a-0a0b0c0d0e0f"
ORGC = "55f6ea5e-2c60-40e5-964f-47a8950d210f"
IP, DOMAIN, URL, SHA256, CVE = (
    "91ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f", "518b4bcb-a86b-4783-9457-391d548b605b",
    "34cb1a7c-55ec-412a-8684-ba4a88d83a45", "94a2b00f-bec3-4f8a-bea4-e4ccf0de776f",
    "5e579975-e9cc-46c6-a6ba-1611481d6a65")
FILE_OBJECT, DOMAIN_IP_OBJECT = "5ac47782-e1b8-40b6-96b4-02510a00020f", "dc33d7a5-7b8e-4f7a-8e8c-4b8d8d8d8d8d"
SOFACY = "5b4ee3ea-eee3-4c8e-8323-85ae32658754"
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
STAMP = 1709280000  # 2024-03-01T08:00:00Z


def misp_event(*tags: str, uuid: str = EVENT, info: str = "Phishing against ministries",
               published: bool = True) -> MISPEvent:
    """A MISP event as a server exports it: attributes, objects, a threat-actor galaxy, ``tags``."""
    event = MISPEvent(force_timestamps=True)
    event.uuid, event.info, event.timestamp = uuid, info, STAMP
    event.set_date("2024-03-01")
    event.published, event.publish_timestamp = published, STAMP + 3600
    event.threat_level_id, event.analysis = 2, 2
    orgc = MISPOrganisation()
    orgc.name, orgc.uuid = "CERT-X", ORGC
    event.Orgc = orgc
    for tag in tags:
        event.add_tag(tag)
    galaxy = event.add_galaxy(uuid="698774c7-8022-42c4-917f-8d6e4f06ada3", name="Threat Actor",
                              type="threat-actor", namespace="misp", description="Threat actors")
    galaxy.add_galaxy_cluster(uuid=SOFACY, type="threat-actor", value="Sofacy",
                              tag_name='misp-galaxy:threat-actor="Sofacy"', description="A Russian threat group",
                              meta={"synonyms": ["APT28", "Fancy Bear"], "country": ["RU"]})
    event.add_attribute("ip-dst", "203.0.113.7", to_ids=True, uuid=IP, timestamp=STAMP)
    event.add_attribute("domain", "evil.example.com", to_ids=True, uuid=DOMAIN, timestamp=STAMP)
    event.add_attribute("url", "https://evil.example.com/login", to_ids=False, uuid=URL, timestamp=STAMP)
    event.add_attribute("sha256", HASH, to_ids=True, uuid=SHA256, timestamp=STAMP)
    event.add_attribute("vulnerability", "CVE-2023-23397", uuid=CVE, timestamp=STAMP)
    sample = MISPObject("file", force_timestamps=True)
    sample.uuid, sample.timestamp = FILE_OBJECT, STAMP
    sample.add_attribute("filename", "invoice.doc", uuid="5ac47782-e1b8-40b6-96b4-02510a000201")
    sample.add_attribute("md5", "0cc175b9c0f1b6a831c399e269772661", to_ids=True,
                         uuid="5ac47782-e1b8-40b6-96b4-02510a000202")
    event.add_object(sample)
    resolution = MISPObject("domain-ip", force_timestamps=True)
    resolution.uuid, resolution.timestamp = DOMAIN_IP_OBJECT, STAMP
    resolution.add_attribute("domain", "c2.example.net", to_ids=True, uuid="dc33d7a5-7b8e-4f7a-8e8c-4b8d8d8d8d81")
    resolution.add_attribute("ip", "198.51.100.9", to_ids=True, uuid="dc33d7a5-7b8e-4f7a-8e8c-4b8d8d8d8d82")
    event.add_object(resolution)
    return event


def exported(event: MISPEvent) -> dict[str, Any]:
    """The event as MISP's JSON export writes it: ``{"Event": {...}}``."""
    return {"Event": json.loads(event.to_json())}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection attempt fails: the conversion must need nothing from the network."""
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a MISP import tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def store(db: str) -> Platform:
    return Platform(Settings(database_url=db)).init()


def principal(db: str, org: str) -> Principal:
    token, _ = store(db).organisations.create_token(org, role="reader")
    return store(db).organisations.authenticate(token)


def visible(db: str, org: str, stix_ids: list[str]) -> set[str]:
    return set(store(db).workspace(principal(db, org)).reader.names(stix_ids))


def rows_of(platform: Platform) -> dict[str, tuple[str, dict[str, Any]]]:
    """The stored TLP level and document of every object, by STIX id (each has one version here).

    Read from the table, not through the reader: the store does not yet count
    an observable (an SCO, which has no ``modified``) as a latest version, see
    :func:`test_observables_are_readable_through_the_reader`.
    """
    with platform.engine.connect() as connection:
        rows = connection.execute(select(StixObject.stix_id, StixObject.tlp, StixObject.doc))
        return {stix_id: (tlp, json.loads(doc)) for stix_id, tlp, doc in rows}


def levels(platform: Platform) -> dict[str, str]:
    """The stored TLP level of every object, by STIX id."""
    return {stix_id: tlp for stix_id, (tlp, _doc) in rows_of(platform).items()}


def test_an_event_lands_as_indicators_observables_and_a_report(sqlite_platform: Platform, tmp_path: Path) -> None:
    path = write(tmp_path / "event.json", exported(misp_event("tlp:green")))
    [report] = sqlite_platform.imports.misp(path)
    assert report.rejected == [] and report.imported == report.read > 20
    reader = sqlite_platform.reader
    patterns = {i["id"]: i["pattern"] for i in reader.by_type("indicator", limit=50)}
    assert patterns[f"indicator--{IP}"] == ("[network-traffic:dst_ref.type = 'ipv4-addr' AND "
                                            "network-traffic:dst_ref.value = '203.0.113.7']")
    assert patterns[f"indicator--{DOMAIN}"] == "[domain-name:value = 'evil.example.com']"
    assert patterns[f"indicator--{SHA256}"] == f"[file:hashes.'SHA-256' = '{HASH}']"
    assert patterns[f"indicator--{FILE_OBJECT}"] == (
        "[file:hashes.MD5 = '0cc175b9c0f1b6a831c399e269772661' AND file:name = 'invoice.doc']")
    assert "c2.example.net" in patterns[f"indicator--{DOMAIN_IP_OBJECT}"]
    assert f"indicator--{URL}" not in patterns  # to_ids off: an observable only
    assert reader.get(f"observed-data--{URL}")["object_refs"] == [f"url--{URL}"]
    documents = {stix_id: doc for stix_id, (_tlp, doc) in rows_of(sqlite_platform).items()}
    assert documents[f"url--{URL}"]["value"] == "https://evil.example.com/login"
    assert documents[f"ipv4-addr--{IP}"]["value"] == "203.0.113.7"
    assert documents[f"domain-name--{DOMAIN}"]["value"] == "evil.example.com"
    assert documents[f"file--{SHA256}"]["hashes"] == {"SHA-256": HASH}
    vulnerability = reader.get(f"vulnerability--{CVE}")
    assert vulnerability["name"] == "CVE-2023-23397"
    assert {"source_name": "cve", "external_id": "CVE-2023-23397"} in vulnerability["external_references"]
    actor = reader.get(f"threat-actor--{SOFACY}")
    assert actor["name"] == "Sofacy" and "APT28" in actor["aliases"]

    stored = reader.get(f"report--{EVENT}")
    assert stored["name"] == "Phishing against ministries"
    assert stored["published"] == "2024-03-01T09:00:00Z"
    assert {"source_name": "misp", "external_id": EVENT} in stored["external_references"]
    assert {f"indicator--{IP}", f"observed-data--{URL}", f"vulnerability--{CVE}",
            f"threat-actor--{SOFACY}"} <= set(stored["object_refs"])
    assert reader.by_external_id("misp", EVENT) == [f"report--{EVENT}"]
    assert reader.get(f"indicator--{IP}")["created_by_ref"] == f"identity--{ORGC}"
    assert reader.get(f"identity--{ORGC}")["name"] == "CERT-X"

    [again] = sqlite_platform.imports.misp(path)
    assert (again.imported, again.unchanged) == (0, report.imported)


def test_an_unpublished_event_is_a_grouping_with_the_event_uuid(sqlite_platform: Platform, tmp_path: Path) -> None:
    path = write(tmp_path / "draft.json", exported(misp_event(published=False)))
    sqlite_platform.imports.misp(path)
    grouping = sqlite_platform.reader.get(f"grouping--{EVENT}")
    assert grouping["context"] == "suspicious-activity"
    assert {"source_name": "misp", "external_id": EVENT} in grouping["external_references"]


def test_records_without_uuid_or_timestamp_import_the_same_twice(sqlite_platform: Platform, tmp_path: Path) -> None:
    document = exported(misp_event("tlp:amber"))
    event = document["Event"]
    del event["uuid"], event["timestamp"]  # left: publish_timestamp
    for attribute in event["Attribute"]:
        del attribute["uuid"], attribute["timestamp"]
    for misp_object in event["Object"]:
        del misp_object["timestamp"]
        for attribute in misp_object["Attribute"]:
            attribute.pop("timestamp", None)
    event["Attribute"][0]["Sighting"] = [{"type": "0", "source": "sensor-1"}]
    path = write(tmp_path / "sparse.json", document)
    [first] = sqlite_platform.imports.misp(path)
    [second] = sqlite_platform.imports.misp(path)
    assert first.rejected == [] and first.imported > 20
    assert (second.imported, second.unchanged) == (0, first.imported)
    assert sqlite_platform.reader.count_versions() == first.imported
    [report] = sqlite_platform.reader.by_type("report")
    assert report["modified"].startswith("2024-03-01T09:00:00")  # dated by publish_timestamp, not by the clock
    sightings = sqlite_platform.reader.by_type("sighting")
    assert len(sightings) == 1 and sightings[0]["created"].startswith("2024-03-01T09:00:00")


@pytest.mark.parametrize(("tag", "level"), [
    ("tlp:clear", "clear"), ("tlp:white", "clear"), ("tlp:green", "green"), ("tlp:amber", "amber"),
    ("tlp:amber+strict", "amber+strict"), ("tlp:red", "red"), ("TLP:RED", "red"), ("TLP:AMBER+STRICT", "amber+strict"),
])
def test_each_tlp_tag_marks_every_object_of_the_event(tag: str, level: str, sqlite_platform: Platform,
                                                      tmp_path: Path) -> None:
    path = write(tmp_path / "event.json", exported(misp_event(tag)))
    [report] = sqlite_platform.imports.misp(path)
    stored = levels(sqlite_platform)
    from_event = [stix_id for stix_id in stored if not stix_id.startswith("marking-definition--")]
    assert len(from_event) == report.imported
    assert {stored[stix_id] for stix_id in from_event} == {level}
    documents = rows_of(sqlite_platform)
    for stix_id in (f"report--{EVENT}", f"indicator--{IP}", f"ipv4-addr--{IP}", f"threat-actor--{SOFACY}"):
        assert documents[stix_id][1]["object_marking_refs"] == [TLP2_MARKINGS[level]]


def test_an_attribute_tag_narrows_its_objects_but_never_widens_them(sqlite_platform: Platform,
                                                                    tmp_path: Path) -> None:
    event = misp_event("tlp:amber")
    event.attributes[1].add_tag("tlp:red")  # the domain
    event.attributes[2].add_tag("tlp:clear")  # the url
    sqlite_platform.imports.misp(write(tmp_path / "event.json", exported(event)))
    stored = levels(sqlite_platform)
    assert stored[f"indicator--{DOMAIN}"] == stored[f"observed-data--{DOMAIN}"] == "red"
    assert stored[f"domain-name--{DOMAIN}"] == "red"  # the value itself, inside the observed-data
    assert stored[f"url--{URL}"] == stored[f"observed-data--{URL}"] == "amber"
    assert stored[f"report--{EVENT}"] == stored[f"indicator--{IP}"] == "amber"


def test_observables_are_readable_through_the_reader(sqlite_platform: Platform, tmp_path: Path) -> None:
    sqlite_platform.imports.misp(write(tmp_path / "event.json", exported(misp_event("tlp:green"))))
    assert sqlite_platform.reader.get(f"ipv4-addr--{IP}")["value"] == "203.0.113.7"
    assert sqlite_platform.reader.get(f"url--{URL}")["value"] == "https://evil.example.com/login"


def _organisations(db: str) -> None:
    for name, country in (("CERT-A", "FR"), ("CERT-B", "DE"), ("CERT-C", "IT")):
        cirx("org", "create", name, "--country", country, "--default-tlp", "green", "--db", db)
    cirx("group", "create", "EU-CSIRTs", "--member", "CERT-A", "--member", "CERT-C", "--db", db)


def test_tlp_amber_and_red_events_are_hidden_from_other_organisations(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    _organisations(db)
    amber = write(tmp_path / "amber.json", exported(misp_event("tlp:amber")))
    out = cirx("import", "misp", str(amber), "--org", "CERT-A", "--share-with", "EU-CSIRTs", "--db", db)
    assert f"{amber}: " in out and " imported, 0 unchanged, 0 rejected" in out
    ids = [f"report--{EVENT}", f"indicator--{IP}", f"observed-data--{DOMAIN}", f"threat-actor--{SOFACY}"]
    assert visible(db, "CERT-A", ids) == visible(db, "CERT-C", ids) == set(ids)
    assert visible(db, "CERT-B", ids) == set()

    red_event = "7e1c3b2a-2222-4c2e-9c3a-0a0b0c0d0e0f"
    red = write(tmp_path / "red.json", exported(misp_event("tlp:red", uuid=red_event)))
    cirx("import", "misp", str(red), "--org", "CERT-A", "--recipient", "CERT-B", "--db", db)
    assert visible(db, "CERT-B", [f"report--{red_event}"]) == {f"report--{red_event}"}
    assert visible(db, "CERT-C", [f"report--{red_event}"]) == set()

    again = cirx_json("import", "misp", str(amber), "--org", "CERT-A", "--share-with", "EU-CSIRTs", "--db", db)
    assert again["imported"] == 0 and again["unchanged"] == again["read"]


def test_an_untagged_event_gets_the_importer_default(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cirx("org", "create", "CERT-A", "--country", "FR", "--db", db)  # default TLP:AMBER
    cirx("org", "create", "CERT-B", "--country", "DE", "--db", db)
    path = write(tmp_path / "untagged.json", exported(misp_event()))
    cirx("import", "misp", str(path), "--org", "CERT-A", "--db", db)
    stored = levels(store(db))
    assert stored[f"report--{EVENT}"] == stored[f"indicator--{IP}"] == stored[f"url--{URL}"] == "amber"
    assert visible(db, "CERT-B", [f"indicator--{IP}"]) == set()

    other = write(tmp_path / "other.json", exported(misp_event(uuid="8f2d4c3b-3333-4c2e-9c3a-0a0b0c0d0e0f")))
    cirx("import", "misp", str(other), "--org", "CERT-A", "--tlp", "green", "--db", db)
    assert levels(store(db))["report--8f2d4c3b-3333-4c2e-9c3a-0a0b0c0d0e0f"] == "green"
    assert "need --org" in cirx_failure("import", "misp", str(path), "--share-with", "EU-CSIRTs", "--db", db)


def test_bad_input_is_rejected_naming_the_file_and_the_store_is_unchanged(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cirx("import", "misp", str(write(tmp_path / "good.json", exported(misp_event()))), "--db", db)
    before = store(db).reader.count_versions()

    malformed = tmp_path / "malformed.json"
    malformed.write_text('{"Event": {"info": "cut short"', encoding="utf-8")
    error = cirx_failure("import", "misp", str(malformed), "--db", db)
    assert f"{malformed}: not valid JSON" in error

    bundle = write(tmp_path / "bundle.json", {"type": "bundle", "id": "bundle--" + EVENT, "objects": []})
    error = cirx_failure("import", "misp", str(bundle), "--db", db)
    assert f"{bundle}: the document is not a MISP event" in error and "cirx import stix" in error
    listing = write(tmp_path / "list.json", [exported(misp_event())["Event"], {"name": "not an event"}])
    assert f"{listing}: item 2 is not a MISP event" in cirx_failure("import", "misp", str(listing), "--db", db)

    broken = exported(misp_event(uuid="9a3e5d4c-4444-4c2e-9c3a-0a0b0c0d0e0f", info="Broken export"))
    broken["Event"]["Attribute"] += [
        {"uuid": "11111111-2222-4333-8444-555555555555", "type": "datetime", "value": "yesterday-ish",
         "category": "Other", "timestamp": str(STAMP)},
        {"uuid": "11111111-2222-4333-8444-555555555556", "type": "ip-dst", "value": "999.1.1.1",
         "category": "Network activity", "to_ids": True, "timestamp": str(STAMP)},
    ]
    path = write(tmp_path / "broken.json", broken)
    error = cirx_failure("import", "misp", str(path), "--db", db)
    assert f"{path}: 2 rejected, nothing imported" in error
    assert "MISP event 9a3e5d4c-4444-4c2e-9c3a-0a0b0c0d0e0f ('Broken export')" in error
    assert "11111111-2222-4333-8444-555555555555" in error and "11111111-2222-4333-8444-555555555556" in error
    assert "Traceback" not in error and 'File "' not in error
    with pytest.raises(ImportRejected) as rejected:
        store(db).imports.misp(path)
    assert [r.object_ref for r in rejected.value.rejected] == [
        "MISP event 9a3e5d4c-4444-4c2e-9c3a-0a0b0c0d0e0f ('Broken export')"] * 2
    with pytest.raises(InvalidInput, match="restSearch response without a list of events"):
        store(db).imports.misp(write(tmp_path / "attributes.json", {"response": {"Attribute": []}}))
    assert store(db).reader.count_versions() == before
    assert "no such file or directory" in cirx_failure("import", "misp", str(tmp_path / "absent.json"), "--db", db)


def test_a_feed_folder_and_a_rest_search_response(sqlite_platform: Platform, tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    first, second = EVENT, "6c4f6e5d-5555-4c2e-9c3a-0a0b0c0d0e0f"
    write(feed / f"{first}.json", exported(misp_event("tlp:green")))
    write(feed / f"{second}.json", exported(misp_event("tlp:clear", uuid=second, info="Second event")))
    write(feed / "manifest.json", {first: {"info": "Phishing", "Orgc": {"name": "CERT-X", "uuid": ORGC}},
                                   second: {"info": "Second event"}})
    (feed / "hashes.csv").write_text(f"0123,{first}\n", encoding="utf-8")
    reports = sqlite_platform.imports.misp(feed)
    assert [Path(r.source).name for r in reports] == [f"{first}.json", f"{second}.json"]
    assert all(r.imported > 0 and not r.rejected for r in reports)
    assert sqlite_platform.reader.get(f"report--{second}")["name"] == "Second event"

    third = "4b5a7f6e-6666-4c2e-9c3a-0a0b0c0d0e0f"
    response = {"response": [exported(misp_event("tlp:green", uuid=third, info="Third")),
                             exported(misp_event("tlp:green", uuid=first))]}
    [report] = sqlite_platform.imports.misp(write(tmp_path / "search.json", response))
    assert report.imported > 0 and report.unchanged > 0  # the first event again: its objects unchanged
    assert levels(sqlite_platform)[f"report--{third}"] == "green"
    assert [r.imported for r in sqlite_platform.imports.misp(feed)] == [0, 0]
