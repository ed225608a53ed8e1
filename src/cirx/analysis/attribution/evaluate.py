"""Leak-free evaluation on cited reports: cirx against TF-IDF and Naive Bayes, in one run.

A *case* is one report's statements about one actor: the techniques and
software of every ``uses`` link from that actor citing that report, and the
software that cited description sentences credit to that report for that actor.  The truth
is the actor; where leaving the report out leaves the actor with no profile at
all, the truth is "unknown / new actor" (which the baselines cannot say).

- P1, leave one report out: the report's citations are removed from every
  profile (and its row from the nearest-report table) before the case is
  attributed; cirx's model comes from five folds by report (each case is
  scored by a model fitted without its fold, and without its report among the
  forward cases), so no figure is measured on what it was fitted on;
- P2, time split: profiles from reports dated before ``split`` only, cases from
  reports dated from ``split`` on; actors with no earlier report are expected
  as "unknown".  cirx's model is fitted on leave-one-report-out and forward
  cases of the earlier reports only.

*Forward* cases (for P(new actor), see :mod:`.fitting`): for each year Y from
``FORWARD_FROM``, profiles from reports before Y and cases from reports of Y.

Links no report states (``uncited:``) cannot be left out and are dropped first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cirx.analysis.attribution.baselines import naive_bayes_probabilities, tfidf_probabilities
from cirx.analysis.attribution.calibration import DATED, UNDATED
from cirx.analysis.attribution.fitting import Cases, cross_fitted_scores, fit_model, probabilities
from cirx.analysis.attribution.knowledge import UNCITED, Knowledge
from cirx.analysis.attribution.metrics import summarise
from cirx.analysis.attribution.model import Index, build_index, feature_matrix, without

Progress = Callable[[int], None]
SYSTEMS = ("cirx", "cirx (no date)", "tfidf", "naive_bayes")
FORWARD_FROM = 2017


@dataclass(frozen=True)
class Case:
    """One report's statements about one actor."""

    actor: str
    report: str
    items: tuple[str, ...]
    year: float | None


def report_cases(knowledge: Knowledge, keep: Callable[[str], bool] | None = None) -> list[Case]:
    """The (actor, report) cases of every cited ``uses`` link, in a stable order.

    A case's evidence is all that its report states about its actor: the items of the
    ``uses`` links citing it and the software that cited description sentences credit to it
    ("[APT28] has used [CHOPSTICK] to ..."), which :meth:`Knowledge.profile` also counts.
    """
    grouped: dict[tuple[str, str], set[str]] = {}
    for actor, items in knowledge.links.items():
        cited = {report for reports in items.values() for report in reports
                 if not report.startswith(UNCITED) and (keep is None or keep(report))}
        for item, reports in knowledge.profile(actor).items():
            for report in reports & cited:
                grouped.setdefault((actor, report), set()).add(item)
    return [Case(actor, report, tuple(sorted(items)), knowledge.year(report))
            for (actor, report), items in sorted(grouped.items())]


@dataclass
class Collected:
    """Feature rows of cases, and the baselines' probabilities on the same cases."""

    cases: Cases
    baselines: dict[str, np.ndarray]
    countries: list[str | None]


def collect(index: Index, cases: Iterable[Case], countries: list[str | None], *, leave_one_out: bool,
            progress: Progress | None = None) -> Collected:
    """Score every case against ``index`` (leaving its report out first when ``leave_one_out``)."""
    rows, tfidf, bayes, groups = [], [], [], []
    position = {actor: i for i, actor in enumerate(index.actors)}
    for case in cases:
        used = without(index, case.report) if leave_one_out else index
        features = feature_matrix(used, case.items, case.year)
        live = used.live
        row = position.get(case.actor)
        truth = row if row is not None and live[row] else len(index.actors)
        rows.append((features, np.append(live, True), truth))
        tfidf.append(tfidf_probabilities(features, live))
        bayes.append(naive_bayes_probabilities(used, case.items))
        groups.append(case.report)
        if progress:
            progress(1)
    if not rows:
        raise ValueError("no cases to evaluate: the store holds no cited actor-technique links")
    return Collected(Cases.stack(rows, groups), {"tfidf": np.array(tfidf), "naive_bayes": np.array(bayes)},
                     countries)


def _countries(knowledge: Knowledge, index: Index) -> list[str | None]:
    return [knowledge.actors[a].country if a in knowledge.actors else None for a in index.actors] + [None]


def _summaries(collected: Collected, cirx_scores: dict[str, np.ndarray]) -> dict[str, Any]:
    systems = {name: probabilities(scores) for name, scores in cirx_scores.items()}
    systems.update(collected.baselines)
    return {name: summarise(p, collected.cases.truth, collected.countries) for name, p in systems.items()}


def forward_cases(knowledge: Knowledge, first: int, last: int, progress: Progress | None = None) -> list[Cases]:
    """For each year Y in [first, last]: profiles from reports before Y, cases from reports of Y."""
    parts = []
    for year in range(first, last + 1):
        def before(report: str, year: int = year) -> bool:
            found = knowledge.year(report)
            return found is not None and found < year

        def during(report: str, year: int = year) -> bool:
            found = knowledge.year(report)
            return found is not None and year <= found < year + 1

        cases = report_cases(knowledge, during)
        index = build_index(knowledge, keep=before)
        if cases and index.actors:
            parts.append(collect(index, cases, _countries(knowledge, index), leave_one_out=False,
                                 progress=progress).cases)
    return parts


def _last_year(knowledge: Knowledge) -> int:
    years = [r.year for r in knowledge.reports.values() if r.year is not None]
    return int(max(years)) if years else FORWARD_FROM


def leave_one_report_out(knowledge: Knowledge, *, folds: int = 5, progress: Progress | None = None,
                         ) -> tuple[dict[str, Any], Collected, list[Cases]]:
    """P1: every cited report left out in turn; returns the results, the cases and the forward cases."""
    cited = knowledge.cited()
    index = build_index(cited)
    cases = report_cases(cited)
    collected = collect(index, cases, _countries(knowledge, index), leave_one_out=True, progress=progress)
    forward = forward_cases(cited, FORWARD_FROM, _last_year(cited), progress)
    scores = {"cirx": cross_fitted_scores(collected.cases, DATED, forward, folds),
              "cirx (no date)": cross_fitted_scores(collected.cases, UNDATED, forward, folds)}
    result = {"protocol": "P1 leave one cited report out", "actors": len(index.actors), "reports": len(
        {c.report for c in cases}), "cases": len(cases), "folds": folds,
              "forward_cases": int(sum(len(p.truth) for p in forward)), "systems": _summaries(collected, scores)}
    return result, collected, forward


def time_split(knowledge: Knowledge, *, split: int = 2022, progress: Progress | None = None) -> dict[str, Any]:
    """P2: profiles from reports dated before ``split``, cases from reports dated from ``split`` on."""
    cited = knowledge.cited()

    def before(report: str) -> bool:
        year = cited.year(report)
        return year is not None and year < split

    def after(report: str) -> bool:
        year = cited.year(report)
        return year is not None and year >= split

    index = build_index(cited, keep=before)
    countries = _countries(knowledge, index)
    train = collect(index, report_cases(cited, before), countries, leave_one_out=True, progress=progress)
    forward = forward_cases(cited, FORWARD_FROM, split - 1, progress)
    tests = report_cases(cited, after)
    test = collect(index, tests, countries, leave_one_out=False, progress=progress)
    scores = {}
    for name, features in (("cirx", DATED), ("cirx (no date)", UNDATED)):
        scores[name] = test.cases.calibrated(fit_model(train.cases, features, forward))
    undated = {r for items in cited.links.values() for reports in items.values() for r in reports
               if cited.year(r) is None}
    return {"protocol": f"P2 time split at {split}", "actors_before": len(index.actors),
            "training_cases": len(train.cases.truth), "forward_cases": int(sum(len(p.truth) for p in forward)),
            "cases": len(tests), "undated_reports_left_out": len(undated), "systems": _summaries(test, scores)}


def calibration_from(collected: Collected, forward: list[Cases], source: dict[str, Any]) -> dict[str, Any]:
    """The calibration file's content: both models fitted on every P1 and forward case."""
    models = {name: fit_model(collected.cases, features, forward).as_dict()
              for name, features in (("dated", DATED), ("undated", UNDATED))}
    total = int(sum(len(p.truth) for p in forward))
    new = int(sum(int((p.truth == p.X.shape[1] - 1).sum()) for p in forward if len(p.truth)))
    return {"description": "cirx attribution models (conditional-logit weights, temperature, leading-actor "
                           "bonus, P(new actor) coefficients) fitted on leave-one-report-out and forward cases; "
                           "rebuild with: cirx eval attribution --fit",
            "data": source, "cases": len(collected.cases.truth), "forward_cases": total,
            # The share of forward cases (a year's reports against the profiles before it) that concern an
            # actor not seen before: the prior of "unknown / new actor" when evidence holds nothing scored.
            "new_actor_rate": round(new / total, 4) if total else None, "models": models}


def run(knowledge: Knowledge, *, split: int = 2022, folds: int = 5, fit: bool = False,
        progress: Progress | None = None) -> dict[str, Any]:
    """P1 and P2 for cirx and both baselines in one run (and, with ``fit``, the calibration file's content)."""
    cited = knowledge.cited()
    reports = {r for items in cited.links.values() for found in items.values() for r in found}
    bases: dict[str, int] = {}
    for report in reports:
        basis = cited.reports[report].date_basis if report in cited.reports else None
        bases[basis or "none"] = bases.get(basis or "none", 0) + 1
    data = {"actors_with_profiles": len(cited.links), "cited_reports": len(reports),
            "links": sum(len(items) for items in cited.links.values()),
            "text_links": sum(len(items) for items in cited.text_links.values()),
            "actors_with_state": sum(1 for a in cited.links if a in knowledge.actors and knowledge.actors[a].country),
            "report_dates_by_basis": dict(sorted(bases.items()))}
    p1, collected, forward = leave_one_report_out(knowledge, folds=folds, progress=progress)
    out: dict[str, Any] = {"data": data, "P1": p1, "P2": time_split(knowledge, split=split, progress=progress)}
    if fit:
        out["calibration"] = calibration_from(collected, forward, data)
    return out
