"""Rows of the side tables derived from the latest version of a STIX object.

Pure functions: a STIX dict in, row tuples out (in the column order of the
``*_COLUMNS`` constants, which is how the writer inserts them).  The writer
deletes an object's old side rows and inserts these when a newer version
becomes latest.
"""

from __future__ import annotations

from typing import Any

from cirx.model.actor import alias_key
from cirx.model.incident import ir_properties
from cirx.model.stix import SCO_TYPES

# Types whose name and aliases resolve through the alias table.
ALIAS_TYPES = frozenset(
    {
        "intrusion-set", "threat-actor", "campaign", "malware", "tool", "attack-pattern",
        "location", "identity", "course-of-action", "infrastructure", "incident",
    }
)
# Types left out of full-text search: relationships and markings have no text worth
# searching, and indicators and observables are found by their values (patterns,
# addresses, hashes), not by words; indexing a million of them would cost more than
# storing them.
UNSEARCHED_TYPES = frozenset({
    "relationship", "sighting", "marking-definition", "extension-definition", "bundle",
    "indicator", "observed-data", "language-content",
} | SCO_TYPES)

RELATIONSHIP_COLUMNS = ("stix_id", "kind", "relationship_type", "source_ref", "target_ref", "revoked")
ALIAS_COLUMNS = ("stix_id", "type", "alias", "alias_key")
EXTERNAL_ID_COLUMNS = ("stix_id", "source_name", "external_id")
SEARCH_COLUMNS = ("stix_id", "type", "name", "aliases", "description")
INCIDENT_COLUMNS = ("stix_id", "name", "start_date", "end_date", "intensity")
FACET_COLUMNS = ("stix_id", "facet", "value")
DYAD_COLUMNS = ("stix_id", "initiator", "receiver", "year")
Row = tuple[Any, ...]


def names_of(obj: dict[str, Any]) -> list[str]:
    """The object's name and every alias it carries, first the name."""
    names: list[str] = []
    name = obj.get("name")
    if isinstance(name, str) and name:
        names.append(name)
    for key in ("aliases", "x_mitre_aliases"):
        for value in obj.get(key) or ():
            if isinstance(value, str) and value and value not in names:
                names.append(value)
    return names


def relationship_rows(obj: dict[str, Any]) -> list[Row]:
    """Edges of a relationship or sighting: one per source/target pair (``RELATIONSHIP_COLUMNS``)."""
    revoked = bool(obj.get("revoked", False))
    if obj["type"] == "relationship":
        return [(obj["id"], "relationship", obj["relationship_type"], obj["source_ref"], obj["target_ref"],
                 revoked)]
    if obj["type"] == "sighting":
        sources = obj.get("where_sighted_refs") or [obj["id"]]
        return [(obj["id"], "sighting", "sighting-of", source, obj["sighting_of_ref"], revoked)
                for source in sources]
    return []


def alias_rows(obj: dict[str, Any], names: list[str] | None = None) -> list[Row]:
    """One row per distinct normalised name of an alias-bearing object (``ALIAS_COLUMNS``)."""
    if obj["type"] not in ALIAS_TYPES:
        return []
    rows: list[Row] = []
    seen = set()
    for name in names_of(obj) if names is None else names:
        key = alias_key(name)
        if key and key not in seen:
            seen.add(key)
            rows.append((obj["id"], obj["type"], name, key[:255]))
    return rows


def external_id_rows(obj: dict[str, Any]) -> list[Row]:
    """One row per external reference that carries a source identifier (``EXTERNAL_ID_COLUMNS``)."""
    rows: list[Row] = []
    for ref in obj.get("external_references") or ():
        external_id = ref.get("external_id")
        source = ref.get("source_name")
        if external_id and source:
            rows.append((obj["id"], str(source)[:128], str(external_id)[:255]))
    return rows


def search_row(obj: dict[str, Any], names: list[str] | None = None) -> Row | None:
    """The text of an object for full-text search (``SEARCH_COLUMNS``), or None for types not searched."""
    if obj["type"] in UNSEARCHED_TYPES:
        return None
    if names is None:
        names = names_of(obj)
    description = obj.get("description")
    if not names and not isinstance(description, str):
        return None
    return (obj["id"], obj["type"], names[0] if names else None, " ".join(names[1:]) or None,
            description if isinstance(description, str) else None)


def intensity_of(ir: dict[str, Any]) -> float | None:
    """The incident's intensity value (its scale is in the IR extension), or None when not a number."""
    intensity = ir.get("intensity")
    value = intensity.get("value") if isinstance(intensity, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def incident_rows(obj: dict[str, Any]) -> tuple[Row | None, list[Row], list[Row]]:
    """(incident row, facet rows, dyad rows) of an incident's IR properties.

    In the column orders ``INCIDENT_COLUMNS``, ``FACET_COLUMNS`` and ``DYAD_COLUMNS``.
    """
    if obj["type"] != "incident":
        return None, [], []
    ir = ir_properties(obj)
    # Timelines and date filters use the start date, else the disclosure date (CFR has only that).
    start = ir.get("start_date") or ir.get("disclosure_date")
    incident = (obj["id"], obj.get("name"), start, ir.get("end_date"), intensity_of(ir))
    facets: list[Row] = []

    def add(facet: str, values: Any) -> None:
        for value in values or ():
            if isinstance(value, str) and value:
                facets.append((obj["id"], facet, value[:255]))

    initiators = sorted(set(ir.get("initiator_countries") or []))
    receivers = sorted(set(ir.get("receiver_countries") or []))
    add("initiator", initiators)
    add("receiver", receivers)
    add("type", ir.get("incident_types"))
    add("sector", ir.get("sectors"))
    add("receiver_category", ir.get("receiver_categories"))
    add("initiator_category", [ir.get("initiator_category")])
    add("actor", ir.get("actors"))
    add("effect", ir.get("effects"))
    year = int(start[:4]) if isinstance(start, str) and start[:4].isdigit() else None
    dyads = [
        (obj["id"], initiator, receiver, year)
        for initiator in (initiators or [None])
        for receiver in (receivers or [None])
    ]
    return incident, facets, dyads
