"""The actor page: names across schemes, sponsor, ATT&CK heat map, software, victims, incidents over time.

``/actors/{id}`` takes a STIX id, an ATT&CK id (G0007) or any name or alias
("Fancy Bear").  Everything comes from the caller's workspace; the ATT&CK
matrix layout is cached per store state and caller.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from cirx.api.deps import PlatformDep
from cirx.errors import NotFound
from cirx.model.incident import ir_properties
from cirx.platform import Platform
from cirx.services import cache
from cirx.services.incidents import summary_row
from cirx.services.workspace import Workspace
from cirx.web import attack_matrix, charts
from cirx.web.incident_views import LazyCharts, country, counts, incident_row, types_by_year
from cirx.web.render import csv_link, page
from cirx.web.session import WebPrincipalDep, WebWorkspaceDep

router = APIRouter(include_in_schema=False)

ATTACK_SOFTWARE_URL = "https://attack.mitre.org/software/{id}/"
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_CITATION = re.compile(r"\s*\(Citation:[^)]*\)")


def plain_description(text: str | None) -> str:
    """An ATT&CK description as plain text: markdown links reduced to their text, citations dropped."""
    if not text:
        return ""
    return _CITATION.sub("", _MARKDOWN_LINK.sub(r"\1", text)).strip()


def software_rows(software: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actor's malware and tools, one row per ATT&CK id (or name), linked to ATT&CK where known."""
    seen: dict[str, dict[str, Any]] = {}
    for item in software:
        key = item.get("attack_id") or item.get("name") or item["id"]
        if key in seen or not item.get("name"):
            continue
        sid = item.get("attack_id")
        seen[key] = {"name": item["name"], "attack_id": sid or "", "type": item.get("type") or "",
                     "href": ATTACK_SOFTWARE_URL.format(id=sid) if sid else None}
    return sorted(seen.values(), key=lambda s: str(s["name"]).lower())


def scheme_rows(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Names by naming scheme (ATT&CK, MISP, vendors), then every other alias under ``other``."""
    rows = [{"scheme": scheme, "names": list(names)} for scheme, names in sorted(profile["names_by_scheme"].items())]
    named = {n for r in rows for n in r["names"]}
    others = [a for a in profile["aliases"] if a not in named]
    if others:
        rows.append({"scheme": "other aliases", "names": others})
    return rows


def actor_data(workspace: Workspace, reference: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The actor's profile and its incidents (newest first), as the caller's workspace gives them."""
    try:
        profile = workspace.actors.profile(reference)
    except NotFound:
        raise NotFound(f"no actor {reference!r} (try an ATT&CK id like G0007 or another alias)") from None
    incidents = workspace.reader.get_many(profile["incidents"])
    incidents.sort(key=lambda i: (str(ir_properties(i).get("start_date") or ""), i["id"]), reverse=True)
    return profile, incidents


@dataclass(frozen=True)
class ActorView:
    """What the actor page shows, built once per actor, audience and store state."""

    profile: dict[str, Any]
    incidents: list[dict[str, Any]]
    used: list[str]
    heat: attack_matrix.HeatMap
    matrix: Markup
    technique_table: Markup | None
    victims: list[dict[str, Any]]
    sectors: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


def actor_view(platform: Platform, workspace: Workspace, reference: str, techniques_csv: str) -> ActorView:
    """The actor's profile, incidents, heat map (rendered) and charts' rows, as the caller may see them."""
    profile, incidents = actor_data(workspace, reference)
    layout = cache.cached("attack-layout", platform.engine, workspace.principal,
                          lambda: attack_matrix.load_layout(workspace))
    used = sorted({t["attack_id"] for t in profile["techniques"] if t.get("attack_id")})
    heat = attack_matrix.heat_map(layout, used)
    title = profile["name"] or reference
    return ActorView(
        profile=profile, incidents=incidents, used=used, heat=heat,
        matrix=attack_matrix.render(heat, chart_id="attack-matrix",
                                    title=f"ATT&CK Enterprise techniques used by {title}", csv_url=techniques_csv),
        technique_table=attack_matrix.technique_table(heat) if heat.cells else None,
        victims=counts(incidents, "receiver_countries", "country"), sectors=counts(incidents, "sectors", "sector"),
        timeline=types_by_year(incidents))


@router.get("/actors/{reference:path}")
def actor_page(request: Request, reference: str, workspace: WebWorkspaceDep, principal: WebPrincipalDep,
               platform: PlatformDep) -> Response:
    """One actor's profile, as far as the caller may see it."""
    started = time.perf_counter()
    links = {name: csv_link(request, name) for name in ("techniques", "victims", "sectors", "timeline", "incidents")}
    view = cache.cached("actor", platform.engine, workspace.principal,
                        lambda: actor_view(platform, workspace, reference, links["techniques"]),
                        reference, links["techniques"])
    profile, incidents, heat = view.profile, view.incidents, view.heat
    victims, sectors, timeline = view.victims, view.sectors, view.timeline
    platform.audit.record(principal, "read", profile["ids"], detail="web actor page")
    title = profile["name"] or reference
    context = {
        "profile": profile, "title": title, "schemes": scheme_rows(profile),
        "description": plain_description(profile.get("description")),
        "sponsor": country(profile["sponsor_country"]) if profile.get("sponsor_country") else None,
        "based_in": country(profile["country"]) if profile.get("country") else None,
        "technique_count": len(view.used), "cell_count": len(heat.cells), "outside": heat.outside,
        "matrix": view.matrix, "technique_table": view.technique_table,
        "software": software_rows(profile["software"]),
        "victims_chart": charts.bar_chart(
            "victims", f"Victim states of {title}'s incidents", victims, label="country", value="incidents",
            x_label="incidents", y_label="receiver state", csv_url=links["victims"], href="/countries/{label}"),
        "sectors_chart": charts.bar_chart(
            "sectors", f"Sectors hit by {title}'s incidents", sectors, label="sector", value="incidents",
            x_label="incidents", y_label="sector", csv_url=links["sectors"]),
        "timeline_chart": charts.stacked_columns(
            "timeline", f"{title}'s incidents per year, by type", timeline, x="year", series="type",
            value="incidents", x_label="start year", y_label="incidents", csv_url=links["timeline"]),
        "incidents": [incident_row(i) for i in incidents], "incidents_csv": links["incidents"],
    }
    context["elapsed_ms"] = (time.perf_counter() - started) * 1000
    chart_rows = LazyCharts({
        "techniques": lambda: attack_matrix.csv_rows(heat), "victims": lambda: victims,
        "sectors": lambda: sectors, "timeline": lambda: timeline,
        "incidents": lambda: [summary_row(i) for i in incidents],
    })
    return page(request, "actor.html", context, charts=chart_rows)
