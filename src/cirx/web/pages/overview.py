"""The overview ``/``: a world choropleth, initiator-to-receiver flows and a timeline by type, under one filter.

Every figure is read through the caller's workspace, so an incident the caller
may not see is neither drawn, nor counted, nor part of a legend's maximum.
The page is a thin handler over :func:`overview_data` (the rows of every chart,
which are also the CSV downloads) and :func:`overview_charts` (their SVG).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from cirx.api.deps import PlatformDep
from cirx.errors import InvalidInput
from cirx.services import cache
from cirx.services.incidents import IncidentService
from cirx.store.reader import IncidentFilter
from cirx.web import charts, geo
from cirx.web.filters import IncidentFilterDep, filter_options
from cirx.web.render import csv_link, page, query_string
from cirx.web.session import WebWorkspaceDep

router = APIRouter(include_in_schema=False)

#: What the choropleth can count countries by.
MAP_BY = ("receiver", "initiator")
#: How many dyads the flow map draws.
TOP_FLOWS = 25


@dataclass(frozen=True)
class OverviewData:
    """The headline figures and the rows of every chart of the overview (as the caller may see them)."""

    incidents: int
    states: int
    initiator_states: int
    receiver_states: int
    map_rows: list[dict[str, Any]]
    flow_rows: list[dict[str, Any]]
    timeline_rows: list[dict[str, Any]]

    def charts(self) -> dict[str, list[dict[str, Any]]]:
        """The CSV downloads: chart name to rows."""
        return {"map": self.map_rows, "flows": self.flow_rows, "timeline": self.timeline_rows}


def map_by(value: str | None) -> str:
    """The ``by`` parameter checked: ``receiver`` (default) or ``initiator``."""
    chosen = (value or "receiver").strip().lower()
    if chosen not in MAP_BY:
        raise InvalidInput(f"parameter 'by': {value!r} is not one of {', '.join(MAP_BY)}")
    return chosen


def overview_data(incidents: IncidentService, where: IncidentFilter, by: str) -> OverviewData:
    """Count, map, flows and timeline for ``where``; four queries, all through ``incidents``' reader."""
    total = incidents.count(where)
    facet = incidents.stats("receivers" if by == "receiver" else "initiators", where)
    dyads = incidents.stats("dyads", where)
    initiators = {str(r["initiator"]) for r in dyads if r["initiator"]}
    receivers = {str(r["receiver"]) for r in dyads if r["receiver"]}
    map_rows = [{"country_code": r["value"], "country": geo.name_of(str(r["value"])), "incidents": r["incidents"]}
                for r in facet if r["value"]]
    flow_rows = [{"rank": i, "initiator": f.initiator, "initiator_name": geo.name_of(f.initiator),
                  "receiver": f.receiver, "receiver_name": geo.name_of(f.receiver), "incidents": f.incidents}
                 for i, f in enumerate(geo.drawable_flows(dyads, TOP_FLOWS), 1)]
    timeline_rows = [{"year": r["year"], "type": r["value"], "incidents": r["incidents"]}
                     for r in incidents.stats("types-by-year", where)]
    return OverviewData(incidents=total, states=len(initiators | receivers), initiator_states=len(initiators),
                        receiver_states=len(receivers), map_rows=map_rows, flow_rows=flow_rows,
                        timeline_rows=timeline_rows)


def overview_charts(request: Request, data: OverviewData, by: str) -> dict[str, Markup]:
    """The SVG figures of the overview: the choropleth (with the shapes), the flows, the timeline."""
    params = {k: v for k, v in request.query_params.multi_items() if k != "csv"}
    keep = {k: v for k, v in params.items() if k != "by"}
    counts = {str(r["country_code"]): int(r["incidents"]) for r in data.map_rows}
    title = "Incidents by receiver state" if by == "receiver" else "Incidents by initiator state"
    flows = [geo.Flow(str(r["initiator"]), str(r["receiver"]), int(r["incidents"])) for r in data.flow_rows]
    dyad_href = "/dyads" + query_string(keep) + ("&" if keep else "?") + "initiator={initiator}&receiver={receiver}"
    return {
        "map": geo.choropleth("map", title, counts, csv_url=csv_link(request, "map"), with_shapes=True),
        "flows": geo.flow_map("flows", f"The {len(flows)} busiest flows from initiator to receiver state", flows,
                              csv_url=csv_link(request, "flows"), dyad_href=dyad_href),
        "timeline": charts.stacked_columns(
            "timeline", "Incidents per year by type", data.timeline_rows, x="year", series="type",
            value="incidents", x_label="Start year", y_label="Incidents (by type)",
            csv_url=csv_link(request, "timeline")),
    }


@router.get("/")
def overview(request: Request, platform: PlatformDep, workspace: WebWorkspaceDep, where: IncidentFilterDep,
             by: str | None = None) -> Response:
    """The overview page (or one of its charts as CSV with ``?csv=map|flows|timeline``)."""
    chosen = map_by(by)
    data = cache.cached("overview", platform.engine, workspace.principal,
                        lambda: overview_data(workspace.incidents, where, chosen), where, chosen)
    if request.query_params.get("csv") is not None:
        return page(request, "overview.html", {}, charts=data.charts())
    params = {k: v for k, v in request.query_params.multi_items() if k != "csv"}
    switch = [(option, "/" + query_string(params, by=None if option == "receiver" else option)) for option in MAP_BY]
    return page(request, "overview.html", {
        "data": data, "by": chosen, "switch": switch, "figures": overview_charts(request, data, chosen),
        "filter_options": filter_options()}, charts=data.charts())
