"""Actor profiles from the store, as plain :class:`Knowledge` (the only I/O of attribution's model).

Read through a :class:`~cirx.store.reader.StixReader`, so a caller sees only
what the access policy lets it see:

- actors: every ``intrusion-set``/``threat-actor``; objects sharing an ATT&CK
  group id (``G0007``: the ATT&CK object, the MISP galaxy's actor, the Tidal
  group) are one actor, keyed by that id; the state is the MISP galaxy's
  ``sponsor_country``, else its ``country``, else one the ATT&CK description
  names ("a suspected Russian group");
- items: ``attack-pattern`` (``T…``) and ``malware``/``tool`` (``S…``);
- links: ``uses`` relationships actor→item and software→technique, with the
  reports they cite (:mod:`.citations`); and actor↔software pairs that a cited
  sentence of a description states ("[Lazarus Group] has used [ThreatNeedle]");
- the platform's own confirmed attributions: an incident whose
  ``attribution_claims`` hold a high-confidence or governmental claim naming an
  actor adds the techniques and software related to the incident to that
  actor's profile, as the report ``incident:<id>``;
- indicators that ``indicate`` an actor: their quoted pattern values.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from cirx.analysis.attribution.citations import citation_date, created_date, report_key, segments
from cirx.analysis.attribution.knowledge import (
    UNCITED,
    Actor,
    Item,
    Knowledge,
    Report,
    add_link,
    country_from_description,
)
from cirx.errors import NotFound
from cirx.model.actor import actor_properties, alias_key
from cirx.model.incident import ir_properties
from cirx.services.actors import attack_id
from cirx.store.reader import StixReader

ACTOR_TYPES = ("intrusion-set", "threat-actor")
SOFTWARE_TYPES = ("malware", "tool")
ITEM_TYPES = ("attack-pattern", *SOFTWARE_TYPES)
_MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"


def _retired(obj: dict[str, Any]) -> bool:
    return bool(obj.get("revoked") or obj.get("x_mitre_deprecated"))


class _Builder:
    """Accumulates one pass over the store."""

    def __init__(self) -> None:
        self.knowledge = Knowledge()
        self.key_of: dict[str, str] = {}  # stix id -> actor or item key
        self.actor_objects: dict[str, list[dict[str, Any]]] = {}
        self.descriptions: list[tuple[str, dict[str, Any]]] = []  # (owner key, object) with cited text
        self.incident_items: dict[str, set[str]] = {}
        self.indicates: dict[str, set[str]] = {}  # indicator id -> actor keys

    # -- objects ------------------------------------------------------------------

    def actor(self, obj: dict[str, Any]) -> None:
        if _retired(obj):
            return
        external = attack_id(obj)
        key = external if external and external.startswith("G") else obj["id"]
        self.key_of[obj["id"]] = key
        self.actor_objects.setdefault(key, []).append(obj)

    def item(self, obj: dict[str, Any]) -> None:
        if _retired(obj):
            return
        key = attack_id(obj) or obj["id"]
        self.key_of[obj["id"]] = key
        kind = "technique" if obj["type"] == "attack-pattern" else "software"
        aliases = tuple(a for a in obj.get("x_mitre_aliases") or obj.get("aliases") or () if isinstance(a, str))
        known = self.knowledge.items.get(key)
        if known is None or (obj.get("created_by_ref") == _MITRE):
            self.knowledge.items[key] = Item(key, str(obj.get("name") or key), kind,
                                             obj["type"] if kind == "software" else None,
                                             tuple(dict.fromkeys((*(known.aliases if known else ()), *aliases))))
        if kind == "software":
            self.descriptions.append((key, obj))

    def finish_actors(self) -> None:
        for key, objects in self.actor_objects.items():
            objects.sort(key=lambda o: (o.get("created_by_ref") != _MITRE, attack_id(o) is None))
            primary = objects[0]
            props = [actor_properties(o) for o in objects]
            sponsors = Counter(p["sponsor_country"] for p in props if p.get("sponsor_country"))
            origins = Counter(p["country"] for p in props if p.get("country"))
            country, basis = None, None
            if sponsors:
                country, basis = sponsors.most_common(1)[0][0], "suspected state sponsor (MISP galaxy)"
            elif origins:
                country, basis = origins.most_common(1)[0][0], "operates from (MISP galaxy)"
            else:
                country = country_from_description(primary.get("description"))
                basis = "named in the ATT&CK description" if country else None
            names = [str(o.get("name")) for o in objects if o.get("name")]
            for obj in objects:
                names.extend(a for a in obj.get("aliases") or () if isinstance(a, str))
            victims = frozenset(v for p in props for v in p.get("suspected_victims") or ())
            sectors = tuple(dict.fromkeys(s for p in props for s in p.get("target_categories") or ()))
            self.knowledge.actors[key] = Actor(
                key=key, name=str(primary.get("name") or key), attack_id=attack_id(primary),
                stix_ids=tuple(o["id"] for o in objects), aliases=tuple(dict.fromkeys(names)),
                country=country, country_basis=basis, victims=victims, sectors=sectors)
            self.descriptions.append((key, primary))

    # -- citations and links ---------------------------------------------------------------

    def cited_reports(self, obj: dict[str, Any]) -> dict[str, str]:
        """Source name -> report key for an object's citations (recording each report)."""
        found: dict[str, str] = {}
        for ref in obj.get("external_references") or ():
            name = ref.get("source_name")
            if not isinstance(name, str) or name == "mitre-attack" or name.startswith("misp-galaxy") \
                    or ref.get("external_id"):
                continue
            key = report_key(name, ref.get("url"))
            found[name.strip()] = key
            date = citation_date(name, ref.get("description")) or created_date(str(obj.get("created", "")))
            known = self.knowledge.reports.get(key)
            if known is None or (known.year is None and date) or (
                    date and known.year and date.basis == "citation" and known.date_basis != "citation"):
                self.knowledge.reports[key] = Report(key, name.strip(), ref.get("url"), date.iso if date else None,
                                                     date.year if date else None, date.basis if date else None)
        return found

    def relationship(self, rel: dict[str, Any]) -> None:
        source, target = rel.get("source_ref", ""), rel.get("target_ref", "")
        if rel.get("relationship_type") == "indicates" and source.startswith("indicator--") \
                and target in self.key_of and target.startswith(ACTOR_TYPES):
            self.indicates.setdefault(source, set()).add(self.key_of[target])
            return
        if _retired(rel):
            return
        if source.startswith("incident--") and target.startswith(ITEM_TYPES):
            self.incident_items.setdefault(source, set()).add(target)
            return
        if target.startswith("incident--") and source.startswith(ITEM_TYPES):
            self.incident_items.setdefault(target, set()).add(source)
            return
        if rel.get("relationship_type") != "uses":
            return
        owner, item = self.key_of.get(source), self.key_of.get(target)
        if owner is None or item is None or item not in self.knowledge.items:
            return
        cited = self.cited_reports(rel)
        reports = set(cited.values()) or {UNCITED + owner}
        if source.startswith(ACTOR_TYPES):
            add_link(self.knowledge.links, owner, item, reports)
            self.descriptions.append((owner, rel))
        elif source.startswith(SOFTWARE_TYPES) and self.knowledge.items[item].kind == "technique":
            add_link(self.knowledge.software_techniques, owner, item, reports)
            self.descriptions.append((owner, rel))

    def text_links(self) -> None:
        """Actor↔software pairs stated by cited sentences, credited to the sentences' reports."""
        by_attack = {a.attack_id: a.key for a in self.knowledge.actors.values() if a.attack_id}
        for owner, obj in self.descriptions:
            if not obj.get("description"):
                continue
            cited = self.cited_reports(obj)
            owner_is_actor = owner in self.knowledge.actors
            for segment in segments(obj["description"]):
                reports = {cited[name] for name in segment.citations if name in cited}
                if not reports:
                    continue
                if owner_is_actor:
                    for software in segment.software:
                        if software in self.knowledge.items:
                            add_link(self.knowledge.text_links, owner, software, reports)
                else:
                    for group in segment.groups:
                        if group in by_attack:
                            add_link(self.knowledge.text_links, by_attack[group], owner, reports)

    # -- confirmed attributions and indicators ----------------------------------------------------

    def confirmed_attributions(self, incidents: list[dict[str, Any]]) -> None:
        names = {alias_key(n): a.key for a in self.knowledge.actors.values() for n in (a.name, *a.aliases)}
        for incident in incidents:
            items = {self.key_of[i] for i in self.incident_items.get(incident["id"], ()) if i in self.key_of}
            if not items:
                continue
            for claim in ir_properties(incident).get("attribution_claims") or ():
                target = claim.get("attributed_to") or {}
                by = (claim.get("attributed_by") or {}).get("kind")
                if claim.get("confidence") != "high" and by not in ("government", "governments-jointly"):
                    continue
                ref = target.get("group_ref")
                actor = self.key_of.get(ref) if ref else names.get(alias_key(str(target.get("group") or "")))
                if actor is None:
                    continue
                key = f"incident:{incident['id']}"
                start = ir_properties(incident).get("start_date")
                date = created_date(f"{start}T00:00:00Z") if start else None
                self.knowledge.reports[key] = Report(key, str(incident.get("name") or key), None,
                                                     date.iso if date else None, date.year if date else None,
                                                     "incident start date" if date else None)
                for item in items:
                    add_link(self.knowledge.links, actor, item, {key})


def build_knowledge(reader: StixReader, *, incidents: bool = True, indicators: bool = True) -> Knowledge:
    """Everything attribution needs, read from the store as ``reader``'s principal sees it."""
    builder = _Builder()
    for obj in reader.iter_latest([*ACTOR_TYPES, *ITEM_TYPES]):
        if obj["type"] in ACTOR_TYPES:
            builder.actor(obj)
        else:
            builder.item(obj)
    builder.finish_actors()
    for rel in reader.iter_latest(["relationship"], include_revoked=False):
        builder.relationship(rel)
    builder.text_links()
    if incidents and builder.incident_items:
        wanted = [reader.get(i) for i in builder.incident_items if _exists(reader, i)]
        builder.confirmed_attributions(wanted)
    if indicators:
        builder.knowledge.indicators = _indicators(reader, builder)
    return builder.knowledge


def _exists(reader: StixReader, stix_id: str) -> bool:
    return bool(reader.names([stix_id]))


_QUOTED = re.compile(r"'((?:[^'\\]|\\.)+)'")


def _indicators(reader: StixReader, builder: _Builder) -> dict[str, frozenset[str]]:
    """Quoted pattern values of indicators that indicate an actor -> those actors."""
    found: dict[str, set[str]] = {}
    for indicator, actors in builder.indicates.items():
        try:
            pattern = str(reader.get(indicator).get("pattern") or "")
        except NotFound:
            continue
        for value in _QUOTED.findall(pattern):
            found.setdefault(value.strip().lower(), set()).update(actors)
    return {value: frozenset(actors) for value, actors in found.items()}
