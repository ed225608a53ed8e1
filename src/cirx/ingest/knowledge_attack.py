"""ATT&CK techniques, software and group relationships from the MISP ``mitre-*`` galaxies.

Part of the offline knowledge base (:mod:`cirx.ingest.knowledge`).  The
``mitre-attack-pattern``, ``mitre-malware`` and ``mitre-tool`` galaxies become
``attack-pattern``, ``malware`` and ``tool`` objects carrying their ATT&CK ids
(``mitre-attack`` external references) and kill chain phases; each group's
``related`` entries of type ``uses`` become ``uses`` relationships, and
``revoked-by`` entries mark the object ``revoked`` and link it to the object
that replaced it, as ATT&CK itself does.  The ATT&CK groups themselves are
actors and are made in :mod:`cirx.ingest.knowledge_actors`.
"""

from __future__ import annotations

from typing import Any

from cirx.errors import InvalidObject
from cirx.ingest.galaxies import (
    Galaxy,
    attack_ref,
    galaxy_id,
    galaxy_ref,
    meta_strings,
    related,
    split_attack_name,
)
from cirx.ingest.report import ImportReport
from cirx.model.ids import deterministic_id
from cirx.model.incident import CIRX_IDENTITY_ID

# Kill chain prefixes of the galaxy ("attack-Windows", "mobile-attack-iOS", "pre-attack").
_KILL_CHAINS = (("mobile-attack", "mitre-mobile-attack"), ("pre-attack", "mitre-pre-attack"),
                ("ics-attack", "mitre-ics-attack"), ("attack", "mitre-attack"))


def kill_chain_phases(entries: list[str]) -> list[dict[str, str]]:
    """STIX kill chain phases from the galaxy's ``kill_chain`` entries ("attack-Windows:persistence")."""
    phases: list[dict[str, str]] = []
    for entry in entries:
        prefix, _, phase = entry.partition(":")
        if not phase:
            continue
        chain = next((name for start, name in _KILL_CHAINS if prefix.startswith(start)), "mitre-attack")
        item = {"kill_chain_name": chain, "phase_name": phase}
        if item not in phases:
            phases.append(item)
    return phases


def _base(stix_type: str, galaxy: Galaxy, value: dict[str, Any], modified: str,
          created: str, report: ImportReport) -> dict[str, Any] | None:
    """The common part of an ATT&CK object, or None (rejected) when the value is unusable."""
    uuid, raw_name = value.get("uuid"), value.get("value")
    if not isinstance(uuid, str) or not isinstance(raw_name, str) or not raw_name.strip():
        report.reject(_invalid(galaxy, value, "uuid/value", "entry without a uuid or a value"))
        return None
    meta = value.get("meta") or {}
    name, attack_id = split_attack_name(raw_name)
    external_id = meta.get("external_id") if isinstance(meta.get("external_id"), str) else attack_id
    refs = [attack_ref(external_id)] if external_id else []
    refs.append(galaxy_ref(galaxy.name, uuid))
    obj: dict[str, Any] = {
        "type": stix_type,
        "spec_version": "2.1",
        "id": galaxy_id(stix_type, galaxy.name, uuid),
        "created": created,
        "modified": modified,
        "created_by_ref": CIRX_IDENTITY_ID,
        "name": name,
    }
    if isinstance(value.get("description"), str) and value["description"].strip():
        obj["description"] = value["description"].strip()
    obj["external_references"] = refs
    if related(value, "revoked-by"):
        obj["revoked"] = True
    platforms = meta_strings(meta, "mitre_platforms")
    if platforms:
        obj["x_mitre_platforms"] = platforms
    return obj


def _invalid(galaxy: Galaxy, value: dict[str, Any], prop: str, reason: str) -> InvalidObject:
    return InvalidObject(f"misp-galaxy {galaxy.name} '{value.get('value')}'", prop, reason)


def attack_objects(galaxies: list[tuple[str, Galaxy]], modified: dict[str, str], created: str,
                   report: ImportReport) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Objects for the technique and software galaxies, and a galaxy uuid -> STIX id index.

    ``galaxies`` pairs the STIX type with its galaxy (``("attack-pattern",
    mitre-attack-pattern)``, ``("malware", mitre-malware)``, ...); ``modified``
    gives each galaxy's ``modified`` stamp by galaxy name.
    """
    objects: list[dict[str, Any]] = []
    index: dict[str, str] = {}
    for stix_type, galaxy in galaxies:
        for value in galaxy.values:
            obj = _base(stix_type, galaxy, value, modified[galaxy.name], created, report)
            if obj is None:
                continue
            meta = value.get("meta") or {}
            if stix_type == "attack-pattern":
                phases = kill_chain_phases(meta_strings(meta, "kill_chain"))
                if phases:
                    obj["kill_chain_phases"] = phases
            else:
                aliases = [s for s in meta_strings(meta, "synonyms") if s != obj["name"]]
                if aliases:
                    obj["aliases"] = aliases
                if stix_type == "malware":
                    obj["is_family"] = True
            objects.append(obj)
            index[value["uuid"]] = obj["id"]
    return objects, index


def relationship(relationship_type: str, source_ref: str, target_ref: str, *, key: str,
                 modified: str, created: str, description: str | None = None) -> dict[str, Any]:
    """A cirx-authored STIX relationship whose id derives from ``key``."""
    rel: dict[str, Any] = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": deterministic_id("relationship", "misp-galaxy", key),
        "created": created,
        "modified": modified,
        "created_by_ref": CIRX_IDENTITY_ID,
        "relationship_type": relationship_type,
        "source_ref": source_ref,
        "target_ref": target_ref,
    }
    if description:
        rel["description"] = description
    return rel


def galaxy_relationships(galaxy: Galaxy, sources: dict[str, str], targets: dict[str, str],
                         types: tuple[str, ...], modified: str, created: str,
                         unresolved: dict[str, int]) -> list[dict[str, Any]]:
    """Relationships for the ``related`` entries of ``types`` of a galaxy's values.

    ``sources`` maps the galaxy's value uuids to the STIX ids emitted for them,
    ``targets`` every emitted galaxy uuid to its STIX id; an entry whose
    destination was not emitted (another galaxy, a rejected value) is counted in
    ``unresolved`` by relationship type and left out.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for value in galaxy.values:
        source_ref = sources.get(str(value.get("uuid")))
        if source_ref is None:
            continue
        for rel_type in types:
            for dest in related(value, rel_type):
                target_ref = targets.get(dest)
                if target_ref is None or target_ref == source_ref:
                    unresolved[rel_type] = unresolved.get(rel_type, 0) + 1
                    continue
                key = f"{value['uuid']}:{rel_type}:{dest}"
                if key in seen:
                    continue
                seen.add(key)
                out.append(relationship(rel_type, source_ref, target_ref, key=key,
                                        modified=modified, created=created))
    return out
