"""REST routes over incidents, actors, countries and statistics.

The filters are those of ``cirx incidents list`` and ``cirx stats``.  Every
query runs in the caller's workspace, so totals and statistics count only
incidents the caller may see under TLP 2.0; single-record reads are audited.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path

from cirx.api.deps import PlatformDep, PrincipalDep, WorkspaceDep
from cirx.api.rest_common import IncidentFilterDep, Limit, Offset, audit

router = APIRouter()

StatKind = Literal["dyads", "timeline", "types-by-year", "types", "sectors", "initiators", "receivers"]


@router.get("/incidents", tags=["incidents"], summary="List incidents, newest first, with filters")
def list_incidents(workspace: WorkspaceDep, where: IncidentFilterDep, limit: Limit = 50,
                   offset: Offset = 0) -> dict[str, Any]:
    """``{"total": n, "incidents": [...]}``: the visible incidents passing the filter."""
    service = workspace.incidents
    return {"total": service.count(where), "incidents": service.list(where, limit=limit, offset=offset)}


@router.get("/incidents/{reference}", tags=["incidents"],
            summary="Get one incident by STIX id or SOURCE:ID (e.g. eurepoc:947), with related objects")
def show_incident(reference: str, platform: PlatformDep, principal: PrincipalDep,
                  workspace: WorkspaceDep) -> dict[str, Any]:
    """The incident and the visible objects related to it; audited as a read."""
    service = workspace.incidents
    incident = service.show(reference)
    audit(platform, principal, "read", [incident["id"]])
    return {"incident": incident, "related": service.related(incident["id"])}


@router.get("/actors/{name}", tags=["actors"],
            summary="An actor's profile by any name or alias (APT28, Fancy Bear, G0007)")
def show_actor(name: str, platform: PlatformDep, principal: PrincipalDep,
               workspace: WorkspaceDep) -> dict[str, Any]:
    """Names by scheme, sponsor, techniques, software and incidents; audited as a read."""
    profile = workspace.actors.profile(name)
    audit(platform, principal, "read", profile["ids"])
    return profile


@router.get("/countries/{iso}", tags=["countries"],
            summary="A country: Budapest Convention status and incidents both ways")
def show_country(iso: str, platform: PlatformDep, principal: PrincipalDep,
                 workspace: WorkspaceDep) -> dict[str, Any]:
    """The country profile, counting only visible incidents; audited as a read."""
    country = workspace.countries.show(iso)
    audit(platform, principal, "read", [country["id"]] if country.get("id") else [], detail=country["iso2"])
    return country


@router.get("/stats/{kind}", tags=["incidents"],
            summary="Incident statistics: dyads, timeline, types, sectors, initiators, receivers")
def incident_stats(kind: Annotated[StatKind, Path(description="Which statistic.")], workspace: WorkspaceDep,
                   where: IncidentFilterDep) -> list[dict[str, Any]]:
    """Counts over the visible incidents passing the filter (as ``cirx stats KIND --json``)."""
    return workspace.incidents.stats(kind, where)
