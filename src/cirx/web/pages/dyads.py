"""The dyads page ``/dyads``: who targets whom, and one rivalry's history with its escalation.

Without both an initiator and a receiver in the query, the page shows the
initiator x receiver matrix and the busiest rivalries (either direction) under
the filters.  With both (``/dyads?initiator=RU&receiver=UA``) it shows that
dyad's history: incidents per year by type, intensity per year, the responses
on the escalation ladder with the share of incidents followed by a serious
response, and the incidents themselves.

Everything is read through the caller's workspace: the incidents of the dyad
are listed once (by that reader), and the responses, the intensity and the
escalation are computed from those documents and from the stored responses
linked to them, so a response to an incident the caller may not see is never
shown.  The norms service's own ``responses(dyad=...)`` and ``escalation``
walk every incident of the store; doing the same from the dyad's own incidents
keeps the page at a few tens of milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from cirx.analysis.norms import frameworks, trends
from cirx.analysis.norms.repository import NormsRepository
from cirx.analysis.norms.responses import derived, timeline
from cirx.analysis.norms.service import NormsService
from cirx.api.deps import PlatformDep
from cirx.model.incident import ir_properties
from cirx.services import cache
from cirx.services.incidents import summary_row
from cirx.services.workspace import Workspace
from cirx.store.derive import intensity_of
from cirx.store.reader import IncidentFilter
from cirx.web import charts, geo
from cirx.web.filters import IncidentFilterDep, filter_options
from cirx.web.render import csv_link, page, query_string
from cirx.web.session import WebWorkspaceDep

router = APIRouter(include_in_schema=False)

#: The most incidents a rivalry page lists (and computes its figures from).
RIVALRY_LIMIT = 2000
#: The most rivalries the matrix view lists.
TOP_RIVALRIES = 20
#: A response of at least this rank (retorsion and above) counts as escalation, within this many days.
ESCALATION_RANK = 7
ESCALATION_DAYS = 365
#: The parameters a link keeps when it changes the dyad.
FILTER_KEYS = ("since", "until", "type", "sector", "initiator_category", "q")


# -- the matrix ---------------------------------------------------------------------------


def matrix_rows(dyads: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Dyad rows between two known parties (with names), and the incidents-in-dyads left out for an unknown
    party (an incident counts once per dyad, as the statistics count it)."""
    rows, unknown = [], 0
    for r in dyads:
        if not r["initiator"] or not r["receiver"]:
            unknown += int(r["incidents"])
            continue
        rows.append({"initiator": r["initiator"], "initiator_name": geo.name_of(str(r["initiator"])),
                     "receiver": r["receiver"], "receiver_name": geo.name_of(str(r["receiver"])),
                     "incidents": r["incidents"]})
    return rows, unknown


def rivalry_rows(rivalries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rivalries (unordered pairs) as flat rows: both states, incidents, how many each initiated, years."""
    found = []
    for r in rivalries:
        a, b = (str(s) for s in r["states"])
        found.append({"state_a": a, "state_a_name": geo.name_of(a), "state_b": b, "state_b_name": geo.name_of(b),
                      "incidents": r["incidents"], "initiated_by_a": r["by_initiator"].get(a, 0),
                      "initiated_by_b": r["by_initiator"].get(b, 0), "first_year": r["first_year"],
                      "last_year": r["last_year"]})
    return found


def dyad_link(params: Mapping[str, str], initiator: str, receiver: str) -> str:
    """The rivalry page of a dyad, keeping the filters of ``params``."""
    kept = {k: v for k, v in params.items() if k in FILTER_KEYS}
    return "/dyads" + query_string(kept, initiator=initiator, receiver=receiver)


# -- a rivalry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rivalry:
    """One directed dyad's history under the filters, as the caller may see it."""

    initiator: str
    receiver: str
    incidents: list[dict[str, Any]]
    total: int
    reverse: int
    types_by_year: list[dict[str, Any]]
    intensity: list[dict[str, Any]]
    responses: list[dict[str, Any]]
    escalation: dict[str, Any]
    intensity_mean: float | None = None
    intensity_max: float | None = None

    def charts(self) -> dict[str, list[dict[str, Any]]]:
        """The CSV downloads: chart name to rows."""
        return {"types-by-year": self.types_by_year, "intensity": self.intensity, "responses": self.responses,
                "incidents": self.incidents}


def intensity_by_year(rows: Iterable[trends.IncidentRow]) -> list[dict[str, Any]]:
    """Per start year: incidents, how many have an intensity, its mean and its maximum."""
    years: dict[int, list[float | None]] = defaultdict(list)
    for row in rows:
        text = str(row.start_date or "")[:4]
        if text.isdigit():
            years[int(text)].append(row.intensity)
    found = []
    for year in sorted(years):
        levels = [v for v in years[year] if v is not None]
        found.append({"year": year, "incidents": len(years[year]), "measured": len(levels),
                      "intensity_mean": round(sum(levels) / len(levels), 2) if levels else None,
                      "intensity_max": max(levels) if levels else None})
    return found


def incident_rows(docs: Iterable[Mapping[str, Any]]) -> list[trends.IncidentRow]:
    """Incidents as the trend statistics see them."""
    rows = []
    for doc in docs:
        ir = ir_properties(dict(doc))
        rows.append(trends.IncidentRow(
            id=str(doc["id"]), initiators=tuple(ir.get("initiator_countries") or ()),
            receivers=tuple(ir.get("receiver_countries") or ()), start_date=ir.get("start_date"),
            types=tuple(ir.get("incident_types") or ()), intensity=intensity_of(ir)))
    return rows


def rivalry_responses(docs: Sequence[Mapping[str, Any]], stored: Sequence[Mapping[str, Any]],
                      between: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """The responses of a dyad on the ladder, oldest first, and the responses linked to each incident.

    ``docs`` are the dyad's incidents (visible to the caller); ``stored`` the stored responses linked to
    them; ``between`` the stored responses between the two states that name no incident.
    """
    names = {str(d["id"]): str(d.get("name") or d["id"]) for d in docs}
    linked: dict[str, list[Any]] = defaultdict(list)
    for doc in docs:
        linked[str(doc["id"])].extend(derived(dict(doc)))
    for response in stored:
        if response.get("incident") in names:
            linked[str(response["incident"])].append(dict(response))
    every = [r for found in linked.values() for r in found] + [dict(r) for r in between if not r.get("incident")]
    rows = [{"id": r["id"], "date": r.get("date") or "", "rank": r["rank"], "type": r["type"], "label": r["label"],
             "legal_category": r["legal_category"], "actor": r.get("actor") or "",
             "actor_country": r.get("actor_country") or "", "target_country": r.get("target_country") or "",
             "source": r.get("source") or "", "incident": r.get("incident") or "",
             "incident_name": names.get(str(r.get("incident") or ""), ""), "note": r.get("note") or ""}
            for r in timeline(every)]
    return rows, dict(linked)


def rivalry_data(workspace: Workspace, repository: NormsRepository, where: IncidentFilter) -> Rivalry:
    """A directed dyad's history (``where`` names both its initiator and its receiver)."""
    a, b = str(where.initiator), str(where.receiver)
    incidents = workspace.incidents
    docs = incidents.list(where, limit=RIVALRY_LIMIT, order="oldest")
    total = len(docs) if len(docs) < RIVALRY_LIMIT else incidents.count(where)
    reverse = incidents.count(replace(where, initiator=b, receiver=a)) if a != b else 0
    ids = [str(d["id"]) for d in docs]
    stored = repository.responses(incidents=ids) if ids else []
    between = [r for r in repository.responses(states=(a, b)) if not r.get("incident")] if a != b else []
    responses, linked = rivalry_responses(docs, stored, between)
    rows = incident_rows(docs)
    found = trends.escalation(rows, linked, min_rank=ESCALATION_RANK, within_days=ESCALATION_DAYS, unlinked=between)
    escalation = {k: found[k] for k in ("incidents", "followed", "share", "undated", "min_rank", "within_days")}
    types = [{"year": r["year"], "type": r["value"], "incidents": r["incidents"]}
             for r in incidents.stats("types-by-year", where)]
    levels = [r.intensity for r in rows if r.intensity is not None]
    return Rivalry(initiator=a, receiver=b, incidents=[summary_row(d) for d in reversed(docs)], total=total,
                   reverse=reverse, types_by_year=types, intensity=intensity_by_year(rows), responses=responses,
                   escalation=escalation, intensity_mean=round(sum(levels) / len(levels), 3) if levels else None,
                   intensity_max=max(levels, default=None))


# -- rivalry charts -----------------------------------------------------------------------

_W, _H, _LEFT, _TOP, _BOTTOM = 680, 300, 54, 20, 40
#: The ladder spans the page's width, so it is drawn wider (its text stays the size of the other charts').
_LADDER_W, _LADDER_H = 1100, 340


def _year_axis(years: Sequence[int], plot_w: float) -> tuple[int, int, float]:
    first, last = min(years), max(years)
    span = max(last - first + 1, 1)
    return first, last, plot_w / span


def intensity_chart(chart_id: str, title: str, rows: Sequence[Mapping[str, Any]], *, csv_url: str | None,
                    scale: str = "EuRepoC weighted cyber intensity") -> Markup:
    """Mean intensity per year as columns, the year's maximum as a dot above, on one axis."""
    measured = [r for r in rows if r["intensity_mean"] is not None]
    if not measured:
        return charts.figure(chart_id, title, '<p class="empty">No incident of this dyad has an intensity.</p>',
                             csv_url=csv_url)
    plot_w, plot_h = _W - _LEFT - 10, _H - _TOP - _BOTTOM
    first, last, step = _year_axis([int(r["year"]) for r in measured], plot_w)
    peak = max(float(r["intensity_max"]) for r in measured)
    top = float(max(4, 4 * math.ceil(peak / 4)))  # four grid steps of whole units
    parts = [f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-labelledby="{chart_id}-title" class="columns">']
    parts += charts.grid_lines(top, left=_LEFT, top=_TOP, right=_W - 10, plot_h=plot_h, label="{:g}")
    for r in measured:
        i = int(r["year"]) - first
        x = _LEFT + i * step
        mean, high = float(r["intensity_mean"]), float(r["intensity_max"])
        h = plot_h * mean / top
        label = (f'{r["year"]}: mean {mean:g}, maximum {high:g} ({r["measured"]} of {r["incidents"]} incidents '
                 f'rated)')
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{_TOP + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{h:.1f}" fill="{charts.PALETTE[0]}"><title>{escape(label)}</title></rect>'
                     f'<circle cx="{x + step / 2:.1f}" cy="{_TOP + plot_h - plot_h * high / top:.1f}" r="4" '
                     f'fill="{charts.PALETTE[5]}"><title>{escape(label)}</title></circle>')
    parts.append(_x_years(first, last, step, plot_w, plot_h, "Start year", "Intensity"))
    legend = (f'<ul class="legend" aria-label="Legend"><li><span class="swatch" style="background:'
              f'{charts.PALETTE[0]}"></span>mean intensity</li><li><span class="swatch" style="background:'
              f'{charts.PALETTE[5]};border-radius:50%"></span>highest intensity</li></ul>')
    return charts.figure(chart_id, title, "".join(parts), csv_url=csv_url, legend=legend, note=f"Scale: {scale}.")


def _x_years(first: int, last: int, step: float, plot_w: float, plot_h: float, x_label: str, y_label: str,
             height: int = _H) -> str:
    every = max(1, (last - first + 1) // (12 if plot_w < 800 else 20))
    ticks = "".join(f'<text x="{_LEFT + (year - first + 0.5) * step:.1f}" y="{_TOP + plot_h + 16}" '
                    f'text-anchor="middle">{year}</text>' for year in range(first, last + 1) if (year - first) % every == 0)
    return (f'{ticks}<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_TOP + plot_h}" class="axis"/>'
            f'<line x1="{_LEFT}" y1="{_TOP + plot_h}" x2="{_LEFT + plot_w}" y2="{_TOP + plot_h}" class="axis"/>'
            f'<text x="{_LEFT + plot_w / 2}" y="{height - 4}" text-anchor="middle" class="axis-label">'
            f'{escape(x_label)}</text><text x="4" y="12" class="axis-label">{escape(y_label)}</text></svg>')


def _fraction(date: str) -> float | None:
    """A date (YYYY-MM-DD or YYYY) as a year with a fraction, or None."""
    if len(date) >= 4 and date[:4].isdigit():
        month = int(date[5:7]) if len(date) >= 7 and date[5:7].isdigit() else 7
        day = int(date[8:10]) if len(date) >= 10 and date[8:10].isdigit() else 1
        return int(date[:4]) + (month - 1) / 12 + (day - 1) / 365
    return None


def ladder_chart(chart_id: str, title: str, responses: Sequence[Mapping[str, Any]],
                 incidents: Sequence[Mapping[str, Any]], *, csv_url: str | None) -> Markup:
    """Responses on a timeline, placed by their rank on the escalation ladder and coloured by legal category;
    the incidents' start dates marked along the time axis."""
    dated = [(when, r) for r in responses if (when := _fraction(str(r["date"]))) is not None]
    starts = [when for r in incidents if (when := _fraction(str(r.get("start_date") or ""))) is not None]
    undated = len(responses) - len(dated)
    if not dated:
        text = "No dated response to this dyad's incidents is recorded" + (
            f" ({undated} undated, listed below)." if undated else ".")
        return charts.figure(chart_id, title, f'<p class="empty">{escape(text)}</p>', csv_url=csv_url)
    categories = [c["id"] for c in frameworks.load("responses")["legal_categories"]]
    top_rank = max(rung.rank for rung in frameworks.ladder().values())
    plot_w, plot_h = _LADDER_W - _LEFT - 10, _LADDER_H - _TOP - _BOTTOM
    times = [w for w, _ in dated] + starts
    first, last = int(min(times)), int(max(times))
    step = plot_w / (last - first + 1)
    parts = [f'<svg viewBox="0 0 {_LADDER_W} {_LADDER_H}" role="img" aria-labelledby="{chart_id}-title" '
             f'class="ladder">']
    for rank in range(0, top_rank + 1):
        y = _TOP + plot_h - plot_h * rank / top_rank
        if rank % 2 == 0 or rank == top_rank:
            parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + plot_w}" y2="{y:.1f}" class="grid"/>'
                         f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{rank}</text>')
    threshold = _TOP + plot_h - plot_h * ESCALATION_RANK / top_rank
    parts.append(f'<line x1="{_LEFT}" y1="{threshold:.1f}" x2="{_LEFT + plot_w}" y2="{threshold:.1f}" '
                 f'stroke="{charts.PALETTE[5]}" stroke-dasharray="4 3"><title>Escalation threshold: rank '
                 f'{ESCALATION_RANK}</title></line>')
    for when in starts:
        x = _LEFT + (when - first) * step
        parts.append(f'<line x1="{x:.1f}" y1="{_TOP + plot_h}" x2="{x:.1f}" y2="{_TOP + plot_h - 8}" '
                     f'stroke="#555" stroke-width="1.5"/>')
    for when, r in dated:
        x = _LEFT + (when - first) * step
        y = _TOP + plot_h - plot_h * int(r["rank"]) / top_rank
        category = str(r["legal_category"])
        index = categories.index(category) if category in categories else len(categories)
        label = f'{r["date"]}: {r["label"]} (rank {r["rank"]}, {category})' + (
            f' by {r["actor"]}' if r["actor"] else "")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{charts.colour(index)}" fill-opacity=".85">'
                     f'<title>{escape(label)}</title></circle>')
    parts.append(_x_years(first, last, step, plot_w, plot_h, "Date", "Rank on the escalation ladder",
                          height=_LADDER_H))
    shown = sorted({str(r["legal_category"]) for _, r in dated},
                   key=lambda c: categories.index(c) if c in categories else len(categories))
    items = "".join(
        f'<li><span class="swatch" style="background:{charts.colour(categories.index(c) if c in categories else len(categories))};'
        f'border-radius:50%"></span>{escape(c)}</li>' for c in shown)
    legend = (f'<ul class="legend" aria-label="Legend: legal category">{items}<li><span class="swatch" '
              f'style="background:#555;width:2px"></span>an incident starts</li><li><span class="swatch" style="'
              f'background:{charts.PALETTE[5]};height:2px"></span>escalation threshold (rank {ESCALATION_RANK})</li>'
              f'</ul>')
    note = f"{undated} undated response(s) are listed in the table but not drawn." if undated else ""
    return charts.figure(chart_id, title, "".join(parts), csv_url=csv_url, legend=legend, note=note)


# -- the page -----------------------------------------------------------------------------


@router.get("/dyads")
def dyads(request: Request, platform: PlatformDep, workspace: WebWorkspaceDep, where: IncidentFilterDep) -> Response:
    """The who-targets-whom matrix, or with ``initiator`` and ``receiver`` one rivalry's history."""
    params = {k: v for k, v in request.query_params.multi_items() if k != "csv"}
    if where.initiator and where.receiver:
        return _rivalry_page(request, platform.engine, workspace, where, params)
    dyad_rows, unknown, rivalries = cache.cached(
        "dyads", platform.engine, workspace.principal, lambda: _matrix_data(platform, workspace, where), where)
    rivalries = [dict(row) for row in rivalries]  # the links below are added to copies, not to the cached rows
    chart_rows = {"matrix": dyad_rows, "rivalries": rivalries}
    if "csv" in request.query_params:
        return page(request, "dyads.html", {}, charts=chart_rows)
    kept = {k: v for k, v in params.items() if k in FILTER_KEYS}
    href = "/dyads" + query_string(kept) + ("&" if kept else "?") + "initiator={row}&receiver={column}"
    matrix = charts.matrix("matrix", "Who targets whom: incidents by initiator (rows) and receiver (columns)",
                           dyad_rows, row="initiator", column="receiver", value="incidents",
                           row_label="Initiator", column_label="Receiver", csv_url=csv_link(request, "matrix"),
                           href=href, limit=20)
    for row in rivalries:
        row["href_ab"] = dyad_link(params, row["state_a"], row["state_b"])
        row["href_ba"] = dyad_link(params, row["state_b"], row["state_a"])
    return page(request, "dyads.html", {
        "view": "matrix", "matrix": matrix, "rivalries": rivalries, "unknown": unknown,
        "rivalries_csv": csv_link(request, "rivalries"), "filter_options": filter_options()}, charts=chart_rows)


def _matrix_data(platform: Any, workspace: Workspace,
                 where: IncidentFilter) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """The matrix rows, the count of incidents with an unknown party, and the busiest rivalries."""
    dyad_rows, unknown = matrix_rows(workspace.incidents.stats("dyads", where))
    rivalries = rivalry_rows(NormsService(platform.engine, workspace.reader).rivalries(where, top=TOP_RIVALRIES))
    return dyad_rows, unknown, rivalries


def _rivalry_page(request: Request, engine: Any, workspace: Workspace, where: IncidentFilter,
                  params: Mapping[str, str]) -> Response:
    data = cache.cached("rivalry", engine, workspace.principal,
                        lambda: rivalry_data(workspace, NormsRepository(engine), where), where)
    if "csv" in request.query_params:
        return page(request, "dyads.html", {}, charts=data.charts())
    a, b = data.initiator, data.receiver
    figures = {
        "types": charts.stacked_columns(
            "types-by-year", f"Incidents per year by type, {geo.name_of(a)} → {geo.name_of(b)}",
            data.types_by_year, x="year", series="type", value="incidents", x_label="Start year",
            y_label="Incidents (by type)", csv_url=csv_link(request, "types-by-year")),
        "intensity": intensity_chart("intensity", "Intensity per year", data.intensity,
                                     csv_url=csv_link(request, "intensity")),
        "ladder": ladder_chart("responses", "Responses on the escalation ladder", data.responses, data.incidents,
                               csv_url=csv_link(request, "responses")),
    }
    return page(request, "dyads.html", {
        "view": "rivalry", "rivalry": data, "figures": figures, "initiator_name": geo.name_of(a),
        "receiver_name": geo.name_of(b), "reverse_href": dyad_link(params, b, a),
        "matrix_href": "/dyads" + query_string({k: v for k, v in params.items() if k in FILTER_KEYS}),
        "incidents_csv": csv_link(request, "incidents"), "filter_options": filter_options()},
        charts=data.charts())
