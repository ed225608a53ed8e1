"""Evidence in: what was observed about an incident, and its resolution against the knowledge.

:class:`Evidence` is what a user gives (a JSON file, the REST body, a stored
incident): ATT&CK techniques (ids or names; a sub-technique also counts as its
parent), software (ids, names or aliases), infrastructure indicators (IPs,
domains, hashes, URLs), victim countries (ISO alpha-2), sectors, a date and
free-text notes (technique ids, software ids and software names are read from
them).  :func:`resolve` maps it onto the items of a :class:`Knowledge`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cirx.analysis.attribution.knowledge import Knowledge
from cirx.errors import InvalidInput
from cirx.model.actor import alias_key

_LISTS = ("techniques", "software", "indicators", "victim_countries", "sectors")
_TECHNIQUE_ID = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")
_SOFTWARE_ID = re.compile(r"\bS\d{4}\b")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass(frozen=True)
class Evidence:
    """What was observed (every field optional)."""

    techniques: tuple[str, ...] = ()
    software: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    victim_countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    date: str | None = None
    notes: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Evidence:
        """Read the JSON form (``{"techniques": [...], "software": [...], ...}``); raises InvalidInput."""
        if not isinstance(data, dict):
            raise InvalidInput("evidence must be a JSON object such as {\"techniques\": [\"T1566.001\"]}")
        unknown = sorted(set(data) - {*_LISTS, "date", "notes"})
        if unknown:
            raise InvalidInput(f"unknown evidence field(s) {', '.join(unknown)}; expected {', '.join(_LISTS)}, "
                               "date, notes")
        values: dict[str, Any] = {}
        for name in _LISTS:
            value = data.get(name) or []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(f"evidence field {name!r} must be a list of strings")
            values[name] = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
        for name in ("date", "notes"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"evidence field {name!r} must be a string")
            values[name] = value or None
        if values["date"] and not _DATE.match(values["date"]):
            raise InvalidInput(f"evidence date {values['date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        values["victim_countries"] = tuple(c.upper() for c in values["victim_countries"])
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out: dict[str, Any] = {name: list(getattr(self, name)) for name in _LISTS if getattr(self, name)}
        if self.date:
            out["date"] = self.date
        if self.notes:
            out["notes"] = self.notes
        return out


def fractional_year(date: str | None) -> float | None:
    """``2021.5`` for ``2021-07-01``; None when there is no date."""
    found = _DATE.match(date or "")
    if not found:
        return None
    year, month, day = int(found.group(1)), int(found.group(2) or 1), int(found.group(3) or 1)
    return year + (min(max(month, 1), 12) - 1) / 12 + (min(max(day, 1), 31) - 1) / 372


@dataclass
class Resolved:
    """Evidence mapped onto known items: what was recognised, from where, and what was not."""

    items: list[str] = field(default_factory=list)
    from_notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    year: float | None = None


@dataclass(frozen=True)
class Names:
    """Name lookups over the knowledge's items."""

    techniques: dict[str, str]
    software: dict[str, str]
    spelled: dict[str, str]  # exact software name -> key
    long_names: re.Pattern[str] | None  # names of 6+ characters, any case
    short_names: re.Pattern[str] | None  # names of 4-5 characters, exact case

    @classmethod
    def of(cls, knowledge: Knowledge) -> Names:
        """Index every technique and software name and alias."""
        techniques: dict[str, str] = {}
        software: dict[str, str] = {}
        spelled: dict[str, str] = {}
        for key, item in sorted(knowledge.items.items()):
            target = techniques if item.kind == "technique" else software
            for name in (key, item.name, *item.aliases):
                target.setdefault(alias_key(name), key)
                if item.kind == "software" and len(name) >= 4 and not name.isdigit():
                    spelled.setdefault(name, key)
        def pattern(chosen: list[str], flags: int) -> re.Pattern[str] | None:
            if not chosen:
                return None
            ordered = sorted(chosen, key=len, reverse=True)
            return re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in ordered) + r")(?![\w-])", flags)

        return cls(techniques, software, spelled,
                   pattern([n for n in spelled if len(n) >= 6], re.IGNORECASE),
                   pattern([n for n in spelled if len(n) < 6], 0))


def resolve(evidence: Evidence, knowledge: Knowledge, names: Names | None = None) -> Resolved:
    """Map techniques and software (ids or names) onto item keys; read ids and names from the notes."""
    names = names or Names.of(knowledge)
    out = Resolved(year=fractional_year(evidence.date))
    for value, lookup in [(t, names.techniques) for t in evidence.techniques] + \
                         [(s, names.software) for s in evidence.software]:
        key = value if value in knowledge.items else value.upper() if value.upper() in knowledge.items \
            else lookup.get(alias_key(value))
        if key is None and _TECHNIQUE_ID.fullmatch(value.upper()):
            key = value.upper()  # an ATT&CK id the store does not hold: still evidence, unknown to profiles
        if key is None:
            out.unresolved.append(value)
        elif key not in out.items:
            out.items.append(key)
    if evidence.notes:
        for key in _from_notes(evidence.notes, knowledge, names):
            if key not in out.items:
                out.items.append(key)
                out.from_notes.append(key)
    return out


def _from_notes(notes: str, knowledge: Knowledge, names: Names) -> list[str]:
    found = [t for t in _TECHNIQUE_ID.findall(notes)]
    found += [s for s in _SOFTWARE_ID.findall(notes) if s in knowledge.items]
    lowered = {name.casefold(): key for name, key in names.spelled.items()}
    for pattern in (names.long_names, names.short_names):
        for match in pattern.finditer(notes) if pattern else ():
            key = names.spelled.get(match.group(1)) or lowered.get(match.group(1).casefold())
            if key:
                found.append(key)
    return list(dict.fromkeys(found))

