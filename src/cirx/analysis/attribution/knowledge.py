"""What attribution knows, as plain data: actors, techniques and software, cited reports, links.

:class:`Knowledge` is built from the store by :func:`cirx.analysis.attribution.profiles.build_knowledge`
(or by hand in tests); everything downstream (:mod:`.model`, :mod:`.evaluate`) is pure over it.

A *link* says an actor used an item (technique or software), with the set of
reports that state it.  A link stated by no report (the offline knowledge base
carries ATT&CK's links without citations) has the pseudo-report
``uncited:<actor>``: it counts in live profiles but cannot be left out by a
held-out evaluation, so :meth:`Knowledge.cited` drops it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

Links = dict[str, dict[str, frozenset[str]]]
UNCITED = "uncited:"


@dataclass(frozen=True)
class Report:
    """A cited report (or a platform incident whose attribution was confirmed)."""

    key: str
    title: str
    url: str | None = None
    date: str | None = None
    year: float | None = None
    date_basis: str | None = None


@dataclass(frozen=True)
class Actor:
    """One actor, every alias and naming scheme resolved to it."""

    key: str
    name: str
    attack_id: str | None = None
    stix_ids: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    country: str | None = None
    country_basis: str | None = None
    victims: frozenset[str] = frozenset()
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """A technique (``T1566.001``) or a piece of software (``S0002``)."""

    key: str
    name: str
    kind: str  # "technique" | "software"
    software_type: str | None = None  # "malware" | "tool"
    aliases: tuple[str, ...] = ()


@dataclass
class Knowledge:
    """Actors, items, reports and the links between them."""

    actors: dict[str, Actor] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    links: Links = field(default_factory=dict)
    text_links: Links = field(default_factory=dict)
    software_techniques: Links = field(default_factory=dict)
    indicators: dict[str, frozenset[str]] = field(default_factory=dict)

    def profile(self, actor: str) -> dict[str, frozenset[str]]:
        """Every item an actor used, from relationships and from cited description text."""
        merged = dict(self.links.get(actor, {}))
        for item, reports in self.text_links.get(actor, {}).items():
            merged[item] = merged.get(item, frozenset()) | reports
        return merged

    def filtered(self, keep: Callable[[str], bool]) -> Knowledge:
        """The same knowledge with only the reports ``keep`` accepts (links left without one go)."""
        return replace(self, links=_filter(self.links, keep), text_links=_filter(self.text_links, keep),
                       software_techniques=_filter(self.software_techniques, keep))

    def cited(self) -> Knowledge:
        """Only links that some report states (what a held-out evaluation can leave out)."""
        return self.filtered(lambda report: not report.startswith(UNCITED))

    def year(self, report: str) -> float | None:
        """The publication year (fractional) of a report, if known."""
        found = self.reports.get(report)
        return found.year if found else None


def _filter(links: Links, keep: Callable[[str], bool]) -> Links:
    out: Links = {}
    for owner, items in links.items():
        kept = {item: frozenset(r for r in reports if keep(r)) for item, reports in items.items()}
        kept = {item: reports for item, reports in kept.items() if reports}
        if kept:
            out[owner] = kept
    return out


def parent_technique(key: str) -> str | None:
    """``T1566`` for ``T1566.001``; None for a technique without a parent or for software."""
    if key.startswith("T") and "." in key:
        return key.split(".", 1)[0]
    return None


def features_of(key: str) -> tuple[str, ...]:
    """What an item counts as: itself and, for a sub-technique, its parent too."""
    parent = parent_technique(key)
    return (key, parent) if parent else (key,)


def add_link(links: Links, owner: str, item: str, reports: Iterable[str]) -> None:
    """Record that ``owner`` used ``item`` according to ``reports``."""
    found = links.setdefault(owner, {})
    found[item] = found.get(item, frozenset()) | frozenset(reports)


# -- state of an actor from ATT&CK's own description (used only when the MISP galaxy has none) --

_ADJECTIVES = {
    "russian": "RU", "russia": "RU", "chinese": "CN", "china": "CN", "iranian": "IR", "iran": "IR",
    "north korean": "KP", "north korea": "KP", "dprk": "KP", "pakistani": "PK", "pakistan": "PK",
    "indian": "IN", "india": "IN", "vietnamese": "VN", "vietnam": "VN", "lebanese": "LB", "lebanon": "LB",
    "turkish": "TR", "turkey": "TR", "belarusian": "BY", "belarus": "BY", "south korean": "KR",
    "palestinian": "PS", "gaza": "PS", "emirati": "AE", "uae": "AE",
}
_NAMES = "|".join(sorted((re.escape(name) for name in _ADJECTIVES), key=len, reverse=True))
_STATE_PATTERNS = (
    re.compile(rf"\b({_NAMES})[- ](?:state[- ]sponsored|state|government|nexus|based|aligned|linked|"
               r"military|intelligence|cyber[- ]?espionage|espionage|threat|group|actor|apt)\b", re.I),
    re.compile(rf"\b(?:out of|from|based in|operating from|attributed to|associated with)\s+({_NAMES})\b", re.I),
    re.compile(rf"\b({_NAMES})'s\s+(?:general staff|main intelligence|foreign intelligence|federal security|"
               r"ministry|military|intelligence|reconnaissance|people's liberation|islamic revolutionary)", re.I),
)


def country_from_description(description: str | None) -> str | None:
    """The state an ATT&CK group description ties the group to ("a suspected Russian group"), if any.

    Language ("Chinese-speaking") and victims ("targeted ... in Russia") are not read as a state.
    """
    text = re.sub(r"\(Citation:[^)]*\)", "", description or "")
    best: tuple[int, str] | None = None
    for pattern in _STATE_PATTERNS:
        for found in pattern.finditer(text):
            if text[found.end():found.end() + 9].lower().startswith("-speaking"):
                continue
            code = _ADJECTIVES[found.group(1).lower()]
            if best is None or found.start() < best[0]:
                best = (found.start(), code)
            break
    return best[1] if best else None
