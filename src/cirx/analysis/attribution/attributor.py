"""One attribution: evidence in, ranked and explained hypotheses out (no I/O).

:class:`Attributor` holds the index built from a :class:`Knowledge` and the
fitted models.  :meth:`Attributor.attribute` scores every actor and the
"unknown / new actor" hypothesis with the calibrated model (``dated`` when the
evidence has a date), then multiplies in hand-set likelihood ratios for the
evidence the held-out data cannot calibrate (victim countries and sectors
against the MISP galaxy's suspected victims and target categories, indicators
against the infrastructure known to indicate an actor), and sums the actors'
probabilities by state.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np

from cirx.analysis.attribution.calibration import Model, load_calibration
from cirx.analysis.attribution.caveats import caveats
from cirx.analysis.attribution.estimative import estimative
from cirx.analysis.attribution.evidence import Evidence, Names, resolve
from cirx.analysis.attribution.explain import (
    ItemEvidence,
    actor_rows,
    confidence_level,
    item_evidence,
    state_rows,
)
from cirx.analysis.attribution.knowledge import Knowledge
from cirx.analysis.attribution.model import background, feature_matrix, softmax, without
from cirx.analysis.attribution.model import build_index as _build_index
from cirx.model.actor import alias_key
from cirx.model.countries import country_name

VICTIM_MATCH, VICTIM_MISMATCH = 2.0, 0.5
SECTOR_MATCH, SECTOR_MISMATCH = 1.5, 0.75
INDICATOR_MATCH = 20.0
LISTED = 0.01
MAX_GROUPS = 15  # groups listed: those from 1% up, at most 15, at least 5
MIN_GROUPS = 5


class Attributor:
    """Ranks actors and states for evidence, against one knowledge snapshot."""

    def __init__(self, knowledge: Knowledge, calibration: dict[str, Any] | None = None) -> None:
        self.knowledge = knowledge
        self.index = _build_index(knowledge)
        self.stats = background(self.index)
        self.names = Names.of(knowledge)
        found = calibration or load_calibration()
        self.models = {name: Model.from_dict(model) for name, model in found["models"].items()}
        self.calibration_source = str(found.get("source", "given"))
        rate = found.get("new_actor_rate")
        self.new_actor_rate = float(rate) if isinstance(rate, int | float) else None
        self.calibrated = "built-in" not in self.calibration_source

    def attribute(self, evidence: Evidence, *, exclude_report: str | None = None) -> dict[str, Any]:
        """Hypotheses (actors, "unknown", states), each with probability, ICD 203 term, confidence, ACH rows."""
        resolved = resolve(evidence, self.knowledge, self.names)
        index, stats = self.index, self.stats
        if exclude_report:
            index = without(index, exclude_report)
            stats = background(index)
        variant = "dated" if resolved.year is not None else "undated"
        model = self.models[variant]
        features = feature_matrix(index, resolved.items, resolved.year)
        mask = np.append(index.live, True)
        scores = model.calibrated(np.where(mask, features @ model.weights, -np.inf), features)
        context = [self._context(actor, evidence) for actor in index.actors]
        scores[:-1] += np.array([sum(math.log(e["ratio"]) for e in rows) for rows in context])
        probabilities = softmax(scores)
        rate = self.new_actor_rate if not resolved.items else None  # nothing the calibrated model scores
        if rate is not None and probabilities[-1] < rate:
            probabilities = _unknown_at_least(probabilities, rate)
        items = item_evidence(index, stats, self.knowledge, resolved.items)
        overall = confidence_level(items, None)
        kinds = {row["kind"] for rows in context for row in rows}
        if (evidence.victim_countries or evidence.sectors) and not kinds & {"victim", "sector"}:
            kinds.add("no-victim-data")
        notes = caveats(index, self.knowledge, items, probabilities, year=resolved.year,
                        today=_today(), unresolved=resolved.unresolved, notes=evidence.notes,
                        context_kinds=kinds, calibrated=self.calibrated)
        if rate is not None:
            notes.append({"kind": "no-technical-evidence", "message": (
                "No technique or software evidence: the ranking rests on victims, sectors and dates alone, which "
                "the held-out data cannot calibrate; the unknown / new actor hypothesis is kept at no less than "
                f"the rate of new actors among past reports ({rate:.0%}).")})
        cap = "moderate" if any(c["kind"] in ("false-flag", "nothing-distinctive") for c in notes) else overall
        if any(c["kind"] == "nothing-distinctive" for c in notes):
            cap = "low"
        groups = self._groups(index, items, probabilities, resolved.year, context, cap)
        unknown = self._unknown(items, float(probabilities[-1]), cap)
        states = self._states(index, items, probabilities, groups, cap)
        ranked = sorted([*groups, unknown], key=lambda h: -h["probability"])
        return {
            "hypotheses": ranked + states,
            "caveats": notes,
            "confidence": min(overall, cap, key=("low", "moderate", "high").index),
            "evidence": {
                "items": [{"id": e.key, "name": e.name, "kind": e.kind, "actors": e.actors,
                           "from_notes": e.key in resolved.from_notes} for e in items],
                "unresolved": resolved.unresolved, "date": evidence.date,
                "victim_countries": list(evidence.victim_countries), "sectors": list(evidence.sectors),
                "indicators": [{"value": v, "actors": sorted(self.knowledge.indicators.get(v.lower(), ()))}
                               for v in evidence.indicators]},
            "model": {"variant": variant, "calibration": self.calibration_source, "actors": int(index.live.sum())},
        }

    # -- pieces ----------------------------------------------------------------------------------

    def _context(self, actor_key: str, evidence: Evidence) -> list[dict[str, Any]]:
        """Hand-set likelihood ratios of victims, sectors and indicators for one actor."""
        actor = self.knowledge.actors.get(actor_key)
        rows: list[dict[str, Any]] = []
        if actor is None:
            return rows
        for country in evidence.victim_countries:
            if actor.victims:
                hit = country in actor.victims
                rows.append(_context_row(country, "victim", VICTIM_MATCH if hit else VICTIM_MISMATCH,
                                         f"{country} {'is' if hit else 'is not'} among its suspected victims"))
        sectors = {alias_key(s) for s in actor.sectors}
        for sector in evidence.sectors:
            if sectors:
                key = alias_key(sector)
                hit = any(key in s or s in key for s in sectors if s)
                rows.append(_context_row(sector, "sector", SECTOR_MATCH if hit else SECTOR_MISMATCH,
                                         f"{sector} {'is' if hit else 'is not'} among its target sectors"))
        for value in evidence.indicators:
            if actor_key in self.knowledge.indicators.get(value.lower(), ()):
                rows.append(_context_row(value, "indicator", INDICATOR_MATCH, "known infrastructure of this actor"))
        return rows

    def _groups(self, index: Any, items: list[ItemEvidence], probabilities: np.ndarray, year: float | None,
                context: list[list[dict[str, Any]]], cap: str) -> list[dict[str, Any]]:
        order = [int(r) for r in np.argsort(-probabilities[:-1]) if index.live[r]]
        listed = [r for r in order if probabilities[r] >= LISTED][:MAX_GROUPS]
        chosen = listed if len(listed) >= MIN_GROUPS else order[:MIN_GROUPS]
        out = []
        for row in chosen:
            key = index.actors[row]
            actor = self.knowledge.actors.get(key)
            support, against = actor_rows(index, self.knowledge, row, items, year, context[row])
            p = float(probabilities[row])
            out.append({"kind": "group", "id": key, "name": actor.name if actor else key,
                        "attack_id": actor.attack_id if actor else None, "country": actor.country if actor else None,
                        "probability": round(p, 4), "estimative": estimative(p),
                        "confidence": confidence_level(items, row, cap=cap), "for": support, "against": against})
        return out

    def _unknown(self, items: list[ItemEvidence], p: float, cap: str) -> dict[str, Any]:
        novel = [e for e in items if not e.actors and not e.parent_holders.any()]
        support = [{"evidence": e.key, "name": e.name, "kind": e.kind, "weight": None,
                    "detail": "reported for no known actor"} for e in novel]
        against = [{"evidence": e.key, "name": e.name, "kind": e.kind, "weight": None,
                    "detail": f"reported for only {e.actors} known actor(s)"} for e in items if e.distinctive]
        if not items:
            support.append({"evidence": "none", "kind": "absence", "weight": None,
                            "detail": "no recognised evidence ties the incident to a known actor"})
        level = "low" if len(items) < 5 else "moderate" if len(items) < 15 else "high"
        level = min(level, cap, key=("low", "moderate", "high").index)
        return {"kind": "unknown", "id": "unknown", "name": "unknown / new actor", "attack_id": None,
                "country": None, "probability": round(p, 4), "estimative": estimative(p), "confidence": level,
                "for": support, "against": against}

    def _states(self, index: Any, items: list[ItemEvidence], probabilities: np.ndarray,
                groups: list[dict[str, Any]], cap: str) -> list[dict[str, Any]]:
        by_state: dict[str, list[tuple[Any, float]]] = {}
        for row, key in enumerate(index.actors):
            actor = self.knowledge.actors.get(key)
            if actor and actor.country and index.live[row]:
                by_state.setdefault(actor.country, []).append((actor, float(probabilities[row])))
        confidence = {g["id"]: g["confidence"] for g in groups}
        out = []
        for state, contributions in by_state.items():
            p = sum(c[1] for c in contributions)
            if p < LISTED:
                continue
            support, against = state_rows(state, contributions, index, self.knowledge, items)
            levels = [confidence.get(a.key, "low") for a, share in contributions if share >= LISTED] or ["low"]
            out.append({"kind": "state", "id": state, "name": country_name(state) or state, "attack_id": None,
                        "country": state, "probability": round(p, 4), "estimative": estimative(p),
                        "confidence": max(levels, key=("low", "moderate", "high").index),
                        "for": support, "against": against})
        return sorted(out, key=lambda h: -h["probability"])


def _unknown_at_least(probabilities: np.ndarray, rate: float) -> np.ndarray:
    """The distribution with "unknown" (last) raised to ``rate`` and the actors scaled down to make room.

    With no evidence the calibrated model scores (techniques, software), its
    "unknown" logit is an extrapolation (every fitted case holds some); the
    prior, the forward rate of new actors, is the honest floor.
    """
    out = np.array(probabilities, dtype=float)
    out[:-1] *= (1 - rate) / max(1 - float(out[-1]), 1e-12)
    out[-1] = rate
    return out


def _context_row(value: str, kind: str, ratio: float, detail: str) -> dict[str, Any]:
    return {"evidence": value, "kind": kind, "weight": round(math.log(ratio), 3), "ratio": ratio, "detail": detail}


def _today() -> float:
    today = datetime.date.today()
    return today.year + (today.month - 1) / 12
