"""Incidents as the incident, actor and country pages show them: rows, TLP badges, party links, lazy CSVs.

Pure functions over incident documents the caller's workspace returned, so a
page never shows more than the access policy let through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from cirx.access.tlp import level_of
from cirx.model.countries import country_name
from cirx.model.incident import ir_properties

Rows = Sequence[Mapping[str, Any]]


class LazyCharts(Mapping[str, Rows]):
    """Chart rows computed only when asked for: a page passes it to ``render.page`` as ``charts``.

    The HTML view never computes a CSV it does not serve (e.g. the 5,000-row
    list download); ``?csv=NAME`` computes just that one.
    """

    def __init__(self, builders: Mapping[str, Callable[[], Rows]]) -> None:
        self._builders = dict(builders)
        self._built: dict[str, Rows] = {}

    def __getitem__(self, name: str) -> Rows:
        if name not in self._built:
            self._built[name] = self._builders[name]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


def tlp_level(obj: Mapping[str, Any]) -> str:
    """The object's TLP 2.0 level from its ``object_marking_refs`` (unmarked objects are TLP:CLEAR)."""
    return level_of(list(obj.get("object_marking_refs") or ())) or "clear"


def tlp_class(level: str) -> str:
    """The CSS class of a TLP badge: ``tlp tlp-amber-strict`` for AMBER+STRICT."""
    return "tlp tlp-" + level.replace("+", "-")


def country(iso2: str) -> dict[str, str]:
    """An ISO code with its name and the country page's link."""
    code = iso2.upper()
    return {"iso2": code, "name": country_name(code) or code, "href": f"/countries/{code}"}


def incident_row(incident: Mapping[str, Any]) -> dict[str, Any]:
    """What a list shows of one incident: link, dates, parties, types, sectors, TLP level."""
    ir = ir_properties(dict(incident))
    level = tlp_level(incident)
    return {
        "id": incident["id"], "href": f"/incidents/{incident['id']}", "name": incident.get("name") or incident["id"],
        "start_date": ir.get("start_date") or "", "end_date": ir.get("end_date") or "",
        "initiators": [country(c) for c in ir.get("initiator_countries") or ()],
        "receivers": [country(c) for c in ir.get("receiver_countries") or ()],
        "initiator_category": ir.get("initiator_category") or "",
        "types": list(ir.get("incident_types") or ()), "sectors": list(ir.get("sectors") or ()),
        "tlp": level, "tlp_class": tlp_class(level), "tlp_label": "TLP:" + level.upper(),
    }


def counts(incidents: Iterable[Mapping[str, Any]], field: str, label: str) -> list[dict[str, Any]]:
    """How many incidents name each value of an IR list property (``receiver_countries``, ``sectors``)."""
    found: Counter[str] = Counter()
    for incident in incidents:
        found.update(set(ir_properties(dict(incident)).get(field) or ()))
    return [{label: value, "incidents": n} for value, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))]


def types_by_year(incidents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Incidents per start year and type (``{year, type, incidents}``), for a stacked timeline."""
    found: Counter[tuple[str, str]] = Counter()
    for incident in incidents:
        ir = ir_properties(dict(incident))
        year = str(ir.get("start_date") or "")[:4]
        if year.isdigit():
            for kind in ir.get("incident_types") or ("unknown",):
                found[(year, kind)] += 1
    return [{"year": y, "type": t, "incidents": n} for (y, t), n in sorted(found.items())]
