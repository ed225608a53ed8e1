"""The offline knowledge base built from pymispgalaxies and pytaxonomies."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

pytest.importorskip("pymispgalaxies")
pytest.importorskip("pytaxonomies")

from cirx.ingest.galaxies import Galaxy, load_galaxy, split_attack_name, stamp
from cirx.ingest.knowledge import (
    TLP2_EXTENSION_ID,
    TLP2_MARKINGS,
    read_knowledge_base,
    read_taxonomies,
    vocabularies,
)
from cirx.ingest.report import ImportReport
from cirx.model.actor import (
    ACTOR_EXTENSION_ID,
    actor_properties,
    alias_key,
    naming_scheme,
)
from cirx.model.country_profile import COUNTRY_EXTENSION_ID, budapest_status, country_properties


def _source(obj: dict[str, Any]) -> str | None:
    return next((r["source_name"] for r in obj.get("external_references", [])
                 if r["source_name"].startswith("misp-galaxy:")), None)


def _attack_ids(obj: dict[str, Any]) -> list[str]:
    return [r["external_id"] for r in obj.get("external_references", []) if r["source_name"] == "mitre-attack"]


@pytest.fixture(scope="module")
def knowledge() -> tuple[list[dict[str, Any]], ImportReport, float]:
    report = ImportReport(source="knowledge base")
    started = time.perf_counter()
    objects = list(read_taxonomies(report)) + list(read_knowledge_base(report))
    elapsed = time.perf_counter() - started
    print(f"\nknowledge base: {len(objects)} objects read in {elapsed:.2f}s")
    return objects, report, elapsed


@pytest.fixture(scope="module")
def objects(knowledge: tuple[list[dict[str, Any]], ImportReport, float]) -> list[dict[str, Any]]:
    return knowledge[0]


def test_counts(objects: list[dict[str, Any]], knowledge: tuple[list[dict[str, Any]], ImportReport, float]) -> None:
    counts = Counter(o["type"] for o in objects)
    print("counts:", dict(sorted(counts.items())))
    sets = Counter(_source(o) for o in objects if o["type"] == "intrusion-set")
    print("intrusion-sets by galaxy:", dict(sets))
    assert sets["misp-galaxy:threat-actor"] >= 800
    assert sets["misp-galaxy:mitre-intrusion-set"] >= 170
    assert counts["location"] >= 240
    assert counts["attack-pattern"] >= 600
    assert counts["malware"] >= 500 and counts["tool"] >= 50
    assert counts["identity"] >= 100
    assert counts["marking-definition"] == 5
    assert all(o.get("spec_version") == "2.1" for o in objects)
    assert knowledge[1].rejected == []


def test_attack_groups_have_technique_links(objects: list[dict[str, Any]]) -> None:
    groups = {o["id"] for o in objects if _source(o) == "misp-galaxy:mitre-intrusion-set"}
    uses = [o for o in objects if o["type"] == "relationship" and o["relationship_type"] == "uses"]
    with_technique = {r["source_ref"] for r in uses
                      if r["source_ref"] in groups and r["target_ref"].startswith("attack-pattern--")}
    with_any = {r["source_ref"] for r in uses if r["source_ref"] in groups}
    print(f"ATT&CK groups: {len(groups)}, with technique links: {len(with_technique)}, "
          f"with any uses link: {len(with_any)}, uses relationships: {len(uses)}")
    # The mitre-intrusion-set galaxy of pymispgalaxies 1.1.1 links 167 groups to
    # techniques (ATT&CK v18.1 itself: 168 of its 172 active groups); `cirx init --attack` adds the release.
    assert len(with_technique) >= 165
    assert len(uses) >= 5000
    apt28 = next(o for o in objects if _source(o) == "misp-galaxy:mitre-intrusion-set" and _attack_ids(o) == ["G0007"])
    assert sum(1 for r in uses if r["source_ref"] == apt28["id"]) >= 50


def test_relationships_resolve_to_earlier_objects(objects: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for obj in objects:
        if obj["type"] == "relationship":
            assert obj["source_ref"] in seen, obj
            assert obj["target_ref"] in seen, obj
        seen.add(obj["id"])
    ids = Counter(o["id"] for o in objects)
    assert [i for i, n in ids.items() if n > 1] == []


def _validate(chunk: list[dict[str, Any]]) -> list[str]:
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(version="2.1")
    problems: list[str] = []
    for obj in chunk:
        result = validate_instance(obj, options)
        if not result.is_valid:
            problems.extend(str(e) for e in result.errors)
    return problems


def test_every_object_is_valid_stix(objects: list[dict[str, Any]]) -> None:
    pytest.importorskip("stix2validator")
    workers = min(8, os.cpu_count() or 1)
    size = len(objects) // (workers * 4) + 1
    chunks = [objects[i:i + size] for i in range(0, len(objects), size)]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_validate, chunks))
    else:
        results = [_validate(chunk) for chunk in chunks]
    problems = [p for result in results for p in result]
    assert problems == []


def test_deterministic() -> None:
    first = [json.dumps(o, sort_keys=True) for o in read_knowledge_base(ImportReport(source="a"))]
    second = [json.dumps(o, sort_keys=True) for o in read_knowledge_base(ImportReport(source="b"))]
    assert first == second


def test_fixed_timestamps(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["type"] != "marking-definition":
            assert obj["modified"] >= obj["created"]
    threat_actor = load_galaxy("threat-actor")
    assert threat_actor is not None
    assert stamp(threat_actor.version) > stamp(threat_actor.version - 1)


@pytest.mark.parametrize("name", ["Fancy Bear", "STRONTIUM", "Forest Blizzard", "APT 28", "Sofacy", "apt-28"])
def test_alias_resolves_to_g0007(objects: list[dict[str, Any]], name: str) -> None:
    index: dict[str, set[str]] = {}
    by_id = {o["id"]: o for o in objects}
    for obj in objects:
        if obj["type"] == "intrusion-set":
            for alias in [obj["name"], *obj.get("aliases", [])]:
                index.setdefault(alias_key(alias), set()).add(obj["id"])
    found = index.get(alias_key(name), set())
    assert any("G0007" in _attack_ids(by_id[i]) for i in found)
    # both the MISP threat actor and the ATT&CK group answer
    assert {_source(by_id[i]) for i in found} >= {"misp-galaxy:threat-actor", "misp-galaxy:mitre-intrusion-set"}


def test_apt28_actor_extension(objects: list[dict[str, Any]]) -> None:
    apt28 = next(o for o in objects if _source(o) == "misp-galaxy:threat-actor" and o["name"] == "APT28")
    props = actor_properties(apt28)
    assert props["sponsor_country"] == "RU" and props["country"] == "RU"
    assert props["attribution_confidence"] == 50
    assert {"US", "FR", "UA"} <= set(props["suspected_victims"])
    assert "Espionage" in props["incident_types"]
    schemes = props["names_by_scheme"]
    assert "APT28" in schemes["mitre-attack"] and "APT28" in schemes["misp"]
    assert {"Forest Blizzard", "STRONTIUM"} <= set(schemes["microsoft"])
    assert "FANCY BEAR" in schemes["crowdstrike"]
    assert "G0007" in _attack_ids(apt28)
    assert apt28["extensions"][ACTOR_EXTENSION_ID]["extension_type"] == "property-extension"


@pytest.mark.parametrize(("iso2", "status", "original"), [
    ("FR", "party", "parties"), ("US", "party", "parties"), ("RU", "not-listed", None), ("CN", "not-listed", None),
])
def test_budapest_status(objects: list[dict[str, Any]], iso2: str, status: str, original: str | None) -> None:
    location = next(o for o in objects if o["type"] == "location" and o["country"] == iso2)
    profile = country_properties(location)
    assert profile["budapest_convention"] == status
    assert profile.get("budapest_convention_original") == original
    assert location["extensions"][COUNTRY_EXTENSION_ID]["iso3"]
    assert location["region"]


def test_tlp_markings_as_published() -> None:
    report = ImportReport(source="taxonomies")
    found = {o["id"]: o for o in read_taxonomies(report)}
    assert found[TLP2_EXTENSION_ID]["created_by_ref"] == "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
    assert found["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"] == {
        "type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "created": "2022-10-01T00:00:00.000Z", "name": "TLP:CLEAR",
        "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "clear"}},
    }
    assert set(TLP2_MARKINGS.values()) <= set(found)
    assert report.notes == []


def test_vocabularies() -> None:
    vocab = vocabularies()
    assert "availability/ddos" in vocab["rsit"]
    assert "intrusions" in vocab["rsit-category"]
    assert "energy" in vocab["nis2:impact-sectors-impacted"]
    assert vocab["admiralty-scale:information-credibility"] == ["1", "2", "3", "4", "5", "6"]
    assert vocab["admiralty-scale:source-reliability"][:6] == ["a", "b", "c", "d", "e", "f"]


def _loader(overrides: dict[str, Galaxy | None]) -> Any:
    def load(name: str) -> Galaxy | None:
        return overrides[name] if name in overrides else load_galaxy(name)
    return load


def test_absent_optional_galaxies_are_noted() -> None:
    report = ImportReport(source="kb")
    objects = list(read_knowledge_base(report, load=_loader({"tidal-groups": None, "tidal-campaigns": None})))
    assert any("tidal-groups" in n for n in report.notes)
    assert any("tidal-campaigns" in n for n in report.notes)
    assert not any(o["type"] == "campaign" for o in objects)
    assert report.rejected == []


def test_bad_entries_are_rejected_and_reading_goes_on() -> None:
    real = load_galaxy("threat-actor")
    assert real is not None
    bad: list[dict[str, Any]] = [{"uuid": "00000000-0000-4000-8000-000000000001", "value": "Bad Country", "meta": {"country": "Atlantis"}},
           {"uuid": "00000000-0000-4000-8000-000000000002", "value": "Bad Confidence",
            "meta": {"attribution-confidence": "very"}},
           {"value": "No uuid"}]
    galaxy = Galaxy(real.name, real.type, real.uuid, real.version, real.values + bad)
    report = ImportReport(source="kb")
    objects = list(read_knowledge_base(report, load=_loader({"threat-actor": galaxy})))
    assert [r.property for r in report.rejected] == ["meta.country", "meta.attribution-confidence", "uuid/value"]
    assert report.rejected[0].object_ref == "misp-galaxy threat-actor 'Bad Country'"
    assert sum(1 for o in objects if _source(o) == "misp-galaxy:threat-actor") == len(real.values)


def test_alias_key() -> None:
    assert alias_key("APT 28") == alias_key("apt28") == alias_key("APT-28") == "apt28"
    assert alias_key("Fancy Bear") == alias_key("FANCY_BEAR") == "fancybear"
    assert alias_key("Sofacy Group!") == "sofacygroup"
    assert alias_key("Équipe") == "equipe"


@pytest.mark.parametrize(("name", "scheme"), [
    ("Forest Blizzard", "microsoft"), ("STRONTIUM", "microsoft"), ("Storm-0558", "microsoft"),
    ("FANCY BEAR", "crowdstrike"), ("Charming Kitten", "crowdstrike"), ("LABYRINTH CHOLLIMA", "crowdstrike"),
    ("IRON TWILIGHT", "secureworks"), ("APT28", "mandiant"), ("TA422", "proofpoint"),
    ("Fighting Ursa", "palo-alto-unit42"), ("Sofacy", None),
])
def test_naming_scheme(name: str, scheme: str | None) -> None:
    assert naming_scheme(name) == scheme


def test_helpers() -> None:
    assert split_attack_name("APT28 - G0007") == ("APT28", "G0007")
    assert split_attack_name("Spearphishing Attachment - T1566.001") == ("Spearphishing Attachment", "T1566.001")
    assert split_attack_name("Sofacy") == ("Sofacy", None)
    assert budapest_status("parties") == "party" and budapest_status("observers") == "observer"
    assert budapest_status(None) == "not-listed" and budapest_status("weird") is None
