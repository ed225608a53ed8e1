"""The offline knowledge base: MISP galaxies and taxonomies from registry packages as STIX 2.1.

``cirx init`` loads it on a machine without internet: everything comes from the
``pymispgalaxies`` and ``pytaxonomies`` packages.  :func:`read_knowledge_base`
yields, referenced objects before the relationships that reference them:

1. the actor and country-profile ``extension-definition`` objects;
2. a ``location`` per country of the ``country`` galaxy (ISO alpha-2, region,
   Budapest Convention status and basic facts in the country-profile extension);
3. an ``identity`` (``identity_class`` "class") per sector of the ``sector`` galaxy;
4. ``attack-pattern``, ``malware`` and ``tool`` objects from the ``mitre-*`` galaxies;
5. ``intrusion-set`` objects: ATT&CK groups, the ``threat-actor`` galaxy's
   actors, Tidal groups (when present) and unmatched Microsoft activity groups,
   linked and aliased as :mod:`cirx.ingest.knowledge_actors` explains;
6. ``campaign`` objects from ``tidal-campaigns`` (when present);
7. ``uses`` relationships from ATT&CK groups (and threat actors) to techniques
   and software, and ``revoked-by`` relationships, as the galaxies'
   ``related`` entries give them.

Identifiers: cirx derives its own ids (UUIDv5 of the galaxy and the value's
uuid, :func:`cirx.ingest.galaxies.galaxy_id`) for every object, including
those of the ``mitre-*`` galaxies, whose uuids are the ATT&CK STIX uuids.
Reusing ``intrusion-set--<ATT&CK uuid>`` would claim to be a *version* of
MITRE's object: STIX lets only the creator version an object and requires
``created`` to stay the same across versions, but the galaxy has neither
MITRE's ``created`` nor exactly its content (cirx adds the threat-actor and
Microsoft aliases and its extension), so importing the real ATT&CK bundle
afterwards would produce a second, conflicting version chain of one id.  With
derived ids the two are distinct objects for the same group, linked the way
every source is in cirx: by the ``mitre-attack`` external reference (G0007,
T1566.001, S0002), and by a ``misp-galaxy:<galaxy>`` reference whose
``external_id`` is the galaxy uuid, i.e. the ATT&CK STIX uuid
(``intrusion-set--<external_id>`` is MITRE's object).

Timestamps are fixed per package version (see :mod:`cirx.ingest.galaxies`),
so a re-import of the same packages is recognised as unchanged.

:func:`read_taxonomies` yields the TLP 2.0 marking definitions exactly as
OASIS publishes them, and :func:`vocabularies` gives the RSIT, NIS2 and
Admiralty-scale vocabularies of pytaxonomies as plain data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from cirx.access.tlp import TLP2_EXTENSION_ID, TLP2_MARKINGS
from cirx.errors import ConfigurationError, InvalidObject
from cirx.ingest.galaxies import (
    KB_CREATED,
    Galaxy,
    GalaxyLoader,
    attack_ref,
    galaxy_id,
    galaxy_ref,
    load_galaxy,
    meta_strings,
    related,
    stamp,
)
from cirx.ingest.knowledge_actors import actor_object, build_actors
from cirx.ingest.knowledge_attack import attack_objects, galaxy_relationships
from cirx.ingest.report import ImportReport
from cirx.model.actor import actor_extension_definition
from cirx.model.countries import country_name
from cirx.model.country_profile import (
    CONTINENTS,
    COUNTRY_EXTENSION_ID,
    budapest_status,
    country_extension_definition,
)
from cirx.model.incident import CIRX_IDENTITY_ID

REQUIRED = ("threat-actor", "mitre-intrusion-set", "mitre-attack-pattern", "mitre-malware",
            "mitre-tool", "country", "sector")
OPTIONAL = ("microsoft-activity-group", "region", "tidal-groups", "tidal-campaigns")

# UN M49 codes (the MISP region galaxy) to the STIX 2.1 region-ov vocabulary.
_M49_TO_STIX = {
    "002": "africa", "005": "south-america", "009": "oceania", "010": "antarctica",
    "011": "western-africa", "013": "central-america", "014": "eastern-africa",
    "015": "northern-africa", "017": "middle-africa", "018": "southern-africa",
    "019": "americas", "021": "northern-america", "029": "caribbean", "030": "eastern-asia",
    "034": "southern-asia", "035": "south-eastern-asia", "039": "southern-europe",
    "053": "australia-new-zealand", "054": "melanesia", "057": "micronesia",
    "061": "polynesia", "142": "asia", "143": "central-asia", "145": "western-asia",
    "150": "europe", "151": "eastern-europe", "154": "northern-europe",
    "155": "western-europe", "202": "africa", "419": "latin-america-caribbean",
    "830": "northern-europe",
}
_CONTINENT_TO_STIX = {"AF": "africa", "AN": "antarctica", "AS": "asia", "EU": "europe",
                      "NA": "americas", "OC": "oceania", "SA": "south-america"}
# The sector galaxy's values to the STIX 2.1 industry-sector-ov vocabulary.
_SECTORS = {
    "academia - university": ["education"], "higher education": ["education"],
    "education": ["education"], "aerospace": ["aerospace"], "space": ["aerospace"],
    "satellite navigation": ["aerospace"], "civil aviation": ["aerospace", "transportation"],
    "agriculture": ["agriculture"], "automotive": ["automotive"], "bank": ["financial-services"],
    "finance": ["financial-services"], "payment": ["financial-services"],
    "investment": ["financial-services"], "insurance": ["insurance"], "chemical": ["chemical"],
    "petrochemical": ["chemical", "energy"], "construction": ["construction"],
    "defense": ["defense"], "military": ["defense"], "energy": ["energy"],
    "electric": ["energy", "utilities"], "gas": ["energy"], "oil": ["energy"],
    "entertainment": ["entertainment"], "game": ["entertainment"], "casino": ["entertainment"],
    "streaming service": ["entertainment"], "government, administration": ["government"],
    "diplomacy": ["government-national"], "justice": ["government-public-services"],
    "police - law enforcement": ["government-emergency-services"], "health": ["healthcare"],
    "biomedical": ["healthcare"], "pharmacy": ["pharmaceuticals"], "hotels": ["hospitality-leisure"],
    "hospitality": ["hospitality-leisure"], "tourism": ["hospitality-leisure"],
    "travel": ["hospitality-leisure"], "restaurant": ["hospitality-leisure"],
    "infrastructure": ["infrastructure"], "digital infrastructure": ["infrastructure", "technology"],
    "water": ["water", "utilities"], "smart meter": ["utilities"], "it": ["technology"],
    "it - isp": ["telecommunications", "technology"], "it - security": ["technology"],
    "high tech": ["technology"], "technology": ["technology"], "semi-conductors": ["technology"],
    "programming": ["technology"], "managed services provider": ["technology"],
    "digital services": ["technology"], "dns service provider": ["technology"],
    "electronic": ["technology"], "communication equipment": ["technology", "telecommunications"],
    "telecoms": ["telecommunications"], "manufacturing": ["manufacturing"], "steel": ["manufacturing"],
    "metal": ["manufacturing"], "industrial": ["manufacturing"], "mining": ["mining"],
    "ngo": ["non-profit"], "non-profit organisation": ["non-profit"], "civil society": ["non-profit"],
    "think tanks": ["non-profit"], "news - media": ["communications"], "journalist": ["communications"],
    "television broadcast": ["communications"], "publishing industry": ["communications"],
    "retail": ["retail"], "ecommerce": ["retail"], "online marketplace": ["retail"],
    "trade": ["commercial"], "transport": ["transportation"], "maritime": ["transportation"],
    "railway": ["transportation"], "shipping": ["transportation"], "logistic": ["transportation"],
}
_SLUG = re.compile(r"[^a-z0-9]+")


def read_knowledge_base(report: ImportReport, *, load: GalaxyLoader = load_galaxy) -> Iterator[dict[str, Any]]:
    """Yield the knowledge base as STIX 2.1 dicts, referenced objects first.

    Bad galaxy entries are rejected on ``report`` (and left out); absent
    optional galaxies and links that could not be resolved are noted on it.
    ``load`` returns a galaxy by name (tests pass their own).
    """
    galaxies: dict[str, Galaxy] = {}
    for name in REQUIRED + OPTIONAL:
        galaxy = load(name)
        if galaxy is not None:
            galaxies[name] = galaxy
        elif name in REQUIRED:
            raise ConfigurationError(f"pymispgalaxies has no '{name}' galaxy; cannot build the knowledge base")
        else:
            report.note(f"galaxy '{name}' is not in this pymispgalaxies version; skipped")
    version = {name: g.version for name, g in galaxies.items()}
    yield actor_extension_definition()
    yield country_extension_definition()
    yield from _countries(galaxies["country"], galaxies.get("region"), report)
    yield from _sectors(galaxies["sector"])

    kinds = [("attack-pattern", galaxies["mitre-attack-pattern"]), ("malware", galaxies["mitre-malware"]),
             ("tool", galaxies["mitre-tool"])]
    objects, index = attack_objects(kinds, {g.name: stamp(g.version) for _, g in kinds}, KB_CREATED, report)
    yield from objects

    actor_versions = [version[n] for n in ("threat-actor", "mitre-intrusion-set",
                                           "microsoft-activity-group", "tidal-groups") if n in version]
    drafts, known = build_actors(galaxies["threat-actor"], galaxies["mitre-intrusion-set"],
                                 galaxies.get("microsoft-activity-group"), galaxies.get("tidal-groups"), report)
    actor_ids: dict[str, dict[str, str]] = {}
    for draft in drafts:
        yield actor_object(draft, known, KB_CREATED, stamp(*actor_versions))
        actor_ids.setdefault(draft.galaxy, {})[draft.uuid] = draft.stix_id
        index[draft.uuid] = draft.stix_id
    campaigns = galaxies.get("tidal-campaigns")
    if campaigns is not None:
        yield from _campaigns(campaigns, report)

    unresolved: dict[str, int] = {}
    groups = galaxies["mitre-intrusion-set"]
    rel_stamp = stamp(groups.version)
    yield from galaxy_relationships(groups, actor_ids.get(groups.name, {}), index, ("uses", "revoked-by"),
                                    rel_stamp, KB_CREATED, unresolved)
    software = {k: v for k, v in index.items() if v.startswith(("malware--", "tool--"))}
    yield from galaxy_relationships(galaxies["threat-actor"], actor_ids.get("threat-actor", {}), software,
                                    ("uses",), stamp(version["threat-actor"]), KB_CREATED, {})
    for _, galaxy in kinds:
        sources = {v["uuid"]: index[v["uuid"]] for v in galaxy.values if v.get("uuid") in index}
        yield from galaxy_relationships(galaxy, sources, index, ("revoked-by",), stamp(galaxy.version),
                                        KB_CREATED, unresolved)
    for rel_type, count in sorted(unresolved.items()):
        report.note(f"{count} ATT&CK '{rel_type}' link(s) point outside the knowledge base; left out")


def _countries(countries: Galaxy, regions: Galaxy | None, report: ImportReport) -> Iterator[dict[str, Any]]:
    """A ``location`` per country of the country galaxy."""
    m49 = {v["uuid"]: str(v.get("value", "")) for v in (regions.values if regions else [])}
    modified = stamp(countries.version, regions.version if regions else 0)
    for value in countries.values:
        meta = value.get("meta") or {}
        iso2 = str(meta.get("ISO") or "").strip().upper()
        label = f"misp-galaxy country '{value.get('value')}'"
        if not re.fullmatch(r"[A-Z]{2}", iso2) or not isinstance(value.get("uuid"), str):
            report.reject(InvalidObject(label, "meta.ISO", f"{iso2!r} is not an ISO 3166-1 alpha-2 code"))
            continue
        region_name = next((m49[d] for d in related(value, "located-in") if d in m49), "")
        region = _M49_TO_STIX.get(region_name[:3]) or _CONTINENT_TO_STIX.get(str(meta.get("Continent")))
        profile: dict[str, Any] = {"extension_type": "property-extension"}
        if re.fullmatch(r"[A-Z]{3}", str(meta.get("ISO3") or "")):
            profile["iso3"] = meta["ISO3"]
        if str(meta.get("Capital") or "").strip():
            profile["capital"] = str(meta["Capital"]).strip()
        if meta.get("Continent") in CONTINENTS:
            profile["continent"] = meta["Continent"]
        if str(meta.get("Population") or "").isdigit():
            profile["population"] = int(meta["Population"])
        if region_name:
            profile["un_m49_region"] = region_name
        try:
            name = country_name(iso2)
        except KeyError:
            name = str(value.get("description") or value.get("value") or iso2)
            profile["withdrawn_code"] = True
        original = meta.get("budapest-convention")
        status = budapest_status(original)
        if status is None:
            report.note(f"{label}: Budapest Convention value {original!r} unknown to cirx; kept as given")
        else:
            profile["budapest_convention"] = status
        if original:
            profile["budapest_convention_original"] = str(original)
        profile["budapest_convention_source"] = f"misp-galaxy:country v{countries.version}"
        location: dict[str, Any] = {
            "type": "location", "spec_version": "2.1",
            "id": galaxy_id("location", "country", iso2),
            "created": KB_CREATED, "modified": modified, "created_by_ref": CIRX_IDENTITY_ID,
            "name": name, "country": iso2,
        }
        if region:
            location["region"] = region
        location["external_references"] = [galaxy_ref("country", value["uuid"])]
        location["extensions"] = {COUNTRY_EXTENSION_ID: profile}
        yield location


def _sectors(sectors: Galaxy) -> Iterator[dict[str, Any]]:
    """An ``identity`` of class "class" per sector of the sector galaxy."""
    modified = stamp(sectors.version)
    for value in sectors.values:
        name = str(value.get("value") or "").strip()
        if not name or not isinstance(value.get("uuid"), str):
            continue
        vocab = _SECTORS.get(name.lower()) or [_SLUG.sub("-", name.lower()).strip("-")]
        identity: dict[str, Any] = {
            "type": "identity", "spec_version": "2.1",
            "id": galaxy_id("identity", "sector", value["uuid"]),
            "created": KB_CREATED, "modified": modified, "created_by_ref": CIRX_IDENTITY_ID,
            "name": name, "identity_class": "class", "sectors": vocab,
        }
        if isinstance(value.get("description"), str) and value["description"].strip():
            identity["description"] = value["description"].strip()
        synonyms = meta_strings(value.get("meta") or {}, "synonyms")
        if synonyms:
            identity["x_cirx_aliases"] = synonyms
        identity["external_references"] = [galaxy_ref("sector", value["uuid"])]
        yield identity


def _campaigns(campaigns: Galaxy, report: ImportReport) -> Iterator[dict[str, Any]]:
    """A ``campaign`` per value of the Tidal campaigns galaxy."""
    modified = stamp(campaigns.version)
    for value in campaigns.values:
        name = str(value.get("value") or "").strip()
        if not name or not isinstance(value.get("uuid"), str):
            report.reject(InvalidObject(f"misp-galaxy tidal-campaigns '{name}'", "uuid/value",
                                        "entry without a uuid or a value"))
            continue
        meta = value.get("meta") or {}
        refs = [galaxy_ref(campaigns.name, value["uuid"])]
        attack_id = str(meta.get("campaign_attack_id") or "")
        if re.fullmatch(r"C\d{4}", attack_id):
            refs.insert(0, attack_ref(attack_id) if meta.get("source") == "MITRE"
                        else {"source_name": "tidal-cyber", "external_id": attack_id})
        campaign: dict[str, Any] = {
            "type": "campaign", "spec_version": "2.1",
            "id": galaxy_id("campaign", campaigns.name, value["uuid"]),
            "created": KB_CREATED, "modified": modified, "created_by_ref": CIRX_IDENTITY_ID,
            "name": name,
        }
        if isinstance(value.get("description"), str) and value["description"].strip():
            campaign["description"] = value["description"].strip()
        for key in ("first_seen", "last_seen"):
            seen = str(meta.get(key) or "")
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", seen):
                campaign[key] = seen
        if campaign.get("last_seen", "9") < campaign.get("first_seen", ""):
            report.note(f"misp-galaxy tidal-campaigns '{name}': last_seen {campaign.pop('last_seen')} "
                        f"is before first_seen {campaign['first_seen']}; last_seen left out")
        campaign["external_references"] = refs
        yield campaign


# --- taxonomies -----------------------------------------------------------

def tlp2_extension_definition() -> dict[str, Any]:
    """The TLP 2.0 ``extension-definition`` as OASIS publishes it (cti-stix-common-objects)."""
    return {
        "id": TLP2_EXTENSION_ID,
        "type": "extension-definition",
        "spec_version": "2.1",
        "name": "TLP 2.0",
        "description": "This defines TLP 2.0 as a STIX extension",
        "created": "2022-10-01T00:00:00.000Z",
        "modified": "2022-10-01T00:00:00.000Z",
        "created_by_ref": "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
        "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/master/"
                  "extension-definition-specifications/tlp-2.0",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def read_taxonomies(report: ImportReport) -> Iterator[dict[str, Any]]:
    """Yield the TLP 2.0 extension definition and its five marking definitions.

    The objects are OASIS's own (ids, ``created``, no ``created_by_ref`` on the
    markings), so they match every other producer's.  The levels are checked
    against pytaxonomies' ``tlp`` taxonomy when it is installed.
    """
    levels = _taxonomy_values("tlp")
    if levels is not None:
        missing = [level for level in TLP2_MARKINGS if level not in levels.get("tlp", [])]
        if missing:
            report.note(f"pytaxonomies' tlp taxonomy lacks {missing}; the OASIS markings are used as published")
    yield tlp2_extension_definition()
    for level, marking_id in TLP2_MARKINGS.items():
        yield {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{level.upper()}",
            "extensions": {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
        }


def _taxonomy_values(namespace: str) -> dict[str, list[str]] | None:
    """predicate -> entry values of one pytaxonomies taxonomy (predicates without entries list [])."""
    try:
        root = resources.files("pytaxonomies") / "data" / "misp-taxonomies"
    except ModuleNotFoundError:
        return None
    source = root / namespace / "machinetag.json"
    if not source.is_file():
        return None
    data = json.loads(source.read_text(encoding="utf-8"))
    values: dict[str, list[str]] = {str(p["value"]): [] for p in data.get("predicates", [])}
    for block in data.get("values", []):
        values.setdefault(str(block["predicate"]), []).extend(str(e["value"]) for e in block.get("entry", []))
    if namespace == "tlp":  # TLP levels are predicates without entries
        values = {"tlp": list(values)}
    return values


def vocabularies() -> dict[str, list[str]]:
    """RSIT, NIS2 and Admiralty-scale vocabularies from pytaxonomies, as plain data.

    Keys: ``rsit`` ("category/type", e.g. "availability/ddos"), ``rsit-category``,
    ``nis2:<predicate>`` for each NIS2 predicate (e.g. ``nis2:impact-sectors-impacted``),
    ``admiralty-scale:source-reliability`` ("a".."g") and
    ``admiralty-scale:information-credibility`` ("1".."6"), values as the taxonomies spell them.
    """
    out: dict[str, list[str]] = {}
    rsit = _taxonomy_values("rsit")
    if rsit is not None:
        out["rsit-category"] = list(rsit)
        out["rsit"] = [f"{category}/{kind}" for category, kinds in rsit.items() for kind in kinds]
    for namespace in ("nis2", "admiralty-scale"):
        found = _taxonomy_values(namespace)
        for predicate, entries in (found or {}).items():
            out[f"{namespace}:{predicate}"] = entries
    if not out:
        raise ConfigurationError("the vocabularies need the 'pytaxonomies' package")
    return out
