"""Threat actors: any alias resolves, across ATT&CK, MISP galaxy and vendor naming schemes."""

from __future__ import annotations

from typing import Any

from cirx.errors import NotFound
from cirx.store.reader import StixReader

ACTOR_TYPES = ["intrusion-set", "threat-actor"]
SOFTWARE_TYPES = ("malware", "tool")


def extension_values(obj: dict[str, Any]) -> dict[str, Any]:
    """All property-extension values of an object merged into one dict."""
    merged: dict[str, Any] = {}
    for value in (obj.get("extensions") or {}).values():
        if isinstance(value, dict):
            merged.update({k: v for k, v in value.items() if k != "extension_type"})
    return merged


def attack_id(obj: dict[str, Any]) -> str | None:
    """The ATT&CK id (G0007, T1566.001, S0002) of an object, if it has one."""
    for ref in obj.get("external_references") or ():
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return str(ref["external_id"])
    return None


class ActorService:
    """Actor profiles assembled from every stored object that names the same actor."""

    def __init__(self, reader: StixReader) -> None:
        self._reader = reader

    def resolve(self, name: str) -> list[dict[str, Any]]:
        """Every stored actor object that ``name`` designates, with those linked to it.

        Objects are linked when they share an ATT&CK group id; the ATT&CK object
        (if any) comes first.
        """
        ids = self._reader.resolve(name, ACTOR_TYPES)
        if not ids:
            raise NotFound(f"no actor named {name!r} (try an ATT&CK id like G0007 or another alias)")
        objects = {i: self._reader.get(i) for i in ids}
        for group_id in {attack_id(o) for o in objects.values()} - {None}:
            for other in self._reader.resolve(str(group_id), ACTOR_TYPES):
                objects.setdefault(other, self._reader.get(other))
        return sorted(objects.values(), key=lambda o: (attack_id(o) is None, o.get("name", "")))

    def profile(self, name: str) -> dict[str, Any]:
        """Names by scheme, sponsor state, techniques, software and incidents of an actor."""
        objects = self.resolve(name)
        ids = [o["id"] for o in objects]
        primary = objects[0]
        extension: dict[str, Any] = {}
        for obj in objects:
            for key, value in extension_values(obj).items():
                extension.setdefault(key, value)
        techniques: dict[str, dict[str, Any]] = {}
        software: dict[str, dict[str, Any]] = {}
        for stix_id in ids:
            for edge in self._reader.relationships(stix_id, direction="out", relationship_type="uses"):
                target = edge["target_ref"]
                if target.startswith("attack-pattern--"):
                    techniques.setdefault(target, {"id": target})
                elif target.startswith(SOFTWARE_TYPES):
                    software.setdefault(target, {"id": target})
        for bucket in (techniques, software):
            for stix_id, entry in bucket.items():
                try:
                    obj = self._reader.get(stix_id)
                except NotFound:
                    continue
                entry.update({"name": obj.get("name"), "attack_id": attack_id(obj), "type": obj["type"]})
        aliases = self._reader.aliases_of(ids)
        incidents = self._reader.incidents_of_actor(ids, aliases)
        return {
            "name": primary.get("name"),
            "ids": ids,
            "attack_id": next((attack_id(o) for o in objects if attack_id(o)), None),
            "aliases": aliases,
            "names_by_scheme": extension.get("names_by_scheme", {}),
            "sponsor_country": extension.get("sponsor_country"),
            "country": extension.get("country"),
            "attribution_confidence": extension.get("attribution_confidence"),
            "description": primary.get("description"),
            "techniques": sorted(techniques.values(), key=lambda t: t.get("attack_id") or ""),
            "software": sorted(software.values(), key=lambda s: s.get("name") or ""),
            "incidents": incidents,
        }
