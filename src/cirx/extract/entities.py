"""Named entities in a report: threat groups, malware, tools, countries, sectors, organisations, dates.

Groups, malware and tools come from the store (every name and alias of its
``intrusion-set``, ``threat-actor``, ``malware`` and ``tool`` objects), so a
mention resolves to the ATT&CK id the store knows (``G0092``, ``S0154``);
countries come from :mod:`cirx.model.countries` (names, adjectives, demonyms →
ISO alpha-2) with regions and major cities; sectors from cirx's sector
vocabulary.  Rules add what no list holds: a capitalised name followed by
"ransomware", "RAT", "loader"... is malware, ``TA505``/``UNC2452``/``FIN7``
style names are groups, "X Ltd"/"Ministry of X" are organisations, and dates
are found by pattern.  A name recognised once is recognised everywhere in the
same document, and a name two types share is typed by its neighbours ("the
Carbanak group", "the Carbanak backdoor").
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cirx.extract.gazetteer import Entry, Gazetteer, Tokens, tokenize
from cirx.extract.places import PLACES, SECTOR_TERMS, VENDORS


def _words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())

_TYPES = {"intrusion-set": "group", "threat-actor": "group", "malware": "malware", "tool": "tool"}
_GROUP_WORDS = _words("group gang actor actors apt team operators operator crew affiliates affiliate "
                         "threat cluster campaign")
_MALWARE_WORDS = _words("malware ransomware backdoor rat trojan loader stealer infostealer payload implant "
                           "dropper downloader variant variants sample samples family botnet worm beacon "
                           "keylogger rootkit wiper banker spyware")
_REMOTE_ACCESS = re.compile(r"remote access (?:tool|trojan)|\bRAT\b")
_NOT_NAMES = _words("the this that these those new its their our a an custom android windows linux macos "
                       "python powershell net second first final initial other same such known novel popular "
                       "commodity modular widespread deobfuscated decoded encrypted malicious")
_TOOL_WORDS = _words("tool tools framework utility")
_UNKNOWN_MALWARE = re.compile(
    r"\b([A-Z][A-Za-z0-9]*(?:[A-Z0-9][A-Za-z0-9]*)?)(?: |-)(?:ransomware|RAT|backdoor|loader|stealer|Stealer|"
    r"Loader|Backdoor|trojan|Trojan|botnet|malware|infostealer|downloader|dropper|implant|wiper|keylogger|"
    r"rootkit|banking trojan|spyware)\b")
_GROUP_CODE = re.compile(r"\b(?:TA\d{3,4}|APT ?\d{1,3}|UNC\d{2,5}|FIN\d{1,2}|DEV-\d{4}|Storm-\d{4}|"
                         r"TAG-\d{2,3}|TEMP\.[A-Z][a-z]+|G\d{4})\b")
_MONTHS = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
           r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = re.compile(
    rf"\b(?:(?:early|mid|late)[- ])?(?:{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d\d|"
    rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS},? (?:19|20)\d\d|{_MONTHS},? (?:of )?(?:19|20)\d\d|"
    rf"(?:19|20)\d\d-[01]\d-[0-3]\d|(?:Q[1-4] )?(?:19|20)\d\d(?![\d\-/]|\.\d)|{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?\b)")
# Bounded repetitions only: a long run of capitalised words must not make these backtrack.
_ORG_SUFFIX = re.compile(
    r"\b[A-Z][\w&.-]{0,40}(?: (?:[A-Z][\w&.-]{0,40}|of|and|for|&)){0,6} (?:Inc|Ltd|LLC|GmbH|Corp|Corporation|"
    r"Company|Co|S\.A|AG|plc|Limited|Agency|Bureau|Institute|University|Ministry|Department|Bank)\b\.?|"
    r"\b(?:Ministry|Department|Bureau|Office|Institute|University) of(?: the)?(?: [A-Z][\w&-]{0,40}"
    r"(?: and| of| &)?){1,6}")


@dataclass(frozen=True)
class Entity:
    """One mention: its type, text, span and identifier (ATT&CK id, ISO code, sector term, date)."""

    type: str
    text: str
    start: int
    end: int
    id: str | None = None
    name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The output contract's form."""
        return {"type": self.type, "text": self.text, "start": self.start, "end": self.end, "id": self.id}


def _attack_id(obj: dict[str, Any]) -> str | None:
    for ref in obj.get("external_references") or []:
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return str(ref["external_id"])
    return None


def build_gazetteer(objects: Iterable[dict[str, Any]]) -> Gazetteer:
    """The gazetteer of ``objects`` (the store's actors and software) and the built-in places and sectors."""
    gazetteer = Gazetteer()
    for obj in objects:
        kind = _TYPES.get(str(obj.get("type")))
        if kind is None or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        attack_id = _attack_id(obj)
        if kind == "tool" and (_REMOTE_ACCESS.search(str(obj.get("description", "")))
                               or str(obj.get("name", "")).endswith("RAT")):
            kind = "malware"  # commodity RATs ATT&CK files as tools are malware in reports
        entry = Entry(kind, attack_id, str(obj.get("name", "")), priority=1 if attack_id else 0)
        names = [str(obj.get("name", "")), *(obj.get("aliases") or []), *(obj.get("x_mitre_aliases") or [])]
        gazetteer.add_all(names, entry)
        if attack_id:
            gazetteer.add(attack_id, entry, force=True)
    add_places(gazetteer)
    return gazetteer


def add_places(gazetteer: Gazetteer) -> None:
    """Countries (names, adjectives, demonyms), regions, cities, sectors and security vendors."""
    from cirx.model.countries import _name_index

    for name, iso2 in _name_index().items():
        if len(name) > 3:
            gazetteer.add(name.title(), Entry("country", iso2, name.title(), priority=2), force=True)
    for place, code in PLACES.items():
        gazetteer.add(place, Entry("country", code, place, priority=2), force=True)
    for term, sector in SECTOR_TERMS.items():
        gazetteer.add(term, Entry("sector", sector, term, priority=2), force=True)
        gazetteer.add(term.capitalize(), Entry("sector", sector, term, priority=2), force=True)
    for vendor in VENDORS:
        gazetteer.add(vendor, Entry("organisation", None, vendor, priority=-1), force=True)


def _neighbour_type(text: str, tokens: Tokens, first: int, last: int) -> str | None:
    """The type the words around a mention suggest ("the X group", "X ransomware"), within its sentence."""
    spans = tokens.spans
    for index in (last + 1, last + 2, first - 1):
        if not 0 <= index < len(tokens.keys):
            continue
        gap = text[spans[min(index, first)][1]:spans[max(index, last)][0]] if index < first else \
            text[spans[last][1]:spans[index][0]]
        if any(mark in gap for mark in ".!?;:\n|"):
            continue
        key = tokens.keys[index]
        if key in _MALWARE_WORDS:
            return "malware"
        if key in _GROUP_WORDS:
            return "group"
        if key in _TOOL_WORDS:
            return "tool"
    return None


def extract_entities(text: str, gazetteer: Gazetteer) -> list[Entity]:
    """Every entity in ``text``, in order of position, not overlapping."""
    tokens = tokenize(text)
    hits = list(gazetteer.find(text, tokens))
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for hit in hits:
        hint = _neighbour_type(text, tokens, hit.first, hit.last)
        if hint:
            votes[hit.entry.name].update([hint])
    found: list[Entity] = []
    for hit in hits:
        entry = hit.entry
        types = {candidate.type for candidate in hit.candidates}
        if len(types) > 1 or entry.type in ("malware", "tool"):
            hint = _neighbour_type(text, tokens, hit.first, hit.last) or _majority(votes.get(entry.name))
            chosen = next((c for c in hit.candidates if c.type == hint), None)
            if chosen is not None:
                entry = chosen
            elif hint in ("malware", "tool") and entry.type in ("malware", "tool"):
                entry = Entry(hint, entry.id, entry.name)
        found.append(Entity(entry.type, text[hit.start:hit.end], hit.start, hit.end, entry.id, entry.name))
    kept = _resolve_overlaps(found + _rules(text))
    return _propagate(text, kept, tokens)


def _majority(votes: Counter[str] | None) -> str | None:
    """The type most neighbours suggest, if any."""
    return votes.most_common(1)[0][0] if votes else None


def _rules(text: str) -> list[Entity]:
    """Entities no list holds: unknown malware and group names, organisations, dates."""
    found: list[Entity] = []
    for match in _UNKNOWN_MALWARE.finditer(text):
        name = match.group(1)
        if len(name) >= 3 and name.lower() not in _MALWARE_WORDS and name.lower() not in _NOT_NAMES:
            found.append(Entity("malware", name, match.start(1), match.end(1), None, name))
    for match in _GROUP_CODE.finditer(text):
        found.append(Entity("group", match.group(), match.start(), match.end(), None, match.group()))
    for match in _ORG_SUFFIX.finditer(text):
        found.append(Entity("organisation", match.group().rstrip("."), match.start(),
                            match.start() + len(match.group().rstrip(".")), None, None))
    for match in _DATE.finditer(text):
        found.append(Entity("date", match.group(), match.start(), match.end(), None, None))
    return found


_RANK = {"group": 0, "malware": 1, "tool": 2, "country": 3, "organisation": 4, "sector": 5, "date": 6}


def _resolve_overlaps(found: list[Entity]) -> list[Entity]:
    """Keep, of overlapping mentions, the longest (then the gazetteer's, which come first)."""
    ordered = sorted(enumerate(found), key=lambda item: (item[1].start, -(item[1].end - item[1].start),
                                                         item[1].id is None, item[0]))
    kept: list[Entity] = []
    for _, entity in ordered:
        if kept and entity.start < kept[-1].end:
            continue
        kept.append(entity)
    return kept


def _propagate(text: str, found: list[Entity], tokens: Tokens) -> list[Entity]:
    """Find every other occurrence of the names the rules found (``MirrorBlast`` once typed, always).

    The type of such a name is the one most of its occurrences' neighbours suggest ("DarkSide
    operators", "DarkSide affiliates" make DarkSide a group even where one sentence says
    "DarkSide ransomware").
    """
    learned = {e.text: e for e in found if e.type in ("malware", "group") and e.id is None and len(e.text) > 3}
    for entity in found:  # "Raccoon Stealer" (S1148) makes a later "Raccoon" the same malware
        head, _, tail = entity.text.rpartition(" ")
        if entity.type == "malware" and entity.id and tail.lower() in _MALWARE_WORDS and len(head) > 3:
            learned.setdefault(head, Entity("malware", head, entity.start, entity.start + len(head),
                                            entity.id, entity.name))
    if not learned:
        return found
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in sorted(learned, key=len, reverse=True))
                         + r")\b")
    starts = {span[0]: index for index, span in enumerate(tokens.spans)}
    ends = {span[1]: index for index, span in enumerate(tokens.spans)}
    occurrences = [(m.group(), m.start(), m.end()) for m in pattern.finditer(text)]
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for name, start, end in occurrences:
        if start in starts and end in ends:
            hint = _neighbour_type(text, tokens, starts[start], ends[end])
            if hint in ("malware", "group"):
                votes[name].update([hint])
    typed = {name: entity.type if entity.id else _majority(votes.get(name)) or entity.type
             for name, entity in learned.items()}
    kept = [Entity(typed[e.text], e.text, e.start, e.end, None, e.text) if e.text in learned and e.id is None
            and e.type in ("malware", "group") else e for e in found]
    extra = [Entity(typed[name], name, start, end, learned[name].id, learned[name].name)
             for name, start, end in occurrences]
    return _resolve_overlaps(kept + extra)
