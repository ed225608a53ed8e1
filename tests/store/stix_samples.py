"""Small hand-made STIX objects for the contract suite."""

from __future__ import annotations

from typing import Any

GROUP = "intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c"
TECHNIQUE = "attack-pattern--a62a8db3-f23a-4d8f-afd6-9dbc77e7813b"
MALWARE = "malware--2b3f1b1f-6c1f-4d7c-9b36-2c6c1f0a7e11"
INDICATOR = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
IDENTITY = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
SIGHTING = "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"
RELATIONSHIP = "relationship--3c3c3c3c-1111-4222-8333-444444444444"


def group(modified: str = "2024-01-01T00:00:00.000Z", **extra: Any) -> dict[str, Any]:
    """An ATT&CK-like intrusion set (STIX 2.1)."""
    return {
        "type": "intrusion-set", "spec_version": "2.1", "id": GROUP,
        "created": "2017-05-31T21:31:48.664Z", "modified": modified,
        "name": "APT28", "aliases": ["APT28", "Fancy Bear", "Sofacy"],
        "description": "A threat group attributed to the GRU that targets governments.",
        "external_references": [{"source_name": "mitre-attack", "external_id": "G0007"}],
        **extra,
    }


def bundle(*objects: dict[str, Any], spec_version: str | None = None) -> dict[str, Any]:
    """A bundle around ``objects``."""
    result: dict[str, Any] = {"type": "bundle", "id": "bundle--0b7b7c1f-2222-4e3e-8c51-3c1b5e5d0a11",
                              "objects": list(objects)}
    if spec_version:
        result["spec_version"] = spec_version
    return result


def small_world() -> list[dict[str, Any]]:
    """A group, a technique, a malware, an indicator, a relationship and a sighting."""
    return [
        group(),
        {"type": "attack-pattern", "spec_version": "2.1", "id": TECHNIQUE,
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "name": "Spearphishing Attachment",
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1566.001"}]},
        {"type": "malware", "spec_version": "2.1", "id": MALWARE, "is_family": True,
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "name": "X-Agent", "aliases": ["CHOPSTICK"]},
        {"type": "identity", "spec_version": "2.1", "id": IDENTITY, "identity_class": "organization",
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "name": "Ministry of Energy"},
        {"type": "indicator", "spec_version": "2.1", "id": INDICATOR, "pattern_type": "stix",
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "valid_from": "2020-01-01T00:00:00Z", "name": "C2 address",
         "pattern": "[ipv4-addr:value = '198.51.100.7']"},
        {"type": "relationship", "spec_version": "2.1", "id": RELATIONSHIP,
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "relationship_type": "uses", "source_ref": GROUP, "target_ref": TECHNIQUE},
        {"type": "sighting", "spec_version": "2.1", "id": SIGHTING,
         "created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
         "sighting_of_ref": INDICATOR, "where_sighted_refs": [IDENTITY]},
    ]
