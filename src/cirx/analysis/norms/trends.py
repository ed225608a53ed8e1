"""Dyadic and trend analysis in the DCID manner: who targets whom, rivalries, escalation after incidents.

Pure functions over :class:`IncidentRow` (what the statistics need of an
incident) and response records; the service feeds them from the store.  An
incident with several initiators or receivers counts once in each of its dyads,
as ``cirx stats dyads`` counts it.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cirx.analysis.norms.responses import within
from cirx.errors import InvalidInput


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the statistics see it."""

    id: str
    initiators: tuple[str, ...]
    receivers: tuple[str, ...]
    start_date: str | None
    types: tuple[str, ...] = ()
    intensity: float | None = None

    @property
    def year(self) -> int | None:
        """The start year, if known."""
        text = (self.start_date or "")[:4]
        return int(text) if text.isdigit() else None

    def dyads(self) -> list[tuple[str, str]]:
        """The (initiator, receiver) pairs of known, distinct states."""
        return [(a, b) for a in dict.fromkeys(self.initiators) for b in dict.fromkeys(self.receivers) if a != b]


def dyad_trends(rows: Iterable[IncidentRow]) -> list[dict[str, Any]]:
    """Directed dyads with incidents by year and type and their intensity, most incidents first."""
    return aggregate_dyads((a, b, row.year, row.intensity, row.types) for row in rows for a, b in row.dyads())


DyadRecord = tuple[str | None, str | None, int | None, float | None, Sequence[str]]


def aggregate_dyads(records: Iterable[DyadRecord]) -> list[dict[str, Any]]:
    """:func:`dyad_trends` from flat (initiator, receiver, year, intensity, types) records, one per
    incident and dyad; records with an unknown party or the same state twice are skipped."""
    valid: list[Any] = [r for r in records if r[0] and r[1] and r[0] != r[1]]
    count = Counter((r[0], r[1]) for r in valid)
    years = Counter((r[0], r[1], r[2]) for r in valid if r[2] is not None)
    types = Counter((r[0], r[1], kind) for r in valid for kind in r[4])
    totals: defaultdict[Any, float] = defaultdict(float)
    measured = Counter((r[0], r[1]) for r in valid if r[3] is not None)
    tops: dict[Any, float] = {}
    for a, b, _, level, _ in valid:
        if level is not None:
            totals[(a, b)] += level
            if level > tops.get((a, b), float("-inf")):
                tops[(a, b)] = level
    intensity: dict[Any, tuple[float, float]] = {d: (totals[d] / n, tops[d]) for d, n in measured.items()}
    return assemble_dyads(count, years, types, intensity)


def assemble_dyads(count: Mapping[tuple[str, str], int], years: Mapping[tuple[str, str, int], int],
                   types: Mapping[tuple[str, str, str], int],
                   intensity: Mapping[tuple[str, str], tuple[float, float]]) -> list[dict[str, Any]]:
    """Directed dyad records from counts per dyad, per dyad and year, per dyad and type, and intensity
    (mean, max) per dyad: the one shape of ``cirx stats dyad-trends``."""
    by_year: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for (a, b, year), n in years.items():
        by_year[(a, b)][year] = n
    by_type: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (a, b, kind), n in types.items():
        by_type[(a, b)][kind] = n
    out = []
    for (a, b), n in sorted(count.items(), key=lambda kv: (-kv[1], kv[0])):
        mean, top = intensity.get((a, b), (None, None))
        kinds = by_type.get((a, b), {})
        out.append({"initiator": a, "receiver": b, "incidents": n,
                    "years": dict(sorted(by_year.get((a, b), {}).items())),
                    "types": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
                    "intensity_mean": round(mean, 3) if mean is not None else None, "intensity_max": top})
    return out


def rivalries(rows: Iterable[IncidentRow], top: int | None = None) -> list[dict[str, Any]]:
    """Unordered state pairs by incidents in either direction (DCID's dyads), most first."""
    count: Counter[tuple[str, str]] = Counter()
    by_initiator: Counter[tuple[str, str, str]] = Counter()
    years: dict[tuple[str, str], tuple[int, int]] = {}
    for row in rows:
        pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for a, b in row.dyads():
            pairs[(a, b) if a < b else (b, a)].add(a)
        year = row.year
        for key, initiators in pairs.items():
            count[key] += 1
            for initiator in initiators:
                by_initiator[(*key, initiator)] += 1
            if year is not None:
                low, high = years.get(key, (year, year))
                years[key] = (min(low, year), max(high, year))
    return assemble_rivalries(count, by_initiator, years, top)


def assemble_rivalries(count: Mapping[tuple[str, str], int], by_initiator: Mapping[tuple[str, str, str], int],
                       years: Mapping[tuple[str, str], tuple[int, int]], top: int | None = None) -> list[dict[str, Any]]:
    """Rivalry records from counts per pair, per pair and initiator, and first/last year per pair."""
    initiators: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (a, b, initiator), n in sorted(by_initiator.items()):
        initiators[(a, b)][initiator] = n
    ordered = sorted(count.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"states": list(pair), "incidents": n, "by_initiator": initiators.get(pair, {}),
             "first_year": years[pair][0] if pair in years else None,
             "last_year": years[pair][1] if pair in years else None}
            for pair, n in (ordered[:top] if top else ordered)]


def escalation(rows: Sequence[IncidentRow], responses: Mapping[str, Sequence[Mapping[str, Any]]], *,
               min_rank: int = 7, within_days: int = 365,
               unlinked: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Share of incidents followed by a response of rank >= ``min_rank`` within ``within_days``.

    A response follows an incident when it is recorded for that incident, or
    (``unlinked``) when a receiver of the incident aimed it at an initiator;
    it must fall within the window after the start date.  Incidents whose only
    qualifying responses (or whose start) are undated do not count; they are
    reported as ``undated``.  Per unordered dyad too, with DCID's incident counts.
    """
    if min_rank < 0 or within_days < 0:
        raise InvalidInput("min_rank and within_days must not be negative")
    by_dyad: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in unlinked:
        if r.get("actor_country") and r.get("target_country"):
            by_dyad[(str(r["actor_country"]), str(r["target_country"]))].append(str(r.get("date") or ""))
    followed: set[str] = set()
    undated = 0
    for row in rows:
        qualifying = [r for r in responses.get(row.id, ()) if int(r.get("rank") or 0) >= min_rank]
        hit = any(within(row.start_date, r.get("date"), within_days) for r in qualifying)
        if not hit and any(within(row.start_date, r.get("date"), within_days) is None for r in qualifying):
            undated += 1
        if not hit:
            hit = any(within(row.start_date, day or None, within_days)
                      for a, b in row.dyads() for day in by_dyad.get((b, a), ()))
        if hit:
            followed.add(row.id)
    pairs = rivalries(rows)
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in rows:
        for key in {tuple(sorted(d)) for d in row.dyads()}:
            members[(key[0], key[1])].append(row.id)
    for entry in pairs:
        ids = members[(entry["states"][0], entry["states"][1])]
        entry["followed"] = sum(1 for i in ids if i in followed)
        entry["share"] = round(entry["followed"] / len(ids), 4) if ids else None
    return {"min_rank": min_rank, "within_days": within_days, "incidents": len(rows),
            "followed": len(followed), "share": round(len(followed) / len(rows), 4) if rows else None,
            "undated": undated, "dyads": pairs}


def flatten(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records with nested values as JSON text, for CSV and Parquet."""
    return [{k: json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, dict | list) else v
             for k, v in r.items()} for r in records]


def export(records: Sequence[Mapping[str, Any]], path: Path) -> int:
    """Write records to ``path`` as CSV (``.csv``) or Parquet (``.parquet``); returns the row count."""
    rows = flatten(records)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({c: [r.get(c) for r in rows] for c in columns})
        pq.write_table(table, path)
    else:
        raise InvalidInput(f"{path}: write .csv or .parquet")
    return len(rows)
