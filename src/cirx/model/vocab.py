"""cirx's common vocabularies and the tables that map each source's terms onto them.

Every ``*_from(source, value)`` function takes a source vocabulary's name and one
of its values and returns cirx's term(s).  Sources: ``cfr`` (CFR Cyber
Operations Tracker), ``eurepoc``, ``dcid`` (method / target-type codes),
``dcid-objective``, ``dcid-critical-infrastructure`` (US DHS sector codes 1-17),
``attack-impact`` (ATT&CK impact technique names, as EuRepoC's ``MITRE_impact``),
``rsit``, ``veris``, ``nis2`` / ``eu-nis-sector-and-subsectors`` (sectors) and
``cirx`` (the common term itself, checked).  A value the source does not know
maps to ``[]``; a source name cirx does not know raises :class:`LookupError`.

RSIT and NIS2 terms come from the MISP taxonomies (``pytaxonomies``), loaded
on first use, never at import time.  Sectors are the NIS2 sector names
(``energy``, ``transport``, ``banking``, ``health``, ``digital-infrastructure``,
``public-administration``, ``research``...) plus :data:`OTHER_SECTORS` for the
targets international-relations datasets code that NIS2 does not cover.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from cirx.model.incident import EFFECTS, INCIDENT_TYPES, INITIATOR_CATEGORIES

# Sectors outside NIS2 that CFR, EuRepoC and DCID code (government, society, ...).
OTHER_SECTORS = (
    "government", "military", "law-enforcement", "intelligence", "legislature", "judiciary", "diplomacy",
    "political-party", "elections", "defence-industry", "media", "education", "civil-society",
    "political-opposition", "religious-groups", "ethnic-groups", "criminal-groups", "terrorist-groups",
    "hacktivist-groups", "international-organisation", "individuals", "commercial-facilities", "dams",
    "emergency-services", "other",
)
# Broad receiver categories (EuRepoC's receiver_category level, CFR's Category, DCID's target type).
RECEIVER_CATEGORIES = (
    "government", "military", "critical-infrastructure", "private-sector", "civil-society", "media",
    "research", "international-organisation", "individuals", "other",
)

_T = tuple[str, ...]

# --- incident types ------------------------------------------------------------------
_TYPES: dict[str, dict[str, _T]] = {
    "cfr": {
        "espionage": ("espionage",), "sabotage": ("sabotage",), "denial of service": ("ddos",),
        "distributed denial of service": ("ddos",), "data destruction": ("data-destruction",),
        "financial theft": ("financial-theft",), "defacement": ("defacement",),
        "doxing": ("doxing",),
    },
    "eurepoc": {
        "disruption": ("disruption",), "data theft": ("data-theft",),
        "data theft & doxing": ("data-theft", "doxing"), "hijacking with misuse": ("hijacking",),
        "hijacking without misuse": ("intrusion",), "ransomware": ("ransomware",),
    },
    "attack-impact": {
        "data destruction": ("data-destruction",), "disk wipe": ("data-destruction",),
        "firmware corruption": ("data-destruction",), "inhibit system recovery": ("data-destruction",),
        "data encrypted for impact": ("ransomware",), "network denial of service": ("ddos",),
        "endpoint denial of service": ("disruption",), "service stop": ("disruption",),
        "system shutdown/reboot": ("disruption",), "account access removal": ("disruption",),
        "defacement": ("defacement",), "resource hijacking": ("hijacking",),
        "data exfiltration": ("data-theft",), "data manipulation": ("sabotage",),
    },
    # DCID 2.0 method: 1 vandalism, 2 denial of service, 3 intrusion, 4 infiltration
    # (4.1 logic bomb, 4.2 virus, 4.3 worm, 4.4 keystroke logging); 0 = no cyber action.
    "dcid": {
        "1": ("defacement",), "2": ("ddos",), "3": ("intrusion",), "3.1": ("intrusion",),
        "4": ("malware",), "4.1": ("malware", "data-destruction"), "4.2": ("malware",),
        "4.3": ("malware",), "4.4": ("malware",), "0": (),
    },
    # 1 disruption, 2 short-term espionage, 3 long-term espionage, 4 degradation.
    "dcid-objective": {"1": ("disruption",), "2": ("espionage",), "3": ("espionage",),
                       "4": ("sabotage",), "0": ()},
    # VERIS: action categories and varieties of action / attribute ("hacking",
    # "action.malware.variety.Ransomware", "attribute.integrity.variety.Defacement").
    "veris": {
        "hacking": ("intrusion",), "malware": ("malware",), "social": ("fraud",),
        "misuse": ("other",), "physical": ("other",), "error": ("other",),
        "environmental": ("other",), "ransomware": ("ransomware",), "dos": ("ddos",),
        "defacement": ("defacement",), "fraudulent transaction": ("financial-theft",),
        "misrepresentation": ("information-operation",), "destruction": ("data-destruction",),
        "interruption": ("disruption",), "degradation": ("disruption",),
        "confidentiality": ("data-theft",), "espionage": ("espionage",),
        "phishing": ("fraud",), "pretexting": ("fraud",), "export data": ("data-theft",),
    },
}
# RSIT: a class's default, then per-type exceptions.
_RSIT_CLASS: dict[str, _T] = {
    "abusive-content": ("other",), "malicious-code": ("malware",),
    "information-gathering": ("other",), "intrusion-attempts": ("intrusion",),
    "intrusions": ("intrusion",), "availability": ("disruption",),
    "information-content-security": ("data-theft",), "fraud": ("fraud",),
    "vulnerable": (), "other": ("other",), "test": (),
}
_RSIT_TYPE: dict[str, _T] = {
    "sniffing": ("espionage",), "social-engineering": ("fraud",), "burglary": ("other",),
    "ddos": ("ddos",), "sabotage": ("sabotage",), "data-loss": ("other",),
    "unauthorised-information-modification": ("data-destruction",),
    "unauthorised-use-of-resources": ("hijacking",), "copyright": ("other",),
    "undetermined": (),
}

# --- sectors and receiver categories -------------------------------------------------
_EUREPOC_SECTORS: dict[str, _T] = {
    # receiver_category (used when a receiver has no subcode)
    "state institutions / political system": ("government",), "media": ("media",),
    "science": ("research",), "education": ("education",), "social groups": ("civil-society",),
    "end user(s) / specially protected groups": ("individuals",),
    "international / supranational organization": ("international-organisation",),
    # receiver_category_subcode
    "government / ministries": ("government",), "civil service / administration":
    ("public-administration",), "military": ("military",), "police": ("law-enforcement",),
    "intelligence agencies": ("intelligence",), "legislative": ("legislature",),
    "judiciary": ("judiciary",), "political parties": ("political-party",),
    "election infrastructure / related systems": ("elections",),
    "other (e.g., embassies)": ("diplomacy",), "telecommunications": ("digital-infrastructure",),
    "energy": ("energy",), "defence industry": ("defence-industry",), "finance": ("banking",),
    "transportation": ("transport",), "health": ("health",), "water": ("drinking-water",),
    "waste water management": ("waste-water",), "chemicals": ("chemical",), "food": ("food",),
    "critical manufacturing": ("manufacturing",), "space": ("space",),
    "digital provider": ("digital-providers",), "research": ("research",),
    "advocacy / activists (e.g. human rights organizations)": ("civil-society",),
    "political opposition / dissidents / expats": ("political-opposition",),
    "religious": ("religious-groups",), "ethnic": ("ethnic-groups",),
    "criminal": ("criminal-groups",), "terrorist": ("terrorist-groups",),
    "hacktivist": ("hacktivist-groups",), "other social groups": ("civil-society",),
}
_SECTORS: dict[str, dict[str, _T]] = {
    "eurepoc": _EUREPOC_SECTORS,
    "cfr": {"government": ("government",), "military": ("military",),
            "civil society": ("civil-society",), "private sector": ()},
    # DCID target type: 1 private / non-state, 2 government (non-military), 3 military.
    "dcid": {"1": (), "2": ("government",), "3": ("military",)},
    # DCID "Crit Inf": the 16 US DHS critical-infrastructure sectors; 17 = none of them.
    "dcid-critical-infrastructure": {
        "1": ("chemical",), "2": ("commercial-facilities",), "3": ("digital-infrastructure",),
        "4": ("manufacturing",), "5": ("dams",), "6": ("defence-industry",),
        "7": ("emergency-services",), "8": ("energy",), "9": ("banking",), "10": ("food",),
        "11": ("government",), "12": ("health",), "13": ("ict-services",), "14": ("energy",),
        "15": ("transport",), "16": ("drinking-water",), "17": (),
    },
}
_RECEIVER_CATEGORIES: dict[str, dict[str, _T]] = {
    "eurepoc": {
        "state institutions / political system": ("government",),
        "critical infrastructure": ("critical-infrastructure",),
        "corporate targets": ("private-sector",), "media": ("media",), "science": ("research",),
        "education": ("research",), "social groups": ("civil-society",),
        "end user(s) / specially protected groups": ("individuals",),
        "international / supranational organization": ("international-organisation",),
        "other": ("other",), "military": ("military",),
    },
    "cfr": {"government": ("government",), "military": ("military",),
            "private sector": ("private-sector",), "civil society": ("civil-society",)},
    "dcid": {"1": ("private-sector",), "2": ("government",), "3": ("military",)},
}

# --- initiator categories --------------------------------------------------------------
_INITIATOR: dict[str, dict[str, str]] = {
    "eurepoc": {
        "state": "state", "non-state actor, state-affiliation suggested": "state-affiliated",
        "non-state-group, state-affiliation suggested": "state-affiliated",
        "hacktivist(s)": "hacktivist", "criminal(s)": "criminal",
        # politically motivated non-state groups: the closest common category
        "terrorist(s)": "hacktivist", "ethnic actors": "hacktivist",
        "religious actors": "hacktivist",
        "non-state-group": "unknown", "individual hacker(s)": "unknown",
        "private technology companies / hacking for hire groups without state affiliation "
        "/ research entities": "unknown",
        "unknown - not attributed": "unknown", "not available": "unknown", "unknown": "unknown",
    },
    "cfr": {},  # CFR tracks state-sponsored operations only
    "dcid": {"0": "state", "1": "state-affiliated"},  # the 3rdpartyinitiator flag
    "cirx": {c: c for c in INITIATOR_CATEGORIES},
    "veris": {"nation-state": "state", "state-affiliated": "state-affiliated",
              "organized crime": "criminal", "activist": "hacktivist", "unknown": "unknown"},
}

# --- effects ----------------------------------------------------------------------------
_EFFECTS: dict[str, dict[str, _T]] = {
    "cfr": {"espionage": ("data-theft",), "sabotage": ("disruption",),
            "denial of service": ("disruption",), "data destruction": ("destruction",),
            "defacement": ("disruption",), "doxing": ("data-theft", "information-operation"),
            "financial theft": ()},
    "dcid-objective": {"1": ("disruption",), "2": ("data-theft",), "3": ("data-theft",),
                       "4": ("destruction",), "0": ()},
    "attack-impact": {k: ("destruction",) for k in (
        "data destruction", "disk wipe", "firmware corruption", "inhibit system recovery")},
}
# EuRepoC effect columns: any value other than these means the effect happened.
_EUREPOC_EFFECT_FIELDS = {"disruption": "disruption", "data_theft": "data-theft",
                          "physical_effects_spatial": "physical-damage",
                          "physical_effects_temporal": "physical-damage"}
_NOTHING = {"", "none", "not available", "nan", "unknown", "false", "0"}


def _key(value: object) -> str:
    text = re.sub(r"\s+", " ", str(value).strip().lower())
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


def _known(table: dict[str, dict[str, Any]], source: str) -> dict[str, Any]:
    try:
        return table[source.lower()]
    except KeyError:
        raise LookupError(f"unknown vocabulary source {source!r}") from None


@functools.lru_cache(maxsize=1)
def _taxonomies() -> Any:
    from pytaxonomies import Taxonomies

    return Taxonomies()


@functools.lru_cache(maxsize=1)
def rsit_types() -> dict[str, str]:
    """RSIT incident types (from the MISP ``rsit`` taxonomy): type value -> class."""
    rsit = _taxonomies().get("rsit")
    return {entry: cls for cls, predicate in rsit.predicates.items() for entry in predicate.entries}


@functools.lru_cache(maxsize=1)
def nis2_sectors() -> tuple[str, ...]:
    """The NIS2 sectors (Annex I and II), from the MISP ``nis2`` taxonomy."""
    predicate = _taxonomies().get("nis2").predicates["impact-sectors-impacted"]
    return tuple(predicate.entries)


def sector_vocabulary() -> tuple[str, ...]:
    """Every sector term cirx uses: the NIS2 sectors, then :data:`OTHER_SECTORS`."""
    return nis2_sectors() + OTHER_SECTORS


def _machinetag(value: str) -> tuple[str, str]:
    """Split ``ns:predicate="value"``, ``predicate/value`` or ``predicate:value``."""
    text = value.strip()
    match = re.fullmatch(r'(?:[\w-]+:)?([\w-]+)="([^"]*)"', text)
    if match:
        return match.group(1).lower(), match.group(2).lower()
    for separator in ("/", ":", "."):
        if separator in text:
            head, _, tail = text.rpartition(separator)
            return head.lower(), tail.strip().lower()
    return "", text.lower()


_NIS_ALIASES = {
    "digitalinfrastructure": "digital-infrastructure", "diginfra": "digital-infrastructure",
    "water": "drinking-water", "market": "digital-providers", "search": "digital-providers",
    "cloud": "digital-infrastructure", "ict-management": "ict-services",
    "financial-market-infrastructures": "financial", "postal": "courier",
    **{k: "energy" for k in ("electricity", "oil", "gas", "hydrogen", "district-heating-and-cooling")},
    **{k: "transport" for k in ("air", "rail", "road")},
    **{k: "manufacturing" for k in ("medical-devices", "electronic-optical", "machine-tool",
                                    "electrical-equipment", "vehicle-manufacturing",
                                    "other-transport-equipment")},
}


def _nis_sector(entry: str) -> str:
    """A NIS / NIS2 sector or subsector name (value or label) -> its NIS2 sector."""
    entry = re.sub(r"\s+", "-", entry.strip().lower()).removeprefix("eu-nis-oes-")
    for suffix, sector in (("-energy", "energy"), ("-transport", "transport"), ("-dsp", "")):
        if entry.endswith(suffix):
            entry = sector or entry.removesuffix(suffix)
    entry = entry.removesuffix("-subsector")
    return _NIS_ALIASES.get(entry, entry)


def _rsit(value: str) -> list[str]:
    predicate, entry = _machinetag(value)
    known = rsit_types()
    if entry in _RSIT_CLASS and not predicate:
        return list(_RSIT_CLASS[entry])
    cls = known.get(entry)
    if cls is None or (predicate and predicate.split(":")[-1] not in (cls, "rsit")):
        return []
    return list(_RSIT_TYPE.get(entry, _RSIT_CLASS.get(cls, ())))


def _veris(value: str) -> list[str]:
    parts = [p.strip().lower() for p in re.split(r"[./]", value) if p.strip()]
    table = _TYPES["veris"]
    for part in reversed(parts):  # the most specific term first
        if part in table:
            return list(table[part])
    return []


def incident_types_from(source: str, value: str) -> list[str]:
    """Map one incident-type value of ``source`` to cirx's :data:`INCIDENT_TYPES`."""
    source = source.lower()
    if source == "rsit":
        return _rsit(value)
    if source == "veris":
        return _veris(value)
    if source == "cirx":
        return [_key(value)] if _key(value) in INCIDENT_TYPES else []
    return list(_known(_TYPES, source).get(_key(value), ()))


def sectors_from(source: str, value: str) -> list[str]:
    """Map a target/receiver category or sector of ``source`` to cirx sectors.

    EuRepoC receiver categories and subcodes, CFR categories, DCID target types
    and DHS critical-infrastructure codes, NIS2 and EU NIS sector names.
    """
    source = source.lower()
    if source in ("nis2", "eu-nis-sector-and-subsectors", "cirx"):
        entry = _nis_sector(_machinetag(value)[1])
        return [entry] if entry in sector_vocabulary() else []
    return list(_known(_SECTORS, source).get(_key(value), ()))


def receiver_categories_from(source: str, value: str) -> list[str]:
    """Map a receiver/target category of ``source`` to :data:`RECEIVER_CATEGORIES`."""
    key = _key(value)
    if source.lower() == "eurepoc" and key.startswith("corporate targets"):
        key = "corporate targets"
    if source.lower() == "cirx":
        return [key] if key in RECEIVER_CATEGORIES else []
    return list(_known(_RECEIVER_CATEGORIES, source).get(key, ()))


def initiator_category_from(source: str, value: str, subcode: str | None = None) -> str:
    """Map an initiator category (and EuRepoC's subcode) to :data:`INITIATOR_CATEGORIES`.

    EuRepoC's subcode refines a category that alone says nothing (``Non-state-group``,
    ``Individual hacker(s)``) into hacktivist, criminal, state-affiliated...  CFR records state-sponsored operations only, so
    any CFR value is ``state``; DCID's value is its ``3rdpartyinitiator`` flag.
    Raises :class:`LookupError` for a value the source does not have.
    """
    source = source.lower()
    if source == "cfr":
        return "state"
    table = _known(_INITIATOR, source)
    found = table.get(_key(value))
    if found is None:
        raise LookupError(f"{source}: {value!r} is not an initiator category")
    sub = _key(subcode or "")
    if sub.startswith("non-state-group, state-affiliation suggested"):
        sub = "non-state-group, state-affiliation suggested"
    return table.get(sub, found) if found == "unknown" else found  # a subcode refines only "unknown"


def effects_from(source: str, value: str, field: str | None = None) -> list[str]:
    """Map a value to cirx :data:`EFFECTS`.

    ``cfr``: the Type column; ``dcid-objective``: the objective code; ``dcid``:
    ``field`` ``information_operation`` (flag 1) or ``cyber_objective``;
    ``attack-impact``: an ATT&CK impact technique; ``eurepoc``: the value of
    ``field`` (``disruption``, ``data_theft``, ``physical_effects_spatial``,
    ``physical_effects_temporal``, ``MITRE_impact``) -- anything but
    none / not available there means the effect occurred.
    """
    source = source.lower()
    if source == "cirx":
        return [_key(value)] if _key(value) in EFFECTS else []
    if source == "eurepoc" and field:
        if field == "MITRE_impact":
            return effects_from("attack-impact", value)
        effect = _EUREPOC_EFFECT_FIELDS.get(field)
        return [effect] if effect and _key(value) not in _NOTHING else []
    if source == "dcid" and field == "information_operation":
        return ["information-operation"] if _key(value) == "1" else []
    if source == "dcid":
        source = "dcid-objective"
    return list(_known(_EFFECTS, source).get(_key(value), ()))


def attribution_basis_from(source: str, value: str) -> list[str]:
    """Short basis codes for an attribution type/basis (EuRepoC wording).

    Codes: technical-report, self-attribution, media-report, anonymous-sources,
    political-statement, legal-action, contested, international-organisation.
    """
    if source.lower() not in ("eurepoc", "cirx"):
        raise LookupError(f"unknown vocabulary source {source!r}")
    key = _key(value)
    return list(dict.fromkeys(code for pattern, code in _BASIS if re.search(pattern, key)))


_BASIS = (
    (r"technical report", "technical-report"), (r"^self-attribution|attacker confirms",
                                                "self-attribution"),
    (r"media", "media-report"), (r"anonymous", "anonymous-sources"),
    (r"political statement", "political-statement"),
    (r"legal action|indictment|sanction", "legal-action"), (r"contested", "contested"),
    (r"eu institution|international organization", "international-organisation"),
)


def attribution_kind_from(source: str, basis: str, attribution_type: str = "") -> str:
    """Who made an attribution (:data:`cirx.model.incident.ATTRIBUTION_SOURCES`).

    EuRepoC: ``attribution_basis`` first (attacker / IT-security community /
    receiver government / media / EU or international organisation), then the
    ``attribution_type`` for the bases that do not say who spoke (third party,
    receiver, contested, not available).
    """
    if source.lower() not in ("eurepoc", "cirx"):
        raise LookupError(f"unknown vocabulary source {source!r}")
    by_basis = {
        "attacker confirms": "self", "it-security community attributes attacker": "company",
        "attribution by receiver government / state entity": "government",
        "media-based attribution": "media",
        "attribution by eu institution/agency": "international-organisation",
        "attribution by international organization": "international-organisation",
    }
    found = by_basis.get(_key(basis))
    if found:
        return found
    kind = _key(attribution_type)
    if re.search(r"political statement|legal action|indictment", kind):
        return "government"
    if kind.startswith("self-attribution"):
        return "self"
    if kind.startswith("technical report"):
        return "company"
    if "media" in kind:
        return "media"
    return "other"
