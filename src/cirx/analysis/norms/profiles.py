"""State profiles: each country as initiator and as receiver, the norms its incidents implicate,
the responses it gave and received, its Budapest Convention status and capacity scores.

One pass over the incidents builds every profile (or only those asked for), so
profiles for all countries of a dataset cost about as much as one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.assess import assess_features
from cirx.analysis.norms.features import features
from cirx.analysis.norms.norm_rules import Context
from cirx.analysis.norms.responses import derived, timeline
from cirx.model.countries import country_name

LATEST = 10


class _Side:
    """What a country did (as initiator) or suffered (as receiver)."""

    def __init__(self) -> None:
        self.incidents = 0
        self.years: Counter[int] = Counter()
        self.types: Counter[str] = Counter()
        self.sectors: Counter[str] = Counter()
        self.norms: Counter[str] = Counter()
        self.law: Counter[str] = Counter()
        self.others: Counter[str] = Counter()

    def add(self, f: Any, result: dict[str, Any], others: Iterable[str]) -> None:
        self.incidents += 1
        year = (f.start_date or "")[:4]
        if year.isdigit():
            self.years[int(year)] += 1
        self.types.update(f.types)
        self.sectors.update(f.sectors)
        self.norms.update(k for k, v in result["norms"].items() if v["status"] == "implicated")
        self.law.update(k for k, v in result["international_law"].items() if v == "implicated")
        self.others.update(others)

    def as_dict(self, other: str) -> dict[str, Any]:
        return {"incidents": self.incidents, "by_year": dict(sorted(self.years.items())),
                "by_type": dict(self.types.most_common()), "by_sector": dict(self.sectors.most_common()),
                "norms_implicated": dict(self.norms.most_common()),
                "international_law_implicated": dict(self.law.most_common()),
                other: [{"country": c, "incidents": n} for c, n in self.others.most_common(10)]}


def build_profiles(incidents: Iterable[dict[str, Any]], *, countries: set[str] | None = None,
                   stored_responses: Mapping[str, list[dict[str, Any]]] | None = None,
                   unlinked_responses: Iterable[dict[str, Any]] = (),
                   capacity: Mapping[str, Mapping[str, float]] | None = None,
                   galaxy: Mapping[str, str] | None = None, threshold: str = "likely") -> dict[str, dict[str, Any]]:
    """Profiles of ``countries`` (all that appear when None), from one pass over ``incidents``.

    ``stored_responses``: analysts' responses by incident; ``unlinked_responses``:
    theirs that name no incident; ``capacity``: scores by country and index;
    ``galaxy``: the MISP country galaxy's Budapest value by country.
    """
    stored_responses, capacity = stored_responses or {}, capacity or {}
    initiated: dict[str, _Side] = defaultdict(_Side)
    received: dict[str, _Side] = defaultdict(_Side)
    given: dict[str, list[dict[str, Any]]] = defaultdict(list)
    got: dict[str, list[dict[str, Any]]] = defaultdict(list)
    wanted = (lambda c: c in countries) if countries is not None else (lambda c: True)

    def note(response: dict[str, Any]) -> None:
        if response.get("actor_country") and wanted(response["actor_country"]):
            given[response["actor_country"]].append(response)
        if response.get("target_country") and wanted(response["target_country"]):
            got[response["target_country"]].append(response)

    for incident in incidents:
        responses = [*derived(incident), *stored_responses.get(incident["id"], ())]
        for response in responses:
            note(response)
        f = features(incident)
        involved = [c for c in dict.fromkeys(f.initiators + f.receivers) if wanted(c)]
        if not involved:
            continue
        result = assess_features(f, Context(threshold=threshold, responses=tuple(responses), capacity=capacity))
        for c in dict.fromkeys(f.initiators):
            if wanted(c):
                initiated[c].add(f, result, (r for r in f.receivers if r != c))
        for c in dict.fromkeys(f.receivers):
            if wanted(c):
                received[c].add(f, result, (i for i in f.initiators if i != c))
    for response in unlinked_responses:
        note(response)
    found = countries if countries is not None else set(initiated) | set(received) | set(given) | set(got)
    return {c: profile(c, initiated.get(c, _Side()), received.get(c, _Side()), given.get(c, []), got.get(c, []),
                       capacity.get(c, {}), (galaxy or {}).get(c))
            for c in sorted(found)}


def profile(iso2: str, initiated: _Side, received: _Side, given: list[dict[str, Any]],
            got: list[dict[str, Any]], capacity: Mapping[str, float], galaxy: str | None) -> dict[str, Any]:
    """One country's profile as JSON-ready data."""
    budapest = frameworks.budapest_status(iso2)
    return {
        "iso2": iso2,
        "name": country_name(iso2),
        "budapest_convention": {**budapest, "galaxy": galaxy},
        "capacity": dict(capacity),
        "as_initiator": initiated.as_dict("top_receivers"),
        "as_receiver": received.as_dict("top_initiators"),
        "responses_given": _responses(given),
        "responses_received": _responses(got),
    }


def _responses(responses: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = [r for r in timeline(responses) if r.get("date")]
    return {"count": len(responses), "by_type": dict(Counter(r["type"] for r in responses).most_common()),
            "highest_rank": max((int(r["rank"]) for r in responses), default=None),
            "latest": [{k: r.get(k) for k in ("date", "type", "actor", "actor_country", "target_country",
                                                "incident", "source")}
                       for r in reversed(ordered[-LATEST:])]}
