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


def band_accuracy(probabilities: np.ndarray, truth: np.ndarray) -> list[dict[str, Any]]:
    """Per ICD 203 band: how many listed hypotheses (p >= 1%) it holds, how often they were right (with a
    95% Wilson interval) and whether that lies in the band's range (judged from 30 hypotheses up)."""
    onehot = np.zeros_like(probabilities, dtype=bool)
    onehot[np.arange(len(truth)), truth] = True
    listed = probabilities >= LISTED
    values, right = probabilities[listed], onehot[listed]
    which = np.array([band_of(float(p)).id for p in values])
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
                     "inside": None if observed is None or n < 30 else bool(low <= observed <= high)})
    return rows


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
    with "unknown" set aside for cases whose actor is known (the rank in the list of groups).
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
        "country": country_top1(probabilities, truth, countries),
        "groups_only": {"top1": round(float((group_rank <= 1).mean()), 4),
                        "top5": round(float((group_rank <= 5).mean()), 4),
                        "top10": round(float((group_rank <= 10).mean()), 4),
                        "mrr": round(float((1 / group_rank).mean()), 4)},
    }
