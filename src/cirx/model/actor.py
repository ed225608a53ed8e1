"""The actor extension of STIX 2.1 ``intrusion-set`` and ``threat-actor`` objects.

STIX 2.1 says little about who stands behind an actor; cirx adds what
international-relations research needs through a proper STIX 2.1 property
extension (``extension-definition`` with a JSON schema), mirroring the incident
extension in :mod:`cirx.model.incident`.  An actor carries it under
``extensions[ACTOR_EXTENSION_ID]``:

- ``sponsor_country``: suspected state sponsor (ISO alpha-2), as CFR codes it;
- ``country``: where the actor is believed to operate from (ISO alpha-2);
- ``attribution_confidence``: 0-100, as the MISP galaxy grades it;
- ``suspected_victims``: ISO alpha-2 codes of the victim states;
- ``target_categories`` and ``incident_types``: the source's own words;
- ``names_by_scheme``: which naming scheme each name comes from, where one can
  tell (MITRE ATT&CK, MISP, Microsoft, CrowdStrike, Mandiant, ...);
- ``original_values``: each source's own values, by source then field.

:func:`alias_key` is the one normalisation of actor names cirx uses for alias
matching ("APT 28", "apt28" and "APT-28" are the same key).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from cirx.model.extensions import property_extension
from cirx.model.incident import CIRX_IDENTITY_ID

ACTOR_EXTENSION_ID = "extension-definition--89192a18-c088-4f6f-8146-824ae018d44b"
ACTOR_SCHEMA_URL = "https://cirx.example/schemas/actor-extension-1.0.json"

_ISO2 = {"type": "string", "pattern": "^[A-Z]{2}$"}
_STRINGS = {"type": "array", "items": {"type": "string"}}

ACTOR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": ACTOR_SCHEMA_URL,
    "title": "cirx properties of a STIX 2.1 intrusion-set or threat-actor",
    "type": "object",
    "required": ["extension_type"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "sponsor_country": _ISO2,
        "country": _ISO2,
        "attribution_confidence": {"type": "integer", "minimum": 0, "maximum": 100},
        "suspected_victims": {"type": "array", "items": _ISO2},
        "target_categories": _STRINGS,
        "incident_types": _STRINGS,
        "names_by_scheme": {
            "type": "object",
            "description": "Naming scheme (mitre-attack, misp, microsoft, crowdstrike, ...) to the names it gives.",
            "additionalProperties": _STRINGS,
        },
        "original_values": {
            "type": "object",
            "description": "Each source's own values, by source then field.",
        },
    },
}


def actor_extension_definition() -> dict[str, Any]:
    """The STIX ``extension-definition`` object for cirx's actor properties."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ACTOR_EXTENSION_ID,
        "created_by_ref": CIRX_IDENTITY_ID,
        "created": "2026-11-22T00:00:00.000Z",
        "modified": "2026-11-22T00:00:00.000Z",
        "name": "cirx actor properties",
        "description": (
            "Suspected state sponsor, origin country, attribution confidence, "
            "suspected victim states, target categories, incident types and the "
            "naming scheme of each alias of an intrusion-set or threat-actor."
        ),
        "schema": ACTOR_SCHEMA_URL,
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def actor_properties(obj: dict[str, Any]) -> dict[str, Any]:
    """The actor extension properties of an object (empty when it has none)."""
    return property_extension(obj, ACTOR_EXTENSION_ID)


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def alias_key(name: str) -> str:
    """Normalise an actor name for alias matching.

    Case-folds, removes accents, and drops every space and punctuation mark,
    so "APT 28", "apt28" and "APT-28" all give ``"apt28"``.  Letters of other
    scripts (e.g. Chinese names) are kept.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_WORD.sub("", stripped)


# --- naming schemes -------------------------------------------------------

# Microsoft's 2023 taxonomy: an adjective and a weather family ("Forest Blizzard").
MICROSOFT_FAMILIES = (
    "Blizzard", "Typhoon", "Sandstorm", "Sleet", "Hail", "Dust", "Cyclone", "Rain",
    "Tempest", "Tsunami", "Flood",
)
# Microsoft's earlier names were chemical elements in capitals ("STRONTIUM").
_ELEMENT_NAMES = """
HYDROGEN HELIUM LITHIUM BERYLLIUM BORON CARBON NITROGEN OXYGEN FLUORINE NEON SODIUM
MAGNESIUM ALUMINIUM ALUMINUM SILICON PHOSPHORUS SULFUR SULPHUR CHLORINE ARGON POTASSIUM
CALCIUM SCANDIUM TITANIUM VANADIUM CHROMIUM MANGANESE IRON COBALT NICKEL COPPER ZINC
GALLIUM GERMANIUM ARSENIC SELENIUM BROMINE KRYPTON RUBIDIUM STRONTIUM YTTRIUM ZIRCONIUM
NIOBIUM MOLYBDENUM TECHNETIUM RUTHENIUM RHODIUM PALLADIUM SILVER CADMIUM INDIUM TIN
ANTIMONY TELLURIUM IODINE XENON CAESIUM CESIUM BARIUM LANTHANUM CERIUM PRASEODYMIUM
NEODYMIUM PROMETHIUM SAMARIUM EUROPIUM GADOLINIUM TERBIUM DYSPROSIUM HOLMIUM ERBIUM
THULIUM YTTERBIUM LUTETIUM HAFNIUM TANTALUM TUNGSTEN RHENIUM OSMIUM IRIDIUM PLATINUM
GOLD MERCURY THALLIUM LEAD BISMUTH POLONIUM ASTATINE RADON FRANCIUM RADIUM ACTINIUM
THORIUM PROTACTINIUM URANIUM NEPTUNIUM PLUTONIUM AMERICIUM CURIUM BERKELIUM CALIFORNIUM
EINSTEINIUM FERMIUM MENDELEVIUM NOBELIUM LAWRENCIUM RUTHERFORDIUM DUBNIUM SEABORGIUM
BOHRIUM HASSIUM MEITNERIUM DARMSTADTIUM ROENTGENIUM COPERNICIUM NIHONIUM FLEROVIUM
MOSCOVIUM LIVERMORIUM TENNESSINE OGANESSON
"""
_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
# CrowdStrike: an adjective and an animal standing for a country or motive.
CROWDSTRIKE_ANIMALS = (
    "PANDA", "BEAR", "KITTEN", "CHOLLIMA", "SPIDER", "JACKAL", "TIGER", "LEOPARD",
    "BUFFALO", "CRANE", "SPHINX", "LYNX", "OCELOT", "SAIGA", "WOLF", "HAWK",
)
_MICROSOFT = "|".join(MICROSOFT_FAMILIES)
_CROWDSTRIKE = "|".join(CROWDSTRIKE_ANIMALS)
_SECUREWORKS = "BRONZE|IRON|COBALT|NICKEL|GOLD|TUNGSTEN|TIN|ALUMINUM|PLATINUM|ZINC|COPPER"
_NATO_LETTERS = "Alpha|Bravo|Charlie|Delta|Echo|Foxtrot|Golf|Hotel|India|Juliet|Kilo|Lima|Mike|Nova|Oscar"
_UNIT42 = "Ursa|Taurus|Serpens|Pisces|Libra|Scorpius|Lynx|Draco|Pavo|Orion"

# Ordered: the first matching pattern names the scheme.
_SCHEME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("microsoft", re.compile(rf"^[A-Z][a-z]+ (?:{_MICROSOFT})$")),
    ("microsoft", re.compile(r"^(?:Storm|DEV)-\d{3,4}$", re.IGNORECASE)),
    ("crowdstrike", re.compile(rf"^[A-Za-z]+ (?:{_CROWDSTRIKE})$", re.IGNORECASE)),
    ("secureworks", re.compile(rf"^(?:{_SECUREWORKS}) [A-Z]+$")),
    ("secureworks", re.compile(r"^(?:TG|Threat Group)-\d{3,5}$")),
    ("palo-alto-unit42", re.compile(rf"^[A-Z][a-z]+ (?:{_UNIT42})$")),
    ("mandiant", re.compile(r"^(?:APT ?\d{1,3}|FIN\d{1,3}|UNC\d{2,5}|TEMP\.[A-Z][A-Za-z]+)$")),
    ("proofpoint", re.compile(r"^TA\d{3,4}$")),
    ("ibm-x-force", re.compile(r"^(?:ITG|Hive)\d{1,4}$")),
    ("cert-ua", re.compile(r"^UAC-\d{4}$")),
    ("qihoo-360", re.compile(r"^APT-C-\d{1,3}$")),
    ("recorded-future", re.compile(rf"^(?:TAG-\d{{1,3}}|(?:Blue|Red|Green|Purple)(?:{_NATO_LETTERS}))$")),
)


def naming_scheme(name: str) -> str | None:
    """The naming scheme a name follows, when its form gives it away.

    Recognises Microsoft's weather names ("Forest Blizzard"), its element names
    ("STRONTIUM") and ``Storm-``/``DEV-`` numbers; CrowdStrike's animals
    ("FANCY BEAR", "Charming Kitten"); Secureworks' metals ("IRON TWILIGHT");
    Unit 42's constellations ("Fighting Ursa"); Mandiant's APT/FIN/UNC/TEMP
    names; Proofpoint's TA numbers; IBM X-Force's ITG numbers; CERT-UA's UAC
    numbers; Qihoo 360's APT-C numbers; Recorded Future's TAG numbers and
    colour-letter names.  Returns ``None`` for any other name.
    """
    text = name.strip()
    if text.upper() == text and text in _ELEMENTS:
        return "microsoft"
    for scheme, pattern in _SCHEME_PATTERNS:
        if pattern.match(text):
            return scheme
    return None


def names_by_scheme(names: list[str], known: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
    """Group ``names`` by naming scheme.

    ``known`` gives names whose scheme the source itself tells (e.g. the
    ATT&CK group name under ``mitre-attack``, the MISP galaxy's value under
    ``misp``, the names of the Microsoft galaxy under ``microsoft``); other
    names are classified by :func:`naming_scheme`, and those it cannot place
    are left out.  Each list keeps the order of ``names``.
    """
    known = known or {}
    grouped: dict[str, list[str]] = {}
    for name in names:
        schemes = [scheme for scheme, members in known.items() if name in members]
        guessed = naming_scheme(name)
        if guessed and guessed not in schemes:
            schemes.append(guessed)
        for scheme in schemes:
            bucket = grouped.setdefault(scheme, [])
            if name not in bucket:
                bucket.append(name)
    return {scheme: grouped[scheme] for scheme in sorted(grouped)}
