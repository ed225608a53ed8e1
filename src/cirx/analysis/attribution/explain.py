"""Analysis of competing hypotheses: the evidence for and against each hypothesis, and confidence.

Pure functions over an :class:`~.model.Index`.  Each evidence item gets, per
actor, its log-likelihood ratio (the ``jm`` term of :mod:`.model`: how much
more likely the item is under the actor's profile than under the background);
positive items are listed *for* the actor, items the actor was never reported
with but others were are listed *against* it, strongest first.  Items no
profile holds are not diagnostic and are left to the caveats.

Confidence (ICD 203: how solid the basis, not how likely) is read from the
evidence itself: *distinctive* items (reported for at most
``DISTINCTIVE_ACTORS`` actors) and the total weight of the items supporting a
hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cirx.analysis.attribution.knowledge import Actor, Knowledge, features_of, parent_technique
from cirx.analysis.attribution.model import Background, Index, item_log_ratios

DISTINCTIVE_ACTORS = 3
SHARED_ACTORS = 10  # software reported for this many actors or more is widely shared tooling
CONFIDENCE = ("low", "moderate", "high")


@dataclass(frozen=True)
class ItemEvidence:
    """One evidence item against every actor row."""

    key: str
    name: str
    kind: str
    holders: np.ndarray  # rows whose profile holds the item itself
    parent_holders: np.ndarray  # rows holding only its parent technique
    ratios: np.ndarray  # per row log-likelihood ratio

    @property
    def actors(self) -> int:
        """How many actors the item itself is reported for."""
        return int(self.holders.sum())

    @property
    def distinctive(self) -> bool:
        """Reported for a few actors only."""
        return 0 < self.actors <= DISTINCTIVE_ACTORS


def item_evidence(index: Index, stats: Background, knowledge: Knowledge, items: Sequence[str]) -> list[ItemEvidence]:
    """Per evidence item: which actors hold it (or its parent) and its likelihood ratio for each."""
    out = []
    for key in items:
        item = knowledge.items.get(key)
        columns = np.array([index.position[f] for f in features_of(key) if f in index.position], dtype=int)
        ratios = item_log_ratios(index, stats, columns).sum(1) if len(columns) else np.zeros(len(index.actors))
        own = index.counts[:, index.position[key]] > 0 if key in index.position else np.zeros(len(index.actors), bool)
        parent = parent_technique(key)
        by_parent = (index.counts[:, index.position[parent]] > 0) & ~own if parent in index.position \
            else np.zeros(len(index.actors), bool)
        out.append(ItemEvidence(key, item.name if item else key, item.kind if item else
                                ("technique" if key.startswith("T") else "software"),
                                own & index.live, by_parent & index.live, ratios))
    return out


def _reports_line(index: Index, actor: str, key: str) -> str:
    reports = index.profiles[actor].get(key, frozenset())
    years = [index.years[r] for r in reports if r in index.years]
    latest = f", latest {int(max(years))}" if years else ""
    return f"{len(reports)} report{'s' if len(reports) != 1 else ''}{latest}"


def _holder_names(index: Index, knowledge: Knowledge, rows: np.ndarray, limit: int = 3) -> str:
    names = [knowledge.actors[a].name if a in knowledge.actors else a
             for a in (index.actors[r] for r in np.flatnonzero(rows)[:limit])]
    more = int(rows.sum()) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def actor_rows(index: Index, knowledge: Knowledge, row: int, evidence: list[ItemEvidence], year: float | None,
               context: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ACH entries for and against one actor, strongest first."""
    actor = index.actors[row]
    name = knowledge.actors[actor].name if actor in knowledge.actors else actor
    support: list[dict[str, Any]] = []
    against: list[dict[str, Any]] = []
    for item in evidence:
        entry = {"evidence": item.key, "name": item.name, "kind": item.kind, "weight": round(float(item.ratios[row]), 3)}
        if item.holders[row]:
            support.append({**entry, "detail": f"reported for {name} ({_reports_line(index, actor, item.key)})"})
        elif item.parent_holders[row]:
            support.append({**entry, "detail": f"{name} used the parent technique {parent_technique(item.key)}"})
        elif item.actors:
            against.append({**entry, "detail": f"never reported for {name}; reported for {item.actors} other "
                                               f"actor(s): {_holder_names(index, knowledge, item.holders)}"})
    if year is not None and not np.isnan(index.first[row]):
        first, last = index.first[row], index.last[row]
        span = f"reported {int(first)}-{int(last)}"
        if first - 1 <= year <= last + 1:
            support.append({"evidence": "date", "kind": "timing", "weight": None,
                            "detail": f"{span}: the incident falls in its active period"})
        else:
            gap = first - year if year < first else year - last
            against.append({"evidence": "date", "kind": "timing", "weight": None,
                            "detail": f"{span}: the incident is {gap:.0f} years outside its active period"})
    for row_entry in context:
        (support if float(row_entry["weight"]) > 0 else against).append(row_entry)
    support.sort(key=lambda e: -float(e["weight"] or 0))
    against.sort(key=lambda e: float(e["weight"] or 0))
    return support, against


def confidence_level(evidence: list[ItemEvidence], row: int | None, *, cap: str = "high") -> str:
    """ICD 203 confidence in a judgement about ``row`` (None: about the evidence as a whole).

    High: two or more distinctive items (or a support weight of 8+ with one); moderate:
    one distinctive item or a support weight of 3+; low otherwise.  Never above ``cap``.
    """
    if row is None:
        distinctive = sum(1 for e in evidence if e.distinctive)
        weight = sum(float(max(e.ratios.max(), 0.0)) for e in evidence if e.actors)
    else:
        held = [e for e in evidence if e.holders[row] or e.parent_holders[row]]
        distinctive = sum(1 for e in held if e.holders[row] and e.distinctive)
        weight = sum(max(float(e.ratios[row]), 0.0) for e in held)
    if distinctive >= 2 or (distinctive == 1 and weight >= 8):
        level = "high"
    elif distinctive == 1 or weight >= 3:
        level = "moderate"
    else:
        level = "low"
    return CONFIDENCE[min(CONFIDENCE.index(level), CONFIDENCE.index(cap))]


def state_rows(state: str, contributions: list[tuple[Actor, float]], index: Index, knowledge: Knowledge,
               evidence: list[ItemEvidence]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """For a state: the actors tied to it that carry its probability; against: signatures of other states."""
    support = [{"evidence": actor.key, "kind": "actor", "weight": round(p, 4),
                "detail": f"{actor.name} ({p:.0%}; {actor.country_basis})"}
               for actor, p in sorted(contributions, key=lambda c: -c[1]) if p >= 0.01]
    against = []
    for item in evidence:
        if not item.distinctive:
            continue
        holders = [index.actors[r] for r in np.flatnonzero(item.holders)]
        states = {knowledge.actors[a].country for a in holders if a in knowledge.actors}
        if state not in states and states - {None}:
            against.append({"evidence": item.key, "name": item.name, "kind": item.kind, "weight": None,
                            "detail": f"reported only for actors of {', '.join(sorted(s for s in states if s))} "
                                      f"({_holder_names(index, knowledge, item.holders)})"})
    return support, against
