"""REST routes of attribution, mounted by :func:`cirx.api.app.create_app`.

- ``POST /api/attribution``: evidence JSON (``{"techniques": [...], "software": [...],
  "victim_countries": [...], "sectors": [...], "indicators": [...], "date": ..., "notes": ...}``)
  to ranked hypotheses (groups, "unknown", states) with probability, ICD 203
  term, confidence, evidence for and against, and caveats;
- ``GET /api/incidents/{ref}/attribution``: the same for a stored incident,
  with its official attribution records and where they agree.

Profiles hold only what the caller may see (its workspace); incident reads are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI

from cirx.api.deps import PlatformDep, PrincipalDep, WorkspaceDep
from cirx.api.rest_common import audit

router = APIRouter(prefix="/api", tags=["attribution"])

_EXAMPLE = {"techniques": ["T1566.001", "T1059.001"], "software": ["S0002"], "victim_countries": ["UA"],
            "sectors": ["energy"]}
EvidenceBody = Annotated[dict[str, Any], Body(examples=[_EXAMPLE])]


@router.post("/attribution", summary="Attribute evidence: ranked, calibrated hypotheses with the evidence")
def attribute_evidence(workspace: WorkspaceDep, evidence: EvidenceBody) -> dict[str, Any]:
    """``{"hypotheses": [...], "caveats": [...], ...}`` for the evidence in the body."""
    from cirx.analysis.attribution.service import AttributionService

    return AttributionService(workspace).attribute(evidence)


@router.get("/incidents/{reference}/attribution",
            summary="Attribute a stored incident (STIX id or SOURCE:ID), with its attribution records")
def attribute_incident(reference: str, platform: PlatformDep, principal: PrincipalDep,
                       workspace: WorkspaceDep) -> dict[str, Any]:
    """Hypotheses for the incident's evidence, its official attribution records and their agreement; audited."""
    from cirx.analysis.attribution.service import AttributionService

    result = AttributionService(workspace).attribute_incident(reference)
    audit(platform, principal, "read", [result["incident"]["id"]])
    return result


def register(app: FastAPI) -> None:
    """Mount the attribution routes on ``app``."""
    app.include_router(router)
