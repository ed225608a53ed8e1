"""The two baselines cirx is measured against, as their authors would run them (raw probabilities).

- TF-IDF: cosine of the evidence to each actor's profile (binary term
  frequency, smoothed IDF, sub-techniques also counted as their parent); the
  probabilities are the cosines normalised to sum to one;
- Naive Bayes: multinomial, Laplace smoothing, class prior from the number of
  reports on each actor; the probabilities are its posterior.

Neither has an "unknown" hypothesis: its column is always 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cirx.analysis.attribution.model import FEATURES, Index, evidence_columns

_COSINE = FEATURES.index("cosine")


def tfidf_probabilities(features: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Cosines (from a feature matrix of :func:`~.model.feature_matrix`) normalised over the live actors."""
    cosine = np.where(live, features[:-1, _COSINE], 0.0)
    out = np.zeros(len(cosine) + 1)
    total = cosine.sum()
    if total > 0:
        out[:-1] = cosine / total
    else:
        out[:-1] = live / max(live.sum(), 1)
    return out


def naive_bayes_probabilities(index: Index, items: Sequence[str]) -> np.ndarray:
    """Posterior of a multinomial Naive Bayes over the actor profiles."""
    columns, novel_t, novel_s = evidence_columns(index, items)
    live = index.live
    totals = index.counts.sum(1) + len(index.vocab)
    log_prior = np.log(np.maximum(index.reports, 1e-12))
    log_likelihood = np.log(index.counts[:, columns] + 1.0).sum(1) - (len(columns) + novel_t + novel_s) * np.log(totals)
    scores = np.where(live, log_prior + log_likelihood, -np.inf)
    out = np.zeros(len(live) + 1)
    if live.any():
        exp = np.exp(scores - scores[live].max())
        out[:-1] = exp / exp.sum()
    return out
