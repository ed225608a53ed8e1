"""Actors of the offline knowledge base: one ``intrusion-set`` per actor of the MISP
``threat-actor`` galaxy, per ATT&CK group (``mitre-intrusion-set``), per Tidal
group (``tidal-groups``, when the package has it) and per Microsoft activity
group that matches none of these.

Linking (so that any alias resolves to every object for the same actor):

- a ``threat-actor`` (or Tidal) actor and an ATT&CK group are the same actor
  when either names the other in a ``related`` entry of type ``similar`` or
  ``same-as``, when they share an ATT&CK id (a ``G0007`` synonym, an
  attack.mitre.org/groups/G0007 reference, Tidal's ``group_attack_id``), or
  when one's primary name is among the other's names.  Linked objects get each
  other's names as aliases (pairwise, not transitively, so one loose link
  cannot chain unrelated actors together), and the threat actor gets the
  group's ``mitre-attack`` external reference;
- Microsoft activity groups are first merged with each other (a new weather
  name lists its old element name as a synonym), then folded as aliases onto
  every actor they name in ``related`` or whose names contain one of
  Microsoft's names (failing both, any synonym); a group matching nothing
  becomes its own ``intrusion-set``;
- a revoked ATT&CK group's names become aliases of the group that replaced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
    url_refs,
)
from cirx.ingest.report import ImportReport
from cirx.model.actor import ACTOR_EXTENSION_ID, alias_key, names_by_scheme, naming_scheme
from cirx.model.countries import to_iso2
from cirx.model.incident import CIRX_IDENTITY_ID

SAME_ACTOR = ("similar", "same-as")
_GROUP_ID = re.compile(r"^G\d{4}$")
_GROUP_URL = re.compile(r"attack\.mitre\.org/groups/(G\d{4})")
_UNKNOWN = {"unknown", "none", "n/a", "unattributed"}


@dataclass(eq=False)
class ActorDraft:
    """An actor being assembled from one galaxy value (and what is folded onto it)."""

    galaxy: str
    uuid: str
    name: str
    description: str | None = None
    names: list[str] = field(default_factory=list)
    refs: list[dict[str, str]] = field(default_factory=list)
    attack_ids: list[str] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False

    @property
    def stix_id(self) -> str:
        """The STIX id of the intrusion-set made from this draft."""
        return galaxy_id("intrusion-set", self.galaxy, self.uuid)

    def add_names(self, names: list[str]) -> None:
        """Append names not there yet (exact spelling)."""
        for name in names:
            if name and name not in self.names:
                self.names.append(name)

    def add_ref(self, ref: dict[str, str]) -> None:
        """Append an external reference not there yet."""
        if ref not in self.refs:
            self.refs.append(ref)


def country_code(value: str) -> str | None:
    """ISO alpha-2 for a galaxy's country value, also UN-style "Iran (Islamic Republic of)"."""
    code = to_iso2(value)
    if code is None and "(" in value:
        head, _, rest = value.partition("(")
        code = to_iso2(f"{head.strip()}, {rest.rstrip(')').strip()}")
    return code


def _threat_actor(value: dict[str, Any], report: ImportReport) -> ActorDraft | None:
    """A draft for a ``threat-actor`` galaxy value, or None when it is rejected."""
    name = value.get("value")
    label = f"misp-galaxy threat-actor '{name}'"
    if not isinstance(name, str) or not name.strip() or not isinstance(value.get("uuid"), str):
        report.reject(InvalidObject(label, "uuid/value", "entry without a uuid or a value"))
        return None
    meta = value.get("meta") or {}
    draft = ActorDraft("threat-actor", value["uuid"], name.strip(), _text(value.get("description")))
    synonyms = meta_strings(meta, "synonyms")
    draft.attack_ids = [s for s in synonyms if _GROUP_ID.match(s)]
    draft.add_names([draft.name, *(s for s in synonyms if not _GROUP_ID.match(s))])
    for url in meta_strings(meta, "refs"):
        found = _GROUP_URL.search(url)
        if found and found.group(1) not in draft.attack_ids:
            draft.attack_ids.append(found.group(1))
    props: dict[str, Any] = {}
    country = meta_strings(meta, "country")
    if country:
        code = country_code(country[0])
        if code is None:
            report.reject(InvalidObject(label, "meta.country", f"{country[0]!r} is not a country"))
            return None
        props["country"] = code
    sponsor = meta_strings(meta, "cfr-suspected-state-sponsor")
    if sponsor and sponsor[0].lower() not in _UNKNOWN:
        code = country_code(sponsor[0])
        if code is None:
            report.reject(InvalidObject(label, "meta.cfr-suspected-state-sponsor",
                                        f"{sponsor[0]!r} is not a country"))
            return None
        props["sponsor_country"] = code
    confidence = meta_strings(meta, "attribution-confidence")
    if confidence:
        if not confidence[0].isdigit() or not 0 <= int(confidence[0]) <= 100:
            report.reject(InvalidObject(label, "meta.attribution-confidence",
                                        f"{confidence[0]!r} is not a number from 0 to 100"))
            return None
        props["attribution_confidence"] = int(confidence[0])
    victims = [country_code(v) for v in
               meta_strings(meta, "cfr-suspected-victims") + meta_strings(meta, "suspected-victims")]
    if any(victims):
        props["suspected_victims"] = sorted({v for v in victims if v})
    categories = meta_strings(meta, "cfr-target-category") + meta_strings(meta, "targeted-sector")
    if categories:
        props["target_categories"] = list(dict.fromkeys(categories))
    if meta_strings(meta, "cfr-type-of-incident"):
        props["incident_types"] = meta_strings(meta, "cfr-type-of-incident")
    originals = {k: v for k, v in sorted(meta.items()) if k not in ("refs", "synonyms") and v not in ("", [])}
    if originals:
        props["original_values"] = {"misp-galaxy:threat-actor": originals}
    draft.props = props
    draft.refs = [galaxy_ref("threat-actor", draft.uuid), *url_refs(meta_strings(meta, "refs"))]
    return draft


def _group(value: dict[str, Any], galaxy: str, report: ImportReport) -> ActorDraft | None:
    """A draft for an ATT&CK group (``mitre-intrusion-set``) value."""
    raw = value.get("value")
    if not isinstance(raw, str) or not raw.strip() or not isinstance(value.get("uuid"), str):
        report.reject(InvalidObject(f"misp-galaxy {galaxy} '{raw}'", "uuid/value",
                                    "entry without a uuid or a value"))
        return None
    meta = value.get("meta") or {}
    name, attack_id = split_attack_name(raw)
    external = meta.get("external_id") if isinstance(meta.get("external_id"), str) else attack_id
    draft = ActorDraft(galaxy, value["uuid"], name, _text(value.get("description")))
    draft.attack_ids = [external] if external else []
    draft.add_names([name, *meta_strings(meta, "synonyms")])
    draft.refs = [galaxy_ref(galaxy, draft.uuid), *url_refs(meta_strings(meta, "refs"))]
    draft.revoked = bool(related(value, "revoked-by"))
    return draft


def _tidal_group(value: dict[str, Any], report: ImportReport) -> ActorDraft | None:
    """A draft for a Tidal Cyber group (``tidal-groups``)."""
    raw = value.get("value")
    if not isinstance(raw, str) or not raw.strip() or not isinstance(value.get("uuid"), str):
        report.reject(InvalidObject(f"misp-galaxy tidal-groups '{raw}'", "uuid/value",
                                    "entry without a uuid or a value"))
        return None
    meta = value.get("meta") or {}
    draft = ActorDraft("tidal-groups", value["uuid"], raw.strip(), _text(value.get("description")))
    draft.add_names([draft.name, *meta_strings(meta, "synonyms")])
    draft.refs = [galaxy_ref("tidal-groups", draft.uuid)]
    group_id = meta.get("group_attack_id")
    if isinstance(group_id, str) and group_id:
        if meta.get("source") == "MITRE" and _GROUP_ID.match(group_id):
            draft.attack_ids = [group_id]
        else:
            draft.add_ref({"source_name": "tidal-cyber", "external_id": group_id})
    props: dict[str, Any] = {}
    code = country_code(meta_strings(meta, "country")[0]) if meta_strings(meta, "country") else None
    if code:
        props["country"] = code
    victims = {country_code(v) for v in meta_strings(meta, "observed_countries")}
    if victims - {None}:
        props["suspected_victims"] = sorted(v for v in victims if v)
    if meta_strings(meta, "target_categories"):
        props["target_categories"] = meta_strings(meta, "target_categories")
    originals = {k: meta[k] for k in ("source", "observed_motivations", "country", "observed_countries")
                 if meta.get(k) not in (None, "", [])}
    if originals:
        props["original_values"] = {"misp-galaxy:tidal-groups": originals}
    draft.props = props
    return draft


def _old_microsoft_name(name: str) -> bool:
    """Microsoft's old names: one capitalised word (STRONTIUM, KNOTWEED) or a DEV- number."""
    if naming_scheme(name) == "microsoft":
        return True
    return name.isupper() and name.isalpha() and len(name) > 3


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class _NameIndex:
    """alias_key of every name -> the drafts carrying it."""

    def __init__(self, drafts: list[ActorDraft]) -> None:
        self._by_key: dict[str, list[ActorDraft]] = {}
        for draft in drafts:
            for name in draft.names:
                bucket = self._by_key.setdefault(alias_key(name), [])
                if draft not in bucket:
                    bucket.append(draft)

    def find(self, name: str) -> list[ActorDraft]:
        return self._by_key.get(alias_key(name), [])


def _link(actors: list[ActorDraft], groups: list[ActorDraft],
          raw: dict[str, dict[str, Any]]) -> list[tuple[ActorDraft, ActorDraft]]:
    """Pairs (actor, group) that are the same actor (a revoked group links to nothing)."""
    by_uuid = {g.uuid: g for g in groups}
    by_attack: dict[str, list[ActorDraft]] = {}
    for group in groups:
        for attack_id in group.attack_ids:
            by_attack.setdefault(attack_id, []).append(group)
    group_index = _NameIndex(groups)
    by_primary: dict[str, list[ActorDraft]] = {}
    for group in groups:
        by_primary.setdefault(alias_key(group.name), []).append(group)
    back: dict[str, list[ActorDraft]] = {}
    for group in groups:
        for dest in related(raw[group.uuid], *SAME_ACTOR):
            back.setdefault(dest, []).append(group)
    pairs: list[tuple[ActorDraft, ActorDraft]] = []
    for actor in actors:
        found: list[ActorDraft] = []
        found += [by_uuid[d] for d in related(raw.get(actor.uuid, {}), *SAME_ACTOR) if d in by_uuid]
        found += back.get(actor.uuid, [])
        found += [g for a in actor.attack_ids for g in by_attack.get(a, [])]
        found += group_index.find(actor.name)
        found += [g for key in dict.fromkeys(alias_key(n) for n in actor.names) for g in by_primary.get(key, [])]
        for group in dict.fromkeys(found):
            if group.revoked:
                continue
            pairs.append((actor, group))
    return pairs


def _microsoft(msft: Galaxy, targets: list[ActorDraft],
               raw: dict[str, dict[str, Any]]) -> tuple[list[ActorDraft], set[str]]:
    """Fold Microsoft groups onto ``targets``; return the unmatched ones as drafts, and all Microsoft names."""
    values = [v for v in msft.values if isinstance(v.get("value"), str) and isinstance(v.get("uuid"), str)]
    parent = {v["uuid"]: v["uuid"] for v in values}

    def root(uuid: str) -> str:
        while parent[uuid] != uuid:
            uuid = parent[uuid]
        return uuid

    by_key = {alias_key(v["value"]): v for v in values}
    microsoft_names: set[str] = set()
    for value in values:
        microsoft_names.add(value["value"])
        synonyms = meta_strings(value.get("meta") or {}, "synonyms")
        if naming_scheme(value["value"]) == "microsoft" and synonyms and _old_microsoft_name(synonyms[0]):
            microsoft_names.add(synonyms[0])  # the old name a new weather name replaced
        for synonym in synonyms:
            other = by_key.get(alias_key(synonym))
            if other is not None:
                parent[root(other["uuid"])] = root(value["uuid"])
    clusters: dict[str, list[dict[str, Any]]] = {}
    for value in values:
        clusters.setdefault(root(value["uuid"]), []).append(value)
    by_uuid = {t.uuid: t for t in targets}
    back: dict[str, list[ActorDraft]] = {}
    for target in targets:
        for dest in related(raw.get(target.uuid, {}), *SAME_ACTOR):
            back.setdefault(dest, []).append(target)
    index = _NameIndex(targets)
    standalone: list[ActorDraft] = []
    for members in clusters.values():
        members.sort(key=lambda v: (naming_scheme(v["value"]) != "microsoft" or v["value"].isupper(), v["value"]))
        own = [v["value"] for v in members]
        synonyms = [s for v in members for s in meta_strings(v.get("meta") or {}, "synonyms")]
        found: list[ActorDraft] = []
        for member in members:
            found += [by_uuid[d] for d in related(member, *SAME_ACTOR) if d in by_uuid]
            found += back.get(member["uuid"], [])
        for name in own + [s for s in synonyms if s in microsoft_names]:
            found += index.find(name)
        if not found:
            for name in synonyms:
                found += index.find(name)
        names = list(dict.fromkeys(own + synonyms))
        refs = [galaxy_ref(msft.name, v["uuid"]) for v in members]
        if found:
            for target in dict.fromkeys(found):
                target.add_names(names)
                for ref in refs:
                    target.add_ref(ref)
            continue
        lead = members[0]
        draft = ActorDraft(msft.name, lead["uuid"], lead["value"], _text(lead.get("description")))
        draft.add_names(names)
        draft.refs = refs + url_refs(m for v in members for m in meta_strings(v.get("meta") or {}, "refs"))
        code = country_code(meta_strings(lead.get("meta") or {}, "country")[0]) \
            if meta_strings(lead.get("meta") or {}, "country") else None
        if code:
            draft.props["country"] = code
        standalone.append(draft)
    return standalone, microsoft_names


def build_actors(threat_actor: Galaxy, groups_galaxy: Galaxy, msft: Galaxy | None,
                 tidal: Galaxy | None, report: ImportReport) -> tuple[list[ActorDraft], dict[str, set[str]]]:
    """Every actor draft, ATT&CK groups first, and the names each naming scheme is known to give."""
    raw = {v["uuid"]: v for g in (threat_actor, groups_galaxy, msft, tidal) if g
           for v in g.values if isinstance(v.get("uuid"), str)}
    groups = [d for v in groups_galaxy.values if (d := _group(v, groups_galaxy.name, report))]
    actors = [d for v in threat_actor.values if (d := _threat_actor(v, report))]
    tidal_groups: list[ActorDraft] = []
    if tidal is not None:
        main = [v for v in tidal.values if not str(v.get("value", "")).endswith(" - Associated Group")]
        tidal_groups = [d for v in main if (d := _tidal_group(v, report))]
        by_uuid = {d.uuid: d for d in tidal_groups}
        for value in tidal.values:
            if str(value.get("value", "")).endswith(" - Associated Group"):
                alias = str(value["value"]).removesuffix(" - Associated Group")
                for dest in related(value, *SAME_ACTOR):
                    if dest in by_uuid:
                        by_uuid[dest].add_names([alias])
    by_uuid_group = {g.uuid: g for g in groups}
    for group in groups:  # a revoked group's names resolve to its replacement
        for dest in related(raw[group.uuid], "revoked-by"):
            if dest in by_uuid_group:
                by_uuid_group[dest].add_names(group.names)
    pairs = _link(actors + tidal_groups, groups, raw) + _link(tidal_groups, actors, raw)
    standalone: list[ActorDraft] = []
    microsoft_names: set[str] = set()
    if msft is not None:
        standalone, microsoft_names = _microsoft(msft, [g for g in groups if not g.revoked] + actors, raw)
    snapshot = {id(d): list(d.names) for d in groups + actors + tidal_groups}
    for actor, group in pairs:
        actor.add_names(snapshot[id(group)])
        group.add_names(snapshot[id(actor)])
        if group.galaxy == groups_galaxy.name:  # an ATT&CK id names the group itself
            actor.attack_ids.extend(a for a in group.attack_ids if a not in actor.attack_ids)
    known = {
        "mitre-attack": {g.name for g in groups},
        "misp": {a.name for a in actors},
        "microsoft": microsoft_names,
        "tidal-cyber": {t.name for t in tidal_groups},
    }
    return groups + actors + tidal_groups + standalone, known


def actor_object(draft: ActorDraft, known: dict[str, set[str]], created: str, modified: str) -> dict[str, Any]:
    """The STIX ``intrusion-set`` for a draft, with the actor extension filled."""
    primary = alias_key(draft.name)
    aliases: list[str] = []
    seen = {primary}
    for name in draft.names:
        key = alias_key(name)
        if key and key not in seen and not _GROUP_ID.match(name):
            seen.add(key)
            aliases.append(name)
    refs = [attack_ref(a) for a in draft.attack_ids] + draft.refs
    extension: dict[str, Any] = {"extension_type": "property-extension"}
    extension.update({k: v for k, v in draft.props.items() if k != "original_values"})
    schemes = names_by_scheme([draft.name, *aliases], known)
    if schemes:
        extension["names_by_scheme"] = schemes
    if "original_values" in draft.props:
        extension["original_values"] = draft.props["original_values"]
    obj: dict[str, Any] = {
        "type": "intrusion-set",
        "spec_version": "2.1",
        "id": draft.stix_id,
        "created": created,
        "modified": modified,
        "created_by_ref": CIRX_IDENTITY_ID,
        "name": draft.name,
    }
    if draft.description:
        obj["description"] = draft.description
    if aliases:
        obj["aliases"] = aliases
    if draft.revoked:
        obj["revoked"] = True
    obj["external_references"] = refs
    obj["extensions"] = {ACTOR_EXTENSION_ID: extension}
    return obj
