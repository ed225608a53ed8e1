"""Incidents: list, show, search, and the statistics researchers ask for."""

from __future__ import annotations

import builtins
from typing import Any

from cirx.errors import InvalidInput, NotFound
from cirx.model.incident import ir_properties
from cirx.store.reader import IncidentFilter, StixReader

STAT_KINDS = ("dyads", "timeline", "types-by-year", "types", "sectors", "initiators", "receivers")


class IncidentService:
    """Incident queries over the store."""

    def __init__(self, reader: StixReader) -> None:
        self._reader = reader

    def list(self, where: IncidentFilter, *, limit: int = 50, offset: int = 0,
             order: str = "newest") -> builtins.list[dict[str, Any]]:
        """Incidents passing the filter, newest first (or ``oldest``, ``name``, ``-name``)."""
        return self._reader.incidents(where, limit=limit, offset=offset, order=order)

    def count(self, where: IncidentFilter) -> int:
        """How many incidents pass the filter."""
        return self._reader.count_incidents(where)

    def show(self, reference: str) -> dict[str, Any]:
        """One incident by STIX id or by a source id such as ``eurepoc:947``."""
        stix_id = reference
        if not reference.startswith("incident--"):
            source, _, external_id = reference.partition(":")
            found = self._reader.by_external_id(source, external_id) if external_id else []
            found = [i for i in found if i.startswith("incident--")]
            if not found:
                raise NotFound(f"no incident {reference!r} (give a STIX id or SOURCE:ID, e.g. eurepoc:947)")
            stix_id = found[0]
        incident = self._reader.get(stix_id)
        if incident["type"] != "incident":
            raise NotFound(f"{reference} is a {incident['type']}, not an incident")
        return incident

    def related(self, stix_id: str) -> builtins.list[dict[str, Any]]:
        """Objects related to an incident, with their names."""
        edges = self._reader.relationships(stix_id)
        others = [e["target_ref"] if e["source_ref"] == stix_id else e["source_ref"] for e in edges]
        names = self._reader.names(others)
        return [
            {**edge, "other": other, "other_type": names.get(other, ("?", None))[0],
             "other_name": names.get(other, ("?", None))[1]}
            for edge, other in zip(edges, others, strict=True)
        ]

    def stats(self, kind: str, where: IncidentFilter) -> builtins.list[dict[str, Any]]:
        """Statistics: ``dyads``, ``timeline``, ``types``, ``sectors``, ``initiators``, ``receivers``."""
        if kind == "dyads":
            return self._reader.dyads(where)
        if kind == "timeline":
            return self._reader.timeline(where)
        if kind == "types-by-year":
            return self._reader.facet_timeline("type", where)
        facet = {"types": "type", "sectors": "sector", "initiators": "initiator",
                 "receivers": "receiver"}.get(kind)
        if facet is None:
            raise InvalidInput(f"unknown statistic {kind!r}; choose one of {', '.join(STAT_KINDS)}")
        return self._reader.facet_counts(facet, where)


def summary_row(incident: dict[str, Any]) -> dict[str, Any]:
    """The columns of an incident shown in lists and CSV exports."""
    ir = ir_properties(incident)
    refs = [f"{r['source_name']}:{r['external_id']}" for r in incident.get("external_references", [])
            if r.get("external_id")]
    return {
        "id": incident["id"],
        "source_ids": ";".join(refs),
        "name": incident.get("name", ""),
        "start_date": ir.get("start_date", ""),
        "end_date": ir.get("end_date", ""),
        "initiators": ";".join(ir.get("initiator_countries", [])),
        "receivers": ";".join(ir.get("receiver_countries", [])),
        "initiator_category": ir.get("initiator_category", ""),
        "types": ";".join(ir.get("incident_types", [])),
        "sectors": ";".join(ir.get("sectors", [])),
        "effects": ";".join(ir.get("effects", [])),
        "intensity": (ir.get("intensity") or {}).get("value", ""),
        "actors": ";".join(ir.get("actors", [])),
    }
