"""Scores of ranked, probabilistic attributions against the truth: pure functions over arrays.

``probabilities`` is cases x hypotheses (the last column is "unknown / new
actor"), ``truth`` the column of the right answer, ``countries`` the state of
each column (None where none is known, and for "unknown").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cirx.analysis.attribution.estimative import band_of, bands, observed_range

LISTED = 0.01  # hypotheses from 1% up are the ones an analyst reads; band accuracy is over these


def ranks(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The rank of the true column in each row (ties share the mean rank)."""
    true = probabilities[np.arange(len(truth)), truth]
    above = (probabilities > true[:, None]).sum(1)
    tied = (probabilities == true[:, None]).sum(1) - 1
    return 1 + above + tied / 2


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE of the top hypothesis: mean |accuracy - confidence| over equal-width bins, weighted by size."""
    edges = np.linspace(0, 1, bins + 1)
    where = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        chosen = where == b
        if chosen.any():
            total += chosen.sum() * abs(correct[chosen].mean() - confidence[chosen].mean())
    return float(total / max(len(confidence), 1))


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


JUDGED = 30  # a band's accuracy is judged against its range from this many hypotheses up


def _listed_bands(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The listed hypotheses (p >= 1%) as (case, column) indices, and the ICD 203 band of each."""
    cases, columns = np.nonzero(probabilities >= LISTED)
    values = probabilities[cases, columns]
    return cases, columns, np.array([band_of(float(p)).id for p in values])


def band_accuracy(probabilities: np.ndarray, truth: np.ndarray) -> list[dict[str, Any]]:
    """Per ICD 203 band: how many listed hypotheses (p >= 1%) it holds, how often they were right (with a
    95% Wilson interval) and whether that lies in the band's range (judged from 30 hypotheses up)."""
    cases, columns, which = _listed_bands(probabilities)
    values, right = probabilities[cases, columns], columns == truth[cases]
    rows = []
    for band in bands():
        chosen = which == band.id
        n = int(chosen.sum())
        observed = float(right[chosen].mean()) if n else None
        low, high = observed_range(band)
        interval = wilson(int(right[chosen].sum()), n)
        rows.append({"band": band.term, "stated": band.stated, "hypotheses": n,
                     "mean_probability": round(float(values[chosen].mean()), 4) if n else None,
                     "observed": round(observed, 4) if observed is not None else None,
                     "ci95": [round(interval[0], 4), round(interval[1], 4)] if n else None,
                     "inside": None if observed is None or n < JUDGED else bool(low <= observed <= high)})
    return rows


def calibrated_reference(probabilities: np.ndarray, draws: int = 500, seed: int = 0) -> dict[str, Any]:
    """What a perfectly calibrated system would score on the same cases: each draw takes every case's truth
    from its own probabilities, then ECE and the band verdicts are read as for the real truth.

    Gives the ECE's median and 95th percentile and, per band judged (30+ hypotheses), how often its
    observed accuracy falls inside its stated range (and how often every judged band does at once): on a
    few hundred cases a narrow band, or an ECE threshold, is missed by chance alone this often.
    """
    rng = np.random.default_rng(seed)
    n, width = probabilities.shape
    cumulative = probabilities.cumsum(1)
    confidence, top = probabilities.max(1), probabilities.argmax(1)
    cases, columns, which = _listed_bands(probabilities)
    masks = [(band, which == band.id) for band in bands()]
    judged = [(band, chosen, observed_range(band)) for band, chosen in masks if int(chosen.sum()) >= JUDGED]
    eces: list[float] = []
    inside = {band.term: 0 for band, _, _ in judged}
    every = 0
    for _ in range(draws):
        drawn = rng.random((n, 1)) * cumulative[:, -1:]
        truth = np.minimum((cumulative < drawn).sum(1), width - 1)
        eces.append(expected_calibration_error(confidence, top == truth))
        right = columns == truth[cases]
        verdicts = [(band.term, bool(low <= right[chosen].mean() <= high)) for band, chosen, (low, high) in judged]
        for term, verdict in verdicts:
            inside[term] += verdict
        every += all(verdict for _, verdict in verdicts)
    return {"draws": draws, "ece_median": round(float(np.median(eces)), 4),
            "ece_p95": round(float(np.percentile(eces, 95)), 4),
            "band_inside_chance": {term: round(count / draws, 3) for term, count in inside.items()},
            "all_bands_inside_chance": round(every / draws, 3)}


def country_top1(probabilities: np.ndarray, truth: np.ndarray, countries: Sequence[str | None]) -> dict[str, Any]:
    """Accuracy of the most probable state, over cases whose true actor has a known state."""
    states = sorted({c for c in countries if c})
    if not states:
        return {"cases": 0, "top1": None}
    membership = np.array([[c == s for s in states] for c in countries], dtype=float)
    marginal = probabilities @ membership
    predicted = [states[i] for i in marginal.argmax(1)]
    scored = [(predicted[i], countries[t]) for i, t in enumerate(truth) if countries[t]]
    if not scored:
        return {"cases": 0, "top1": None}
    hits = sum(1 for p, t in scored if p == t)
    return {"cases": len(scored), "top1": round(hits / len(scored), 4)}


def summarise(probabilities: np.ndarray, truth: np.ndarray, countries: Sequence[str | None]) -> dict[str, Any]:
    """Top-1/5/10, MRR, ECE, Brier, log-loss, accuracy per ICD 203 band and country-level top-1.

    Ranks count every hypothesis, "unknown" included; ``groups_only`` repeats top-k and MRR
    with "unknown" set aside for cases whose actor is known (the rank in the list of groups);
    ``if_calibrated`` is :func:`calibrated_reference` (what chance alone does to ECE and the bands).
    """
    n = len(truth)
    rank = ranks(probabilities, truth)
    true = probabilities[np.arange(n), truth]
    onehot = np.zeros_like(probabilities)
    onehot[np.arange(n), truth] = 1.0
    top = probabilities.argmax(1)
    unknown = probabilities.shape[1] - 1
    set_aside = probabilities.copy()
    set_aside[truth != unknown, unknown] = -1.0  # "unknown" set aside where the actor is known
    group_rank = ranks(set_aside, truth)
    return {
        "cases": n,
        "unknown_cases": int((truth == probabilities.shape[1] - 1).sum()),
        "top1": round(float((rank <= 1).mean()), 4),
        "top5": round(float((rank <= 5).mean()), 4),
        "top10": round(float((rank <= 10).mean()), 4),
        "mrr": round(float((1 / rank).mean()), 4),
        "ece": round(expected_calibration_error(probabilities.max(1), top == truth), 4),
        "brier": round(float(((probabilities - onehot) ** 2).sum(1).mean()), 4),
        "log_loss": round(float(-np.log(np.clip(true, 1e-6, 1)).mean()), 4),
        "bands": band_accuracy(probabilities, truth),
        "if_calibrated": calibrated_reference(probabilities),
        "country": country_top1(probabilities, truth, countries),
        "groups_only": {"top1": round(float((group_rank <= 1).mean()), 4),
                        "top5": round(float((group_rank <= 5).mean()), 4),
                        "top10": round(float((group_rank <= 10).mean()), 4),
                        "mrr": round(float((1 / group_rank).mean()), 4)},
    }
