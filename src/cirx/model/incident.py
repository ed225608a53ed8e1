"""The international-relations extension of the STIX 2.1 ``incident`` object.

STIX 2.1's ``incident`` is a stub; cirx adds the properties that international
relations research and diplomacy need through a proper STIX 2.1 property
extension (``extension-definition`` with a JSON schema).  Every incident cirx
stores carries it under ``extensions[IR_EXTENSION_ID]``.

The vocabularies below are cirx's common vocabulary; each source's original
value is kept beside the mapped one (``original_values``) so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from cirx.model.extensions import property_extension
from cirx.model.ids import deterministic_id

IR_EXTENSION_ID = "extension-definition--0e3b3d5c-3f53-4c1e-9f5e-8a1a6c2d7b41"
CIRX_IDENTITY_ID = "identity--4c1d6e0a-7b0f-4f3e-8d5a-1f2a3b4c5d6e"
SCHEMA_URL = "https://cirx.example/schemas/incident-ir-extension-1.0.json"

INITIATOR_CATEGORIES = ("state", "state-affiliated", "criminal", "hacktivist", "unknown")
EFFECTS = (
    "disruption",
    "data-theft",
    "destruction",
    "physical-damage",
    "information-operation",
)
# Common incident types (mapped from CFR, EuRepoC, RSIT and DCID in cirx.model.vocab).
INCIDENT_TYPES = (
    "espionage",
    "data-theft",
    "doxing",
    "ddos",
    "defacement",
    "data-destruction",
    "sabotage",
    "ransomware",
    "financial-theft",
    "hijacking",
    "disruption",
    "information-operation",
    "intrusion",
    "malware",
    "fraud",
    "other",
)
ATTRIBUTION_SOURCES = (
    "government",
    "governments-jointly",
    "international-organisation",
    "company",
    "researcher",
    "media",
    "self",
    "platform",
    "other",
)
CONFIDENCE_LEVELS = ("low", "moderate", "high")
ADMIRALTY_RELIABILITY = ("A", "B", "C", "D", "E", "F")
ADMIRALTY_CREDIBILITY = ("1", "2", "3", "4", "5", "6")

_ISO2 = {"type": "string", "pattern": "^[A-Z]{2}$"}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_STRINGS = {"type": "array", "items": {"type": "string"}}

IR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_URL,
    "title": "cirx international-relations properties of a STIX 2.1 incident",
    "type": "object",
    "required": ["extension_type"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "initiator_countries": {"type": "array", "items": _ISO2},
        "receiver_countries": {"type": "array", "items": _ISO2},
        "initiator_category": {"enum": list(INITIATOR_CATEGORIES)},
        "receiver_categories": _STRINGS,
        "sectors": _STRINGS,
        "incident_types": {"type": "array", "items": {"enum": list(INCIDENT_TYPES)}},
        "start_date": _DATE,
        "end_date": _DATE,
        "disclosure_date": _DATE,
        "effects": {"type": "array", "items": {"enum": list(EFFECTS)}},
        "intensity": {
            "type": "object",
            "required": ["value", "scale"],
            "properties": {"value": {"type": "number"}, "scale": {"type": "string"}},
        },
        "estimated_cost": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "number", "minimum": 0},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "source": {"type": "string"},
            },
        },
        "sources": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "url": {"type": "string"},
                    "reliability": {"enum": list(ADMIRALTY_RELIABILITY)},
                    "credibility": {"enum": list(ADMIRALTY_CREDIBILITY)},
                },
            },
        },
        "attribution_claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "attributed_by": {
                        "type": "object",
                        "properties": {
                            "kind": {"enum": list(ATTRIBUTION_SOURCES)},
                            "name": {"type": "string"},
                            "country": _ISO2,
                        },
                    },
                    "attributed_to": {
                        "type": "object",
                        "properties": {
                            "group": {"type": "string"},
                            "group_ref": {"type": "string"},
                            "state": _ISO2,
                            "category": {"enum": list(INITIATOR_CATEGORIES)},
                        },
                    },
                    "date": _DATE,
                    "basis": _STRINGS,
                    "confidence": {"enum": list(CONFIDENCE_LEVELS)},
                    "source_url": {"type": "string"},
                },
            },
        },
        "actors": _STRINGS,
        "original_values": {
            "type": "object",
            "description": "Each source's own values, by source then field.",
        },
    },
}


def extension_definition() -> dict[str, Any]:
    """The STIX ``extension-definition`` object for cirx's incident properties."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": IR_EXTENSION_ID,
        "created_by_ref": CIRX_IDENTITY_ID,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "cirx international-relations incident properties",
        "description": (
            "Initiator and receiver states, categories and sectors, incident types "
            "mapped across CFR, EuRepoC, RSIT and DCID, dates, effects, intensity, "
            "cost, graded sources and attribution claims."
        ),
        "schema": SCHEMA_URL,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def cirx_identity() -> dict[str, Any]:
    """The ``identity`` that authors cirx's own derived objects."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": CIRX_IDENTITY_ID,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "cirx",
        "identity_class": "system",
    }


def ir_properties(incident: dict[str, Any]) -> dict[str, Any]:
    """The IR extension properties of an incident (empty when it has none)."""
    return property_extension(incident, IR_EXTENSION_ID)


def make_incident(
    *,
    source: str,
    external_id: str,
    name: str,
    modified: str,
    description: str | None = None,
    url: str | None = None,
    ir: dict[str, Any],
) -> dict[str, Any]:
    """Build a STIX 2.1 incident from a dataset row's mapped values.

    The id is derived from ``source`` and ``external_id`` so that importing the
    same row again yields the same object; ``modified`` should be the dataset
    release date so that an unchanged row is recognised as unchanged.
    """
    reference: dict[str, Any] = {"source_name": source, "external_id": str(external_id)}
    if url:
        reference["url"] = url
    incident: dict[str, Any] = {
        "type": "incident",
        "spec_version": "2.1",
        "id": deterministic_id("incident", source, str(external_id)),
        "created": modified,
        "modified": modified,
        "name": name,
        "created_by_ref": CIRX_IDENTITY_ID,
        "external_references": [reference],
        "extensions": {IR_EXTENSION_ID: {"extension_type": "property-extension", **ir}},
    }
    if description:
        incident["description"] = description
    return incident
