"""The facts of an incident the assessment rules read, and its attribution to a State.

Everything here comes from cirx's own structured fields of the incident (the IR
extension: initiator category and countries, attribution claims, receiver
countries, categories and sectors, types, effects, intensity) and from words
in its name and description.  ``original_values`` is never read: a source's
own legal coding must not feed back into cirx's judgement.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from cirx.analysis.norms import frameworks
from cirx.model.incident import ir_properties

# Critical infrastructure that provides services to the public (norm 13(f)).
PUBLIC_CI = frozenset({
    "energy", "transport", "banking", "financial", "health", "drinking-water", "waste-water",
    "digital-infrastructure", "ict-services", "emergency-services", "dams", "food", "space",
})
GOVERNMENT = frozenset({"government", "public-administration", "military", "law-enforcement", "intelligence",
                        "legislature", "judiciary", "diplomacy", "political-party", "elections"})
POLITICAL_SYSTEM = frozenset({"elections", "political-party", "legislature"})
CIVIL_SOCIETY = frozenset({"civil-society", "political-opposition", "religious-groups", "ethnic-groups",
                           "individuals"})
DISRUPTIVE_TYPES = frozenset({"disruption", "ddos", "sabotage", "ransomware", "data-destruction", "defacement"})
ACCESS_TYPES = frozenset({"intrusion", "hijacking", "espionage", "data-theft", "malware", "ransomware",
                          "data-destruction", "sabotage", "defacement", "doxing", "financial-theft"})
STATE_CATEGORIES = frozenset({"state", "state-affiliated"})
# Cues the legal rules use besides the frameworks' own (legal.PERSONAL_DATA).
EXTRA_CUES = ("personal data", "personal information", "private information", "patient", "medical record",
              "health information", "health data", "customer data", "customers' data", "citizens' data",
              "social security", "passport", "identity card", "id card", "employees' data", "students")


@dataclass(frozen=True)
class Attribution:
    """The State an incident's conduct is attributed to, and how likely (ICD 203)."""

    state: str | None = None
    likelihood: str | None = None
    rank: int = 0
    responsibility: str | None = None
    because: tuple[str, ...] = ()

    def meets(self, threshold: str) -> bool:
        """True when a State is named at ``threshold`` (an ICD 203 term) or above."""
        return self.state is not None and self.rank >= frameworks.likelihood(threshold).rank

    def as_dict(self) -> dict[str, Any]:
        """The attribution as JSON-ready data."""
        return {"state": self.state, "likelihood": self.likelihood, "responsibility": self.responsibility,
                "because": list(self.because)}


@dataclass(frozen=True)
class Features:
    """What the rules know about one incident."""

    incident_id: str
    name: str
    external_ids: tuple[str, ...]
    start_date: str | None
    initiator_category: str | None
    initiators: tuple[str, ...]
    receivers: tuple[str, ...]
    sectors: frozenset[str]
    receiver_categories: frozenset[str]
    types: frozenset[str]
    effects: frozenset[str]
    intensity: float | None
    text: str
    vectors: frozenset[str]
    attribution: Attribution
    claims: tuple[dict[str, Any], ...] = ()
    cues: frozenset[str] = frozenset()

    @property
    def domestic(self) -> bool:
        """Initiators and receivers are known and the initiators are all among the receivers."""
        return bool(self.initiators) and bool(self.receivers) and set(self.initiators) <= set(self.receivers)

    @property
    def foreign_origin(self) -> tuple[str, ...]:
        """Initiator states that are not receivers."""
        return tuple(c for c in self.initiators if c not in self.receivers)

    @property
    def public_ci(self) -> frozenset[str]:
        """Sectors hit that are critical infrastructure serving the public."""
        return self.sectors & PUBLIC_CI

    @property
    def government(self) -> frozenset[str]:
        """Government sectors hit (including the military)."""
        found = self.sectors & GOVERNMENT
        return found | (self.receiver_categories & {"government", "military"})

    @property
    def civil_society(self) -> frozenset[str]:
        """Civil society, opposition, religious or ethnic groups and individuals hit."""
        return (self.sectors & CIVIL_SOCIETY) | (self.receiver_categories & {"civil-society", "individuals"})

    @property
    def media(self) -> bool:
        """Media were among the receivers."""
        return "media" in self.sectors or "media" in self.receiver_categories

    @property
    def disruptive(self) -> bool:
        """The operation disrupted, destroyed or damaged something."""
        return bool(self.types & DISRUPTIVE_TYPES) or bool(self.effects & {"disruption", "destruction",
                                                                             "physical-damage"})

    @property
    def destructive(self) -> bool:
        """Data or systems were destroyed."""
        return "destruction" in self.effects or "data-destruction" in self.types

    @property
    def physical(self) -> bool:
        """Physical damage (or injury) followed."""
        return "physical-damage" in self.effects

    @property
    def espionage(self) -> bool:
        """Data was taken (espionage or data theft)."""
        return bool(self.types & {"espionage", "data-theft"}) or "data-theft" in self.effects

    @property
    def access(self) -> bool:
        """The operation entered systems (anything but a flood or an influence campaign)."""
        return bool(self.types & ACCESS_TYPES)

    @property
    def information_operation(self) -> bool:
        """An influence or information operation."""
        return "information-operation" in self.types or "information-operation" in self.effects


def cue_hits(f: Features, cues: tuple[str, ...] = (), patterns: tuple[str, ...] = ()) -> list[str]:
    """The cues (words starting at a word boundary) and regular expressions found in the incident's text."""
    found = [c for c in cues if c.lower() in f.cues]
    return found + [p for p in patterns if _compiled(p).search(f.text)]


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.cache
def _all_cues() -> re.Pattern[str]:
    """One expression for every cue of every framework, so a text is scanned once."""
    cues = {c.lower() for n in frameworks.norms() for c in n.cues}
    cues |= {c.lower() for a in frameworks.offences() for c in a.cues}
    cues |= {c.lower() for c in EXTRA_CUES}
    alternatives = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
    return re.compile(r"(?<![a-z0-9])(" + alternatives + ")")


def features(incident: dict[str, Any]) -> Features:
    """The facts the rules read, from a STIX incident with cirx's IR extension."""
    ir = ir_properties(incident)
    refs = tuple(f"{r['source_name']}:{r['external_id']}" for r in incident.get("external_references") or ()
                 if r.get("external_id"))
    intensity = (ir.get("intensity") or {}).get("value")
    text = " ".join(str(incident.get(k) or "") for k in ("name", "description")).lower()
    return Features(
        incident_id=incident["id"], name=str(incident.get("name") or ""), external_ids=refs,
        start_date=ir.get("start_date") or ir.get("disclosure_date"),
        initiator_category=ir.get("initiator_category"),
        initiators=tuple(ir.get("initiator_countries") or ()), receivers=tuple(ir.get("receiver_countries") or ()),
        sectors=frozenset(ir.get("sectors") or ()), receiver_categories=frozenset(ir.get("receiver_categories") or ()),
        types=frozenset(ir.get("incident_types") or ()), effects=frozenset(ir.get("effects") or ()),
        intensity=float(intensity) if isinstance(intensity, int | float) else None,
        text=text, vectors=frozenset(ir.get("vectors") or ()), attribution=attribute(ir),
        claims=tuple(c for c in ir.get("attribution_claims") or () if isinstance(c, dict)),
        cues=frozenset(_all_cues().findall(text)))


def attribute(ir: dict[str, Any]) -> Attribution:
    """The best-graded State attribution of an incident's IR properties.

    Each claim naming a State (or a state / state-affiliated actor of a State) is
    graded by who made it, its basis and its confidence (``attribution.yaml``);
    the incident's own initiator category counts as a claim of grade "likely".
    A claim naming only a non-state group's nationality is no State attribution.
    An explicit ``state_responsibility`` (the Healey spectrum id; a proposed IR
    field) decides alone: "state-encouraged" or above engages the State.
    """
    grades = frameworks.load("attribution")["claim_grades"]
    best: dict[str, tuple[int, list[str], set[str]]] = {}

    def note(state: str, rank: int, reason: str, category: str | None) -> None:
        old_rank, reasons, categories = best.get(state, (0, [], set()))
        reasons.append(reason)
        if category:
            categories.add(category)
        best[state] = (max(old_rank, rank), reasons, categories)

    for claim in ir.get("attribution_claims") or ():
        target, by = claim.get("attributed_to") or {}, claim.get("attributed_by") or {}
        state, category = target.get("state"), target.get("category")
        if not state or category not in grades["state_categories"]:
            continue
        kind = by.get("kind") or "other"
        rank = frameworks.likelihood(grades["by_kind"].get(kind, "roughly-even-chance")).rank
        basis = set(claim.get("basis") or ())
        for code, term in grades["basis_raises"].items():
            if code in basis:
                rank = max(rank, frameworks.likelihood(term).rank)
        rank -= 1 if basis & set(grades["basis_lowers"]) else 0
        rank += grades["confidence_shift"].get(claim.get("confidence") or "moderate", 0)
        rank = frameworks.likelihood(rank).rank
        who = by.get("name") or kind
        note(state, rank, f"{kind} attribution ({who}) to {category} actor of {state}: "
                          f"{frameworks.likelihood(rank).term}", category)
    category = ir.get("initiator_category")
    if category in grades["initiator_category"]:
        rank = frameworks.likelihood(grades["initiator_category"][category]).rank
        for state in ir.get("initiator_countries") or ():
            note(state, rank, f"initiator coded as {category} of {state}: {frameworks.likelihood(rank).term}",
                 category)
    explicit = ir.get("state_responsibility")
    if explicit:
        return _explicit(explicit, best, ir)
    if not best:
        reason = ("no claim or initiator category names a State" if category not in STATE_CATEGORIES
                  else f"initiator coded as {category} but no State named")
        return Attribution(because=(reason,))
    state = sorted(best, key=lambda s: (-best[s][0], s))[0]
    rank, reasons, categories = best[state]
    responsibility = grades["responsibility_by_category"]["state" if "state" in categories else "state-affiliated"]
    return Attribution(state=state, likelihood=frameworks.likelihood(rank).id, rank=rank,
                       responsibility=responsibility, because=tuple(reasons))


def _explicit(level: str, best: dict[str, tuple[int, list[str], set[str]]], ir: dict[str, Any]) -> Attribution:
    ranks = {r["id"]: int(r["rank"]) for r in frameworks.load("attribution")["state_responsibility"]}
    states = sorted(best, key=lambda s: (-best[s][0], s)) or list(ir.get("initiator_countries") or ())
    state = states[0] if states else None
    if ranks.get(level, 0) < ranks["state-encouraged"] or state is None:
        return Attribution(responsibility=level, because=(f"state responsibility recorded as {level}: "
                                                          "no State conduct",))
    rank = max(best.get(state, (0, [], set()))[0], frameworks.likelihood("likely").rank)
    return Attribution(state=state, likelihood=frameworks.likelihood(rank).id, rank=rank, responsibility=level,
                       because=(f"state responsibility recorded as {level} for {state}",))
