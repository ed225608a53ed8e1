"""Caveats: where the evidence is weak, shared, contradictory or old.  Pure functions.

Each caveat is ``{"kind": ..., "message": ...}`` with kinds:

- ``no-evidence`` / ``unresolved`` / ``new-tooling``: nothing usable, names not
  recognised, items no profile holds (new tooling, or a new actor);
- ``nothing-distinctive`` / ``shared-tooling``: only widely shared public
  tooling and common techniques;
- ``overlap``: the evidence fits several actors about equally;
- ``false-flag``: signatures of actors tied to different states together
  (planted artefacts, shared or stolen tooling, or several intrusions);
- ``stale-profile`` / ``thin-profile``: a leading actor known only from old
  reports, or from one or two;
- ``infrastructure``, ``hand-set-weights``, ``no-victim-data``, ``undated``, ``uncalibrated``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from cirx.analysis.attribution.explain import SHARED_ACTORS, ItemEvidence
from cirx.analysis.attribution.knowledge import Knowledge
from cirx.analysis.attribution.model import Index

STALE_YEARS = 4
_FALSE_FLAG_WORDS = re.compile(r"false[- ]flag|planted|decoy|mimic|impersonat", re.I)


def _names(items: list[ItemEvidence], limit: int = 5) -> str:
    shown = [f"{e.name} ({e.key})" if e.name != e.key else e.key for e in items[:limit]]
    return ", ".join(shown) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _actor(knowledge: Knowledge, key: str) -> str:
    return knowledge.actors[key].name if key in knowledge.actors else key


def caveats(index: Index, knowledge: Knowledge, evidence: list[ItemEvidence], probabilities: np.ndarray, *,
            year: float | None, today: float, unresolved: list[str], notes: str | None,
            context_kinds: set[str], calibrated: bool) -> list[dict[str, Any]]:
    """Every caveat that applies to one attribution (``probabilities``: actor rows, then unknown).

    ``context_kinds``: which hand-set ratios were applied (``victim``, ``sector``, ``indicator``),
    and ``no-victim-data`` when victims or sectors were given but no actor has such data.
    """
    out: list[dict[str, Any]] = []

    def add(kind: str, message: str) -> None:
        out.append({"kind": kind, "message": message})

    if not evidence and not context_kinds:
        add("no-evidence", "No evidence was recognised: the probabilities are only the base rates of the actors.")
    if unresolved:
        add("unresolved", f"Not recognised as an ATT&CK technique or software: {', '.join(unresolved[:10])}.")
    novel = [e for e in evidence if not e.actors and not e.parent_holders.any()]
    if novel:
        add("new-tooling", f"{_names(novel)}: reported for no known actor (new tooling, or a new actor).")
    known = [e for e in evidence if e.actors]
    shared = [e for e in known if e.kind == "software" and e.actors >= SHARED_ACTORS]
    if known and not any(e.distinctive for e in known):
        commonest = sorted(known, key=lambda e: -e.actors)
        add("nothing-distinctive", "Nothing in the evidence singles out an actor: every item is reported for "
            f"more than a few actors (e.g. {_names(commonest, 3)}). Treat any name as a weak lead.")
    elif shared:
        add("shared-tooling", f"{_names(shared)}: widely shared or public tooling (reported for "
            f"{SHARED_ACTORS}+ actors); it says little about who used it.")
    actors = probabilities[:-1]
    order = np.argsort(-actors)
    if len(order) >= 2 and actors[order[0]] >= 0.1 and actors[order[1]] >= actors[order[0]] / 2:
        close = [i for i in order[:5] if actors[i] >= actors[order[0]] / 2]
        add("overlap", "The evidence fits several actors about equally: " + ", ".join(
            f"{_actor(knowledge, index.actors[i])} ({actors[i]:.0%})" for i in close) + ".")
    _false_flag(index, knowledge, evidence, notes, add)
    reference = year if year is not None else today
    for row in order[:2]:  # the leading actors only
        if actors[row] < 0.1:
            break
        actor = index.actors[row]
        last = index.last[row]
        if not np.isnan(last) and reference - last > STALE_YEARS:
            add("stale-profile", f"{_actor(knowledge, actor)}'s profile rests on reports up to {int(last)}, "
                f"{reference - last:.0f} years before {'the incident' if year is not None else 'today'}: "
                "it may have changed tooling, or the name may cover a different cluster now.")
        if index.reports[row] <= 2:
            add("thin-profile", f"{_actor(knowledge, actor)} is known from {int(index.reports[row])} report(s) only.")
    if "indicator" in context_kinds:
        add("infrastructure", "Infrastructure matches weigh in, but infrastructure can be shared, rented, "
            "compromised or planted: read them as weaker than they look.")
    if context_kinds & {"victim", "sector", "indicator"}:
        add("hand-set-weights", "Victim countries, sectors and indicators count with hand-set likelihood "
            "ratios (no held-out data to fit them on); techniques, software and dates are calibrated.")
    if "no-victim-data" in context_kinds:
        add("no-victim-data", "Victim countries and sectors were given, but no actor in the store has victim or "
            "sector data (the MISP galaxy carries them: cirx init), so they were not used.")
    if year is None:
        add("undated", "No incident date: activity periods are not used (a date sharpens the ranking).")
    if not calibrated:
        add("uncalibrated", "No calibration file: built-in weights are used (run: cirx eval attribution --fit).")
    return out


def _false_flag(index: Index, knowledge: Knowledge, evidence: list[ItemEvidence], notes: str | None,
                add: Any) -> None:
    signatures: dict[str, list[str]] = {}
    for item in evidence:
        if not item.distinctive or item.actors > 2:
            continue
        holders = [index.actors[r] for r in np.flatnonzero(item.holders)]
        states = {knowledge.actors[a].country for a in holders if a in knowledge.actors} - {None}
        for state in states:
            signatures.setdefault(str(state), []).append(
                f"{item.name} ({', '.join(_actor(knowledge, a) for a in holders)})")
    if len(signatures) >= 2:
        add("false-flag", "Signatures of actors tied to different states appear together: " + "; ".join(
            f"{state}: {', '.join(found[:3])}" for state, found in sorted(signatures.items()))
            + ". Possible false flag (planted artefacts), shared or stolen tooling, or more than one intrusion.")
    if notes and _FALSE_FLAG_WORDS.search(notes):
        add("false-flag", "The notes raise deception (false flag, planted or mimicked artefacts): weigh "
            "artefacts that are easy to copy (tools, strings, language) less than infrastructure and tradecraft.")
