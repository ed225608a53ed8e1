"""Fitting a :class:`~.calibration.Model` on held-out cases (numpy only, no I/O).

1. Weights: a conditional logit (softmax over the actors plus "unknown", one
   weight vector shared by all) fitted by maximum likelihood, small L2 penalty,
   on leave-one-report-out cases, whose profiles never hold the case's report.
2. Temperature and top bonus: fitted on out-of-fold logits (cases the weights
   were not fitted on), i.e. temperature scaling on held-out data; the bonus is
   added to the logit of the leading actor (held out, it is a little
   under-confident: its mass leaks to the long tail of ~170 actors) and moves
   that mass back without changing the ranking.
3. "Unknown / new actor": its logit is refitted on *forward* cases (profiles
   from reports before year Y, cases from year Y, for each Y), because how
   often a report concerns an actor not seen before is a forward-looking rate
   (about one in five a year) that leaving one report out cannot measure: a
   logistic model P(new actor) = sigmoid(theta . u - lse), with u the unknown
   row's features and lse the log-sum-exp of the actors' calibrated logits
   (how well the known actors explain the evidence), i.e. the unknown row's
   logit becomes theta . u.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cirx.analysis.attribution.calibration import UNKNOWN_FEATURES, Model, log_sum_exp
from cirx.analysis.attribution.model import FEATURES

_UNKNOWN = [FEATURES.index(name) for name in UNKNOWN_FEATURES]


@dataclass
class Cases:
    """Feature rows of many cases in one array: X[case, row, feature]; the last row is "unknown"."""

    X: np.ndarray
    mask: np.ndarray
    truth: np.ndarray
    groups: list[str]  # the report of each case (folds keep a report's cases together)

    @classmethod
    def stack(cls, rows: Sequence[tuple[np.ndarray, np.ndarray, int]], groups: Sequence[str]) -> Cases:
        """From (features, mask incl. the unknown row, truth row) triples of equal shape."""
        return cls(np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows]),
                   np.array([r[2] for r in rows], dtype=int), list(groups))

    def subset(self, chosen: np.ndarray) -> Cases:
        """Only the cases a boolean mask selects."""
        return Cases(self.X[chosen], self.mask[chosen], self.truth[chosen],
                     [g for g, keep in zip(self.groups, chosen, strict=True) if keep])

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """Raw logits of every row; masked rows are -inf."""
        return np.where(self.mask, self.X @ weights, -np.inf)

    def calibrated(self, model: Model) -> np.ndarray:
        """Calibrated logits under ``model``."""
        return model.calibrated(self.scores(model.weights), self.X)


def probabilities(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits (-inf rows get 0)."""
    top = scores.max(axis=-1, keepdims=True)
    exp = np.exp(scores - top)
    return exp / exp.sum(axis=-1, keepdims=True)


def _log_loss(scores: np.ndarray, truth: np.ndarray) -> float:
    top = scores.max(axis=1)
    normaliser = top + np.log(np.exp(scores - top[:, None]).sum(axis=1))
    return float((normaliser - scores[np.arange(len(truth)), truth]).mean())


def _newton(value: Callable[[np.ndarray], float], step: Callable[[np.ndarray], np.ndarray], size: int,
            iterations: int = 60) -> np.ndarray:
    """Maximise a concave ``value`` from 0 with Newton steps and backtracking."""
    w = np.zeros(size)
    current = value(w)
    for _ in range(iterations):
        direction = step(w)
        scale = 1.0
        while scale > 1e-4:
            candidate = w + scale * direction
            new = value(candidate)
            if new >= current - 1e-12:
                break
            scale /= 2
        improvement = new - current
        w, current = candidate, new
        if abs(improvement) < 1e-10 or np.abs(scale * direction).max() < 1e-8:
            break
    return w


def fit_weights(cases: Cases, features: Sequence[str], l2: float = 1e-5) -> np.ndarray:
    """Maximum-likelihood weights of the conditional logit over ``features`` (others stay 0)."""
    chosen = np.array([name in features for name in FEATURES])
    X = np.where(cases.mask[..., None], cases.X, 0.0)[..., chosen]
    n, rows = len(cases.truth), np.arange(len(cases.truth))

    def value(w: np.ndarray) -> float:
        return -_log_loss(np.where(cases.mask, X @ w, -np.inf), cases.truth) - 0.5 * l2 * w @ w

    def step(w: np.ndarray) -> np.ndarray:
        p = probabilities(np.where(cases.mask, X @ w, -np.inf))
        mean = np.einsum("ni,nik->nk", p, X)
        gradient = (X[rows, cases.truth] - mean).mean(0) - l2 * w
        covariance = np.einsum("ni,nik,nil->kl", p, X, X) / n - mean.T @ mean / n
        return np.asarray(np.linalg.solve(covariance + l2 * np.eye(len(w)), gradient))

    full = np.zeros(len(FEATURES))
    full[chosen] = _newton(value, step, int(chosen.sum()))
    return full


def _golden(loss: Callable[[float], float], low: float, high: float) -> float:
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if loss(a) < loss(b):
            high = b
        else:
            low = a
    return (low + high) / 2


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Temperature, then top-actor bonus, minimising the log-loss of held-out logits."""
    temperature = float(np.exp(_golden(lambda t: _log_loss(scores / np.exp(t), truth), np.log(0.25), np.log(4.0))))

    def with_bonus(bonus: float) -> np.ndarray:
        return Model(np.zeros(len(FEATURES)), temperature, bonus).calibrated(scores, None)

    bonus = _golden(lambda b: _log_loss(with_bonus(b), truth), -1.0, 3.0)
    return temperature, float(bonus)


def fit_unknown(forward: Sequence[Cases], model: Model, l2: float = 1e-4) -> np.ndarray:
    """Coefficients theta of P(new actor) = sigmoid(theta . u - lse), fitted on forward cases."""
    rows, offsets, truth = [], [], []
    for part in forward:
        if not len(part.truth):
            continue
        offsets.append(log_sum_exp(model.calibrated(part.scores(model.weights), None)[:, :-1]))
        rows.append(part.X[:, -1, _UNKNOWN])
        truth.append(part.truth == part.X.shape[1] - 1)
    if not rows:
        return np.array([model.weights[i] for i in _UNKNOWN])
    u, offset, y = np.concatenate(rows), np.concatenate(offsets), np.concatenate(truth).astype(float)

    def value(theta: np.ndarray) -> float:
        z = u @ theta - offset
        return float((y * z - np.logaddexp(0.0, z)).mean() - 0.5 * l2 * theta @ theta)

    def step(theta: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-(u @ theta - offset)))
        gradient = u.T @ (y - p) / len(y) - l2 * theta
        hessian = (u * (p * (1 - p))[:, None]).T @ u / len(y) + l2 * np.eye(u.shape[1])
        return np.asarray(np.linalg.solve(hessian, gradient))

    return _newton(value, step, u.shape[1])


def folds(groups: Sequence[str], k: int) -> np.ndarray:
    """A stable fold number per case, from its report key (all cases of one report share a fold)."""
    return np.array([zlib.crc32(g.encode()) % k for g in groups])


def fit_model(cases: Cases, features: Sequence[str], forward: Sequence[Cases] = (), k: int = 5) -> Model:
    """Weights on ``cases``; temperature and bonus on their out-of-fold logits; "unknown" on ``forward``."""
    weights = fit_weights(cases, features)
    temperature, bonus = 1.0, 0.0
    if len(cases.truth) >= 2 * k:
        fold = folds(cases.groups, k)
        held_out = np.zeros(cases.mask.shape)
        for f in range(k):
            test = fold == f
            if test.any() and not test.all():
                held_out[test] = cases.subset(test).scores(fit_weights(cases.subset(~test), features))
        temperature, bonus = fit_temperature(held_out, cases.truth)
    model = Model(weights, temperature, bonus)
    if forward:
        theta = fit_unknown(forward, model)
        weights = weights.copy()
        weights[_UNKNOWN] = 0.0  # the unknown row's logit comes from theta now
        model = Model(weights, temperature, bonus, theta)
    return model


def cross_fitted_scores(cases: Cases, features: Sequence[str], forward: Sequence[Cases] = (),
                        k: int = 5) -> np.ndarray:
    """Held-out calibrated logits of every case: the model is fitted without the case's fold (nor its
    reports among the forward cases)."""
    fold = folds(cases.groups, k)
    scores = np.zeros(cases.mask.shape)
    for f in range(k):
        test = fold == f
        if not test.any() or test.all():
            continue
        excluded = set(np.array(cases.groups)[test])
        kept = [part.subset(np.array([g not in excluded for g in part.groups], dtype=bool)) for part in forward]
        model = fit_model(cases.subset(~test), features, kept, k=k - 1)
        scores[test] = cases.subset(test).calibrated(model)
    return scores
