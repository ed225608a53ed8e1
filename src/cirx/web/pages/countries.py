"""The country page: a state as initiator and as receiver, Budapest status, norms, responses, capacity.

``/countries/{iso2}`` also takes a name (``/countries/ukraine``).  Counts,
counterparts, timelines, norms and responses all come from the caller's
workspace, so an incident the caller may not see is never counted; the page's
data is cached per store state and caller.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.profiles import build_profiles
from cirx.analysis.norms.service import NormsService
from cirx.api.deps import PlatformDep
from cirx.errors import NotFound
from cirx.model.countries import to_iso2
from cirx.platform import Platform
from cirx.services import cache
from cirx.services.workspace import Workspace
from cirx.store.reader import IncidentFilter
from cirx.web import charts
from cirx.web.incident_views import LazyCharts, country
from cirx.web.render import csv_link, page
from cirx.web.session import WebPrincipalDep, WebWorkspaceDep

router = APIRouter(include_in_schema=False)

ROLES = ("initiator", "receiver")
#: The charts of each role (CSV names are ``ROLE-KIND``).
KINDS = ("counterparts", "types", "sectors", "timeline")


def country_data(workspace: Workspace, iso2: str) -> dict[str, Any]:
    """What the page shows of one state's incidents, read through the caller's workspace (pure for a store state).

    Counts and counterparts come from the country service, the types-by-year timelines from the
    incident statistics; incident types and sectors per role come from the norms profile
    (the same visible incidents, counted the same way).
    """
    shown = workspace.countries.show(iso2)
    service = workspace.incidents
    data: dict[str, Any] = {"show": shown}
    for role in ROLES:
        where = IncidentFilter(initiator=iso2) if role == "initiator" else IncidentFilter(receiver=iso2)
        other = "receiver" if role == "initiator" else "initiator"
        top = shown["top_receivers"] if role == "initiator" else shown["top_initiators"]
        data[role] = {
            "count": shown[f"incidents_as_{role}"],
            "counterparts": [{"country": d[other], "incidents": d["incidents"]} for d in top
                             if d[other] and d[other] != iso2 and d[role] == iso2],
            "timeline": [{"year": t["year"], "type": t["value"], "incidents": t["incidents"]}
                         for t in service.stats("types-by-year", where)],
        }
    return data


def norms_profiles(workspace: Workspace, platform: Platform) -> dict[str, dict[str, Any]]:
    """Every state's norms profile in one pass (cached per store state and caller: one page build pays it)."""
    return NormsService(platform.engine, workspace.reader).profiles(None)


def norms_profile(workspace: Workspace, platform: Platform, iso2: str, galaxy: str | None) -> dict[str, Any]:
    """One state's norms profile, from the cached pass over every state.

    A state that neither a visible incident nor a response names is absent
    from the pass; it gets the empty profile (Budapest status and capacity only).
    """
    profiles = cache.cached("norms-profiles", platform.engine, workspace.principal,
                            lambda: norms_profiles(workspace, platform))
    if iso2 in profiles:
        return profiles[iso2]
    capacity = NormsService(platform.engine, workspace.reader).repository.capacity()
    return build_profiles((), countries={iso2}, capacity=capacity,
                          galaxy={iso2: galaxy} if galaxy else None)[iso2]


def facet_rows(counts: dict[str, int], label: str) -> list[dict[str, Any]]:
    """``{value: incidents}`` as chart rows, most incidents first."""
    return [{label: value, "incidents": n} for value, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def implicated_rows(counts: dict[str, int], labels: dict[str, str]) -> list[dict[str, Any]]:
    """``{id: incidents}`` as labelled rows, most incidents first."""
    return [{"id": key, "label": labels.get(key, key), "incidents": n}
            for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def response_view(summary: dict[str, Any]) -> dict[str, Any]:
    """A responses summary (given or received) with the ladder's labels."""
    ladder = frameworks.ladder()

    def label(type_id: str) -> str:
        return ladder[type_id].label if type_id in ladder else type_id

    return {"count": summary.get("count") or 0, "highest_rank": summary.get("highest_rank"),
            "by_type": [{"type": t, "label": label(t), "count": n}
                        for t, n in sorted((summary.get("by_type") or {}).items(), key=lambda kv: -kv[1])],
            "latest": [{**r, "label": label(str(r.get("type"))),
                        "href": f"/incidents/{r['incident']}" if r.get("incident") else None}
                       for r in summary.get("latest") or ()]}


def _rows(data: dict[str, Any], role: str, kind: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = data[role][kind]
    return rows


def dyad_href(initiator: str, receiver: str) -> str:
    """The dyads page for one directed pair."""
    return f"/dyads?initiator={initiator}&receiver={receiver}"


def role_view(iso2: str, name: str, role: str, part: dict[str, Any], links: dict[str, str]) -> dict[str, Any]:
    """The state as initiator or receiver: count, top counterparts with their dyads, and the role's charts."""
    other = "receiver" if role == "initiator" else "initiator"
    verb = "targets" if role == "initiator" else "is targeted by"
    pair = f"/dyads?initiator={iso2}&receiver={{label}}" if role == "initiator" else \
        f"/dyads?initiator={{label}}&receiver={iso2}"
    return {
        "count": part["count"],
        "counterparts": [{**c, "country": country(c["country"]),
                          "dyad": dyad_href(iso2, c["country"]) if role == "initiator" else dyad_href(c["country"], iso2)}
                         for c in part["counterparts"][:10]],
        "counterparts_chart": charts.bar_chart(
            f"{role}-counterparts", f"States {name} {verb} (as {role})", part["counterparts"], label="country",
            value="incidents", x_label="incidents", y_label=other, csv_url=links[f"{role}-counterparts"],
            href=pair, limit=15),
        "types_chart": charts.bar_chart(
            f"{role}-types", f"Incident types with {name} as {role}", part["types"], label="type",
            value="incidents", x_label="incidents", y_label="type", csv_url=links[f"{role}-types"]),
        "sectors_chart": charts.bar_chart(
            f"{role}-sectors", f"Sectors hit with {name} as {role}", part["sectors"], label="sector",
            value="incidents", x_label="incidents", y_label="sector", csv_url=links[f"{role}-sectors"]),
        "timeline_chart": charts.stacked_columns(
            f"{role}-timeline", f"Incidents per year with {name} as {role}, by type", part["timeline"], x="year",
            series="type", value="incidents", x_label="start year", y_label="incidents",
            csv_url=links[f"{role}-timeline"]),
        "incidents_href": f"/incidents?{role}={iso2}",
    }


@router.get("/countries/{reference}")
def country_page(request: Request, reference: str, workspace: WebWorkspaceDep, principal: WebPrincipalDep,
                 platform: PlatformDep) -> Response:
    """One state's profile as far as the caller may see it."""
    started = time.perf_counter()
    iso2 = to_iso2(reference)
    if iso2 is None:
        raise NotFound(f"no country {reference!r} (give an ISO 3166-1 code such as UA, or a name)")
    data = cache.cached("country-page", platform.engine, workspace.principal, lambda: country_data(workspace, iso2), iso2)
    shown = data["show"]
    norms = norms_profile(workspace, platform, iso2, shown.get("budapest_convention"))
    platform.audit.record(principal, "read", [shown["id"]] if shown.get("id") else [], detail=f"web country {iso2}")
    name = shown["name"] or iso2
    parts = {role: {**data[role], "types": facet_rows(norms[f"as_{role}"].get("by_type") or {}, "type"),
                    "sectors": facet_rows(norms[f"as_{role}"].get("by_sector") or {}, "sector")} for role in ROLES}
    links = {f"{role}-{kind}": csv_link(request, f"{role}-{kind}") for role in ROLES for kind in KINDS}
    roles = {role: role_view(iso2, name, role, parts[role], links) for role in ROLES}
    norm_labels = {n.id: f"13({n.letter}) {n.short_name}" for n in frameworks.norms()}
    law_labels = {r.id: r.name for r in frameworks.legal_rules()}
    context = {
        "iso2": iso2, "name": name, "show": shown, "budapest": norms.get("budapest_convention") or {},
        "capacity": sorted((norms.get("capacity") or {}).items()), "roles": roles,
        "norms": {role: {"norms": implicated_rows(norms[f"as_{role}"].get("norms_implicated") or {}, norm_labels),
                         "law": implicated_rows(norms[f"as_{role}"].get("international_law_implicated") or {},
                                                law_labels)} for role in ROLES},
        "responses": {"given": response_view(norms.get("responses_given") or {}),
                      "received": response_view(norms.get("responses_received") or {})},
        "profile": shown.get("profile") or {},
    }
    context["elapsed_ms"] = (time.perf_counter() - started) * 1000
    chart_rows = LazyCharts({f"{role}-{kind}": partial(_rows, parts, role, kind)
                             for role in ROLES for kind in KINDS})
    return page(request, "country.html", context, charts=chart_rows)
