"""Scoring: pure functions from :class:`Knowledge` and evidence to per-actor features and probabilities.

An :class:`Index` holds the actor profiles as matrices over a vocabulary of
features (a technique, its parent technique for a sub-technique, a piece of
software).  For evidence E and each actor a, :func:`feature_matrix` computes

- ``jm_techniques``/``jm_software``: log-likelihood ratio of E's techniques
  (software) under a's profile against the background of all profiles, with
  Jelinek-Mercer smoothing (``EPSILON`` of each item comes from the background:
  a report of a rarely shows all a's habits, and a's profile is incomplete);
- ``cosine``: TF-IDF cosine of E to a's profile (the classic baseline);
- ``match_techniques``/``match_software``: share of E's IDF weight a's profile holds;
- ``nearest_report``: the best TF-IDF cosine of E to any single report on a
  (reports on one actor repeat its particular combinations);
- ``gap``/``time_kernel`` (when the incident date is known): years outside the
  span a was reported active, and how many of a's reports lie near that date;
  ``prior`` (when it is not): log of the number of reports on a;

and one extra row for the "unknown / new actor" hypothesis, whose likelihood is
the background's (so its ``jm`` is 0) with ``unknown``, ``unknown_size`` (log
of the evidence count) and ``unknown_best`` (the best ``nearest_report``).
Each of the first eight also enters multiplied by the log of the evidence count
(``…_x_size``), so that how much a signal counts can depend on how much
evidence there is (a long list of techniques makes the likelihood sums large).
A fitted weight vector (:mod:`.calibration`) turns the rows into logits and a
softmax into probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from cirx.analysis.attribution.knowledge import Knowledge, features_of, parent_technique

_BASE = ("jm_techniques", "jm_software", "cosine", "match_techniques", "match_software", "nearest_report",
         "gap", "time_kernel")
SIZED = tuple(f"{name}_x_size" for name in _BASE)
FEATURES = (*_BASE, "prior", "unknown", "unknown_size", "unknown_best", *SIZED)
EPSILON = 0.8
Matrix = np.ndarray


@dataclass(frozen=True)
class Index:
    """Actor profiles as matrices (rows: actors; columns: the feature vocabulary)."""

    actors: tuple[str, ...]
    vocab: tuple[str, ...]
    position: dict[str, int]
    software: Matrix  # bool per column
    counts: Matrix  # distinct reports stating each feature, per actor
    reports: Matrix  # distinct reports per actor
    first: Matrix  # earliest and latest report year per actor (nan: unknown)
    last: Matrix
    year_values: Matrix  # every (actor, report year), flattened
    year_actor: Matrix
    report_sets: Matrix  # one row per (actor, report): the features that report states
    report_actor: Matrix
    report_keys: tuple[str, ...]
    report_mask: Matrix  # False for reports left out
    profiles: dict[str, dict[str, frozenset[str]]]
    years: dict[str, float]

    @property
    def live(self) -> Matrix:
        """Actors that still have a profile."""
        return self.reports > 0


def _vocabulary(knowledge: Knowledge) -> tuple[str, ...]:
    keys: set[str] = set()
    for key in knowledge.items:
        keys.update(features_of(key))
    for links in (knowledge.links, knowledge.text_links):
        for items in links.values():
            for key in items:
                keys.update(features_of(key))
    return tuple(sorted(keys))


def _actor_row(index_position: dict[str, int], profile: dict[str, frozenset[str]], width: int,
               ) -> tuple[Matrix, set[str]]:
    stated: dict[int, set[str]] = {}
    every: set[str] = set()
    for item, reports in profile.items():
        every |= reports
        for feature in features_of(item):
            stated.setdefault(index_position[feature], set()).update(reports)
    row = np.zeros(width)
    for column, found in stated.items():
        row[column] = len(found)
    return row, every


def build_index(knowledge: Knowledge, keep: Callable[[str], bool] | None = None) -> Index:
    """The index of every actor with a profile (only reports ``keep`` accepts, when given)."""
    if keep is not None:
        knowledge = knowledge.filtered(keep)
    vocab = _vocabulary(knowledge)
    position = {feature: i for i, feature in enumerate(vocab)}
    profiles = {actor: knowledge.profile(actor) for actor in sorted({*knowledge.links, *knowledge.text_links})}
    profiles = {actor: profile for actor, profile in profiles.items() if profile}
    years = {key: report.year for key, report in knowledge.reports.items() if report.year is not None}
    rows, report_rows, report_actor, report_keys = [], [], [], []
    for number, (actor, profile) in enumerate(profiles.items()):
        row, _every = _actor_row(position, profile, len(vocab))
        rows.append(row)
        by_report: dict[str, set[int]] = {}
        for item, reports in knowledge.links.get(actor, {}).items():
            for report in reports:
                by_report.setdefault(report, set()).update(position[f] for f in features_of(item))
        for report, columns in sorted(by_report.items()):
            report_row = np.zeros(len(vocab))
            report_row[list(columns)] = 1.0
            report_rows.append(report_row)
            report_actor.append(number)
            report_keys.append(report)
    base = Index(
        actors=tuple(profiles), vocab=vocab, position=position,
        software=np.array([not f.startswith("T") for f in vocab], dtype=bool),
        counts=np.array(rows) if rows else np.zeros((0, len(vocab))), reports=np.zeros(len(rows)),
        first=np.zeros(0), last=np.zeros(0), year_values=np.zeros(0), year_actor=np.zeros(0, dtype=int),
        report_sets=np.array(report_rows) if report_rows else np.zeros((0, len(vocab))),
        report_actor=np.array(report_actor, dtype=int), report_keys=tuple(report_keys),
        report_mask=np.ones(len(report_keys), dtype=bool), profiles=profiles, years=years)
    return _with_years(base, range(len(profiles)))


def _with_years(index: Index, rows: Sequence[int] | range) -> Index:
    """Recompute report counts and activity years of ``rows`` from the profiles."""
    reports = index.reports.copy()
    first = index.first.copy() if len(index.first) else np.full(len(index.actors), np.nan)
    last = index.last.copy() if len(index.last) else np.full(len(index.actors), np.nan)
    per_actor: dict[int, list[float]] = {}
    if len(index.year_values):
        for value, actor in zip(index.year_values, index.year_actor, strict=True):
            per_actor.setdefault(int(actor), []).append(float(value))
    for row in rows:
        every: set[str] = set().union(*index.profiles[index.actors[row]].values()) \
            if index.profiles[index.actors[row]] else set()
        reports[row] = len(every)
        values = sorted(index.years[r] for r in every if r in index.years)
        per_actor[row] = values
        first[row] = values[0] if values else np.nan
        last[row] = values[-1] if values else np.nan
    flat = [(value, actor) for actor, values in sorted(per_actor.items()) for value in values]
    return replace(index, reports=reports, first=first, last=last,
                   year_values=np.array([v for v, _ in flat]), year_actor=np.array([a for _, a in flat], dtype=int))


def without(index: Index, report: str) -> Index:
    """The index with one report left out of every profile (leave-one-report-out)."""
    touched = [row for row, actor in enumerate(index.actors)
               if any(report in reports for reports in index.profiles[actor].values())]
    mask = index.report_mask & np.array([key != report for key in index.report_keys], dtype=bool)
    if not touched and mask.sum() == index.report_mask.sum():
        return index
    counts = index.counts.copy()
    profiles = dict(index.profiles)
    for row in touched:
        actor = index.actors[row]
        profile = {item: reports - {report} for item, reports in profiles[actor].items()}
        profiles[actor] = {item: reports for item, reports in profile.items() if reports}
        counts[row], _ = _actor_row(index.position, profiles[actor], len(index.vocab))
    return _with_years(replace(index, counts=counts, profiles=profiles, report_mask=mask), touched)


def evidence_columns(index: Index, items: Sequence[str]) -> tuple[Matrix, int, int]:
    """Columns of the evidence's features, and how many technique and software items are unknown to the index."""
    columns: set[int] = set()
    novel_techniques = novel_software = 0
    for item in items:
        found = [index.position[f] for f in features_of(item) if f in index.position]
        if found and index.counts[:, found[0]].any():
            columns.update(found)
        elif item.startswith("T"):
            novel_techniques += 1
            parent = parent_technique(item)
            if parent in index.position:
                columns.add(index.position[parent])
        else:
            novel_software += 1
    return np.array(sorted(columns), dtype=int), novel_techniques, novel_software


@dataclass(frozen=True)
class Background:
    """Statistics over every live profile that a query needs."""

    idf: Matrix
    df: Matrix
    rate: Matrix
    totals: Matrix
    norms: Matrix


def background(index: Index) -> Background:
    """Document frequencies, IDF and background rates of every feature over the live profiles."""
    live = index.live
    present = index.counts > 0
    df = present[live].sum(0)
    idf = np.log((live.sum() + 1) / (df + 1)) + 1
    mass = index.counts[live].sum(0)
    rate = (mass + 0.1) / (mass.sum() + 1)
    norms = np.sqrt(present @ (idf ** 2))
    return Background(idf=idf, df=df, rate=rate, totals=np.maximum(index.counts.sum(1), 1), norms=norms)


def item_log_ratios(index: Index, stats: Background, columns: Matrix) -> Matrix:
    """Per actor and evidence column: log P(feature | actor profile) / P(feature | background)."""
    rate = stats.rate[columns]
    profile = (1 - EPSILON) * index.counts[:, columns] / stats.totals[:, None] + EPSILON * rate[None, :]
    return np.log(profile / rate[None, :])


def feature_matrix(index: Index, items: Sequence[str], year: float | None) -> Matrix:
    """(actors + 1) x len(FEATURES): one row per actor, the last for the unknown actor."""
    stats = background(index)
    columns, novel_t, novel_s = evidence_columns(index, items)
    n_actors = len(index.actors)
    out = np.zeros((n_actors + 1, len(FEATURES)))
    column = {name: i for i, name in enumerate(FEATURES)}
    software = index.software[columns]
    ratios = item_log_ratios(index, stats, columns)
    out[:n_actors, column["jm_techniques"]] = ratios[:, ~software].sum(1) + novel_t * math.log(EPSILON)
    out[:n_actors, column["jm_software"]] = ratios[:, software].sum(1) + novel_s * math.log(EPSILON)
    weight = stats.idf[columns]
    present = index.counts[:, columns] > 0
    if len(columns):
        norm = math.sqrt(float((weight ** 2).sum()))
        out[:n_actors, column["cosine"]] = (present * weight ** 2).sum(1) / np.maximum(stats.norms, 1e-9) / norm
        for name, mask in (("match_techniques", ~software), ("match_software", software)):
            if mask.any():
                out[:n_actors, column[name]] = (present[:, mask] * weight[mask]).sum(1) / weight[mask].sum()
        sets = index.report_sets
        if len(sets):
            lengths = np.sqrt(sets @ (stats.idf ** 2))
            similarity = (sets[:, columns] @ (weight ** 2)) / np.maximum(lengths, 1e-9) / norm
            similarity = np.where(index.report_mask, similarity, 0.0)
            best = np.zeros(n_actors)
            np.maximum.at(best, index.report_actor, similarity)
            out[:n_actors, column["nearest_report"]] = best
    if year is not None:
        span = np.nan_to_num(np.maximum(np.maximum(index.first - year, year - index.last), 0.0))
        out[:n_actors, column["gap"]] = np.log1p(span)
        kernel = np.zeros(n_actors)
        if len(index.year_values):
            np.add.at(kernel, index.year_actor, np.exp(-np.abs(index.year_values - year)))
        out[:n_actors, column["time_kernel"]] = np.log(kernel + 0.05)
    out[:n_actors, column["prior"]] = np.log1p(index.reports)
    live = index.live
    out[n_actors, column["unknown"]] = 1.0
    out[n_actors, column["unknown_size"]] = math.log(max(len(items), 1))
    out[n_actors, column["unknown_best"]] = out[:n_actors, column["nearest_report"]][live].max() if live.any() else 0
    size = math.log(max(len(items), 1))
    for name in _BASE:
        out[:n_actors, column[f"{name}_x_size"]] = out[:n_actors, column[name]] * size
    out[:n_actors][~live] = 0.0
    return out


def logits(features: Matrix, weights: Matrix, live: Matrix, temperature: float = 1.0) -> Matrix:
    """Scores of every row (dead actors get -inf), scaled by the temperature."""
    scores = features @ weights / temperature
    mask = np.append(live, True)
    return np.where(mask, scores, -np.inf)


def softmax(scores: Matrix) -> Matrix:
    """Probabilities from logits."""
    top = scores.max()
    exp = np.exp(scores - top)
    return exp / exp.sum()
