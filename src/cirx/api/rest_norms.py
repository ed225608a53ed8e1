"""REST routes of the norms feature, under ``/api`` (mounted by :func:`register`).

- ``GET /api/assess/{ref}``: one incident's assessment (as ``cirx assess REF --json``);
- ``GET /api/assessments``: every visible incident's, as JSON lines (``cirx assess --all --jsonl``);
- ``POST /api/assess/{ref}/judgements``: confirm or override an item (contributors);
- ``GET /api/countries/{iso}/profile``: a state profile (``cirx countries profile ISO --json``);
- ``GET /api/escalation``, ``/api/rivalries``, ``/api/dyad-trends``: trends (``cirx stats ...``);
- ``GET|POST /api/responses``: response timelines, recording a response (contributors);
- ``GET /api/norms``: the frameworks and their versions.

Every read runs in the caller's workspace (``platform.workspace(principal)``),
so assessments, profiles, responses and statistics never show or count an
incident the caller may not see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query
from fastapi.responses import StreamingResponse

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.analysis.norms import frameworks
from cirx.analysis.norms.service import NormsService
from cirx.api.deps import PlatformDep, PrincipalDep, WorkspaceDep
from cirx.api.rest_common import IncidentFilterDep, audit
from cirx.platform import Platform
from cirx.services.workspace import Workspace

router = APIRouter(prefix="/api")

ThresholdQuery = Annotated[str, Query(description="ICD 203 likelihood a State attribution must reach.")]


def _service(platform: Platform, workspace: Workspace) -> NormsService:
    return NormsService(platform.init().engine, workspace.reader)


def _author(platform: Platform, principal: Principal) -> str:
    if principal.org_id is None:
        return "platform administrator"
    org = platform.organisations.get(principal.org_id).name
    return f"{org} (user {principal.user_id})" if principal.user_id else org


@router.get("/assess/{reference}", tags=["norms"],
            summary="An incident's assessment under international law, the UN norms and the Budapest Convention")
def assess(reference: str, platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
           threshold: ThresholdQuery = "likely") -> dict[str, Any]:
    """As ``cirx assess REF --json``; audited as a read."""
    result = _service(platform, workspace).assess(reference, threshold=threshold)
    audit(platform, principal, "read", [result["incident"]], detail="assess")
    return result


@router.get("/assessments", tags=["norms"], response_class=StreamingResponse,
            summary="Every visible incident's assessment, one JSON object per line")
def assessments(platform: PlatformDep, workspace: WorkspaceDep,
                threshold: ThresholdQuery = "likely") -> StreamingResponse:
    """As ``cirx assess --all --jsonl``."""
    frameworks.likelihood(threshold)
    service = _service(platform, workspace)

    def lines() -> Iterator[bytes]:
        for result in service.assess_all(threshold=threshold):
            yield (json.dumps(result, ensure_ascii=False) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.post("/assess/{reference}/judgements", tags=["norms"], status_code=201,
             summary="Confirm or override one item of an assessment (contributors)")
def judge(reference: str, platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
          subject: Annotated[str, Body(description="e.g. norms.gge2015-13f, international_law.sovereignty, "
                                                   "budapest.art5, response_justification")],
          status: Annotated[str, Body(description="implicated, not_implicated, cannot_tell (or a justification)")],
          reason: Annotated[str | None, Body(description="Why.")] = None,
          threshold: ThresholdQuery = "likely") -> dict[str, Any]:
    """The assessment after the judgement; its author is the caller's organisation."""
    require(principal, Role.CONTRIBUTOR, "judging an assessment")
    result = _service(platform, workspace).judge(reference, subject, status, author=_author(platform, principal),
                                                 reason=reason, threshold=threshold)
    audit(platform, principal, "import", [result["incident"]], detail=f"judgement {subject}")
    return result


@router.get("/countries/{iso}/profile", tags=["countries"],
            summary="A state profile: incidents both ways, norms implicated, responses, Budapest status, capacity")
def profile(iso: str, platform: PlatformDep, workspace: WorkspaceDep,
            threshold: ThresholdQuery = "likely") -> dict[str, Any]:
    """As ``cirx countries profile ISO --json``, over the caller's visible incidents."""
    return _service(platform, workspace).profile(iso, threshold=threshold)


@router.get("/escalation", tags=["incidents"],
            summary="Share of incidents followed by a response of rank >= min_rank within within_days")
def escalation(platform: PlatformDep, workspace: WorkspaceDep, where: IncidentFilterDep,
               min_rank: Annotated[int, Query(ge=0, le=11)] = 7,
               within_days: Annotated[int, Query(ge=0, le=36500)] = 365) -> dict[str, Any]:
    """As ``cirx stats escalation --json``."""
    return _service(platform, workspace).escalation(where, min_rank=min_rank, within_days=within_days)


@router.get("/rivalries", tags=["incidents"], summary="State pairs with the most incidents, either direction")
def rivalries(platform: PlatformDep, workspace: WorkspaceDep, where: IncidentFilterDep,
              top: Annotated[int | None, Query(ge=1, le=1000)] = None) -> list[dict[str, Any]]:
    """As ``cirx stats rivalries --json``."""
    return _service(platform, workspace).rivalries(where, top=top)


@router.get("/dyad-trends", tags=["incidents"], summary="Directed dyads by year, type and intensity")
def dyad_trends(platform: PlatformDep, workspace: WorkspaceDep, where: IncidentFilterDep) -> list[dict[str, Any]]:
    """As ``cirx stats dyad-trends --json``."""
    return _service(platform, workspace).dyad_trends(where)


@router.get("/responses", tags=["norms"], summary="Response timeline of an incident or a dyad")
def responses(platform: PlatformDep, workspace: WorkspaceDep,
              incident: Annotated[str | None, Query(description="STIX id or SOURCE:ID.")] = None,
              dyad: Annotated[str | None, Query(description="Two states, e.g. US-RU.")] = None) -> list[dict[str, Any]]:
    """As ``cirx responses list --json``."""
    return _service(platform, workspace).responses(incident=incident, dyad=dyad)


@router.post("/responses", tags=["norms"], status_code=201, summary="Record a response (contributors)")
def add_response(platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
                 response: Annotated[dict[str, Any], Body(description="type (ladder id), incident, date, actor, "
                                                                     "actor_country, target_country, outcome, "
                                                                     "source_url, note")]) -> dict[str, Any]:
    """The stored response; an incident it names must be visible to the caller."""
    require(principal, Role.CONTRIBUTOR, "recording a response")
    saved = _service(platform, workspace).add_response(response, author=_author(platform, principal))
    audit(platform, principal, "import", [saved["incident"]] if saved["incident"] else [], detail="response")
    return saved


@router.get("/norms", tags=["norms"], summary="The frameworks: GGE norms, IL rules, offences, response ladder")
def norms() -> dict[str, Any]:
    """The encoded frameworks with their versions."""
    return {
        "versions": frameworks.versions(),
        "norms": [{"id": n.id, "short_name": n.short_name, "kind": n.kind, "summary": n.summary,
                   "state_conduct": n.state_conduct} for n in frameworks.norms()],
        "international_law": [{"id": r.id, "name": r.name, "summary": r.summary, "sources": list(r.sources)}
                              for r in frameworks.legal_rules()],
        "budapest_offences": [{"id": a.id, "article": a.article, "title": a.title} for a in frameworks.offences()],
        "response_ladder": [{"id": r.id, "rank": r.rank, "label": r.label, "legal_category": r.legal_category}
                            for r in frameworks.ladder().values()],
    }


def register(app: FastAPI) -> None:
    """Mount the norms routes on ``app`` (called by :func:`cirx.api.app.create_app`)."""
    app.include_router(router)
