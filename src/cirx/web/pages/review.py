"""``/review``: the review desk for drafts from report extraction.

Upload a report (text, HTML, Markdown or PDF, at most ``max_request_bytes``);
the extraction pipeline finds techniques, indicators and entities and saves a
draft incident, owned by the caller's organisation and user.  A draft's page
(``/review/{id}``) shows what was found, with each technique's score and
evidence sentence; an analyst removes what is wrong, corrects the incident's
name, description and countries, and confirms (the draft is imported as the
caller's organisation with its default marking) or rejects it.  Other
organisations never see or open a draft (404).  Uploading, editing, confirming
and rejecting need the contributor role; every change is a POST (the session
cookie is SameSite=Strict) followed by a redirect.

The technique model is the one ``cirx extract train`` saved in the data
directory; without one, the first upload trains it from the store's TLP:CLEAR
ATT&CK data (one to two minutes on two cores: 49 s to 113 s measured on the
seeded store) and saves it.  Names (groups, software) come from the caller's
workspace, so a draft never links to what the caller may not see.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.api.deps import PlatformDep
from cirx.errors import CirxError, InvalidInput, NotFound, PayloadTooLarge, PermissionDenied, Unauthenticated
from cirx.extract.draft import DraftStore, build_bundle, draft_incident, owner_org_of
from cirx.extract.entities import build_gazetteer
from cirx.extract.gazetteer import Gazetteer
from cirx.extract.service import _NAME_TYPES, Extractor, load_or_build_model, model_path
from cirx.extract.techniques import TechniqueModel
from cirx.extract.text import read_bytes
from cirx.model.incident import CIRX_IDENTITY_ID, IR_EXTENSION_ID, ir_properties
from cirx.platform import Platform
from cirx.services import cache
from cirx.services.workspace import Workspace
from cirx.store.reader import StixReader
from cirx.web.filters import country_codes
from cirx.web.render import page
from cirx.web.session import WebPrincipalDep, WebWorkspaceDep

router = APIRouter(include_in_schema=False)

FORMATS = ("text", "html", "markdown", "pdf")


# -- pages ----------------------------------------------------------------------------------------------

@router.get("/review")
def review_desk(request: Request, platform: PlatformDep, principal: WebPrincipalDep) -> Response:
    """The upload form and the caller's organisation's drafts (a notice to sign in for anonymous callers)."""
    return _desk(request, platform, principal)


@router.post("/review")
async def upload_report(request: Request, platform: PlatformDep, principal: WebPrincipalDep,
                        workspace: WebWorkspaceDep) -> Response:
    """Extract from an uploaded report and save a draft owned by the caller's organisation; go to its page."""
    _may_change(principal, "uploading a report")
    limit = platform.settings.max_request_bytes
    try:
        form = await _limited_form(request, limit)
    except PayloadTooLarge as exc:
        return _desk(request, platform, principal, errors={"report": f"report: {exc}"}, status_code=413)
    upload = form.get("report")
    fmt = str(form.get("format") or "") or None
    if fmt is not None and fmt not in FORMATS:
        return _desk(request, platform, principal, status_code=400,
                     errors={"format": f"format: choose one of {', '.join(FORMATS)}, or leave it to be sniffed"})
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _desk(request, platform, principal, errors={"report": "report: choose a file to upload"},
                     status_code=400)
    data = await upload.read()
    if not data.strip():
        return _desk(request, platform, principal, errors={"report": "report: the file is empty"}, status_code=400)
    name = Path(upload.filename).name[:200]
    try:
        draft = await run_in_threadpool(_make_draft, platform, principal, workspace, data, name, fmt)
    except CirxError as exc:
        return _desk(request, platform, principal, errors={"report": f"report: {exc}"},
                     status_code=exc.http_status)
    return RedirectResponse(f"/review/{draft['id']}", status_code=303)


@router.get("/review/{draft_id}")
def draft_page(draft_id: str, request: Request, platform: PlatformDep, principal: WebPrincipalDep) -> Response:
    """What extraction found in one draft, the incident it would create, and the forms to edit, confirm, reject."""
    draft = _own_draft(platform, principal, draft_id)
    return _draft_page(request, platform, principal, draft)


@router.post("/review/{draft_id}/edit")
def edit_draft(draft_id: str, request: Request, platform: PlatformDep, principal: WebPrincipalDep,
               name: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
               receiver_countries: Annotated[str, Form()] = "", initiator_countries: Annotated[str, Form()] = "",
               remove: Annotated[list[str] | None, Form()] = None) -> Response:
    """Remove found items and set the draft incident's name, description and countries (the whole form)."""
    _may_change(principal, "editing a draft")
    draft = _own_draft(platform, principal, draft_id)
    errors: dict[str, str] = {}
    receivers = country_codes("receiver_countries", receiver_countries, errors)
    initiators = country_codes("initiator_countries", initiator_countries, errors)
    if not name.strip():
        errors["name"] = "name: an incident needs a name"
    if errors:
        return _draft_page(request, platform, principal, draft, errors=errors, status_code=400,
                           values={"name": name, "description": description,
                                   "receiver_countries": receiver_countries,
                                   "initiator_countries": initiator_countries})
    try:
        _drafts(platform).revise(draft_id, remove=list(remove or []), name=name, description=description,
                                 receiver_countries=receivers, initiator_countries=initiators)
    except (InvalidInput, NotFound) as exc:
        return _draft_page(request, platform, principal, draft, errors={"remove": str(exc)}, status_code=400)
    return RedirectResponse(f"/review/{draft_id}?saved=edit", status_code=303)


@router.post("/review/{draft_id}/confirm")
def confirm_draft(draft_id: str, platform: PlatformDep, principal: WebPrincipalDep) -> Response:
    """Import the draft as the caller's organisation, with its default marking; then show the new incident's link."""
    _may_change(principal, "confirming a draft")
    draft = _own_draft(platform, principal, draft_id)
    if draft["status"] != "draft":
        raise InvalidInput(f"draft {draft_id} is already {draft['status']}")
    if principal.org_id is None:
        raise PermissionDenied("confirming a draft needs an organisation: this account belongs to none")
    org = platform.organisations.get(principal.org_id)
    shared = {CIRX_IDENTITY_ID, IR_EXTENSION_ID}  # the platform's own objects: written by the import's preamble
    bundle = {**draft["bundle"], "objects": [o for o in draft["bundle"]["objects"] if o["id"] not in shared]}
    stream = io.BytesIO(json.dumps(bundle).encode("utf-8"))
    platform.imports.stix_stream(stream, f"draft {draft_id}", access=platform.imports.access(org.name))
    incident_id = draft_incident(draft).get("id")
    store = _drafts(platform)
    confirmed = store.set_status(draft_id, "confirmed")
    confirmed["incident_id"] = incident_id
    store.save(confirmed)
    platform.audit.record(principal, "import", [incident_id] if incident_id else [],
                          detail=f"confirmed draft {draft_id} from {draft['source']}")
    return RedirectResponse(f"/review/{draft_id}?saved=confirmed", status_code=303)


@router.post("/review/{draft_id}/reject")
def reject_draft(draft_id: str, platform: PlatformDep, principal: WebPrincipalDep) -> Response:
    """Reject a draft: nothing of it enters the shared record."""
    _may_change(principal, "rejecting a draft")
    _own_draft(platform, principal, draft_id)
    _drafts(platform).set_status(draft_id, "rejected")
    return RedirectResponse(f"/review/{draft_id}?saved=rejected", status_code=303)


# -- helpers ----------------------------------------------------------------------------------------------

def _drafts(platform: Platform) -> DraftStore:
    return DraftStore(platform.settings.data_dir / "drafts")


def _may_change(principal: Principal, action: str) -> None:
    """Signed in, with at least the contributor role."""
    if not principal.authenticated:
        raise Unauthenticated(f"{action} needs you to sign in (/sharing)")
    require(principal, Role.CONTRIBUTOR, action)


def _own_draft(platform: Platform, principal: Principal, draft_id: str) -> dict[str, Any]:
    """A draft of the caller's organisation (every draft for platform admins); 404 for anyone else."""
    if not principal.authenticated:
        raise NotFound(f"no draft {draft_id}")
    try:
        draft = _drafts(platform).get(draft_id)
    except InvalidInput as exc:
        raise NotFound(f"no draft {draft_id}") from exc
    owner = owner_org_of(draft)
    if not principal.is_platform_admin and (owner is None or owner != principal.org_id):
        raise NotFound(f"no draft {draft_id}")
    return draft


async def _limited_form(request: Request, limit: int) -> Any:
    """The multipart form of a request whose body is at most ``limit`` bytes (PayloadTooLarge otherwise)."""
    message = f"the upload is larger than the {limit:,} bytes this server accepts"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(message)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(message)
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    return await Request(request.scope, receive).form(max_files=1, max_fields=20)


def _make_draft(platform: Platform, principal: Principal, workspace: Workspace, data: bytes, name: str,
                fmt: str | None) -> dict[str, Any]:
    """Extract from the report and save the draft, owned by the caller."""
    document = read_bytes(data, name, fmt)
    extractor = Extractor(technique_model(platform), gazetteer(workspace.reader))
    extraction = extractor.extract(document)
    bundle = build_bundle(extraction, workspace.reader)
    org = platform.organisations.get(principal.org_id) if principal.org_id is not None else None
    user = platform.organisations.user(principal.user_id) if principal.user_id is not None else None
    owner = {"org_id": principal.org_id, "org": org.name if org else None,
             "user_id": principal.user_id, "user": user.name if user else None}
    return _drafts(platform).create(extraction, bundle, owner=owner)


def technique_model(platform: Platform) -> TechniqueModel:
    """The platform's technique model: the saved one, else trained once from the store's TLP:CLEAR ATT&CK data."""
    return load_or_build_model(platform)


def gazetteer(reader: StixReader) -> Gazetteer:
    """Names of groups and software the caller may see (cached per store state and audience)."""
    return cache.cached("gazetteer", reader.engine, reader.principal,
                        lambda: build_gazetteer(reader.iter_latest(_NAME_TYPES, include_revoked=False)))


def _desk(request: Request, platform: Platform, principal: Principal, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    drafts: list[dict[str, Any]] = []
    if principal.authenticated:
        store = _drafts(platform)
        drafts = store.entries() if principal.is_platform_admin else \
            store.entries(principal.org_id) if principal.org_id is not None else []
    context = {"drafts": drafts, "errors": errors or {}, "formats": FORMATS,
               "signed_in": principal.authenticated, "may_upload": principal.may(Role.CONTRIBUTOR),
               "limit": platform.settings.max_request_bytes, "model_ready": model_path(platform).is_file()}
    return page(request, "review.html", context, status_code=status_code)


def _draft_page(request: Request, platform: Platform, principal: Principal, draft: dict[str, Any], *,
                errors: dict[str, str] | None = None, status_code: int = 200,
                values: dict[str, str | None] | None = None) -> Response:
    incident = draft_incident(draft)
    ir = ir_properties(incident) if incident else {}
    found = draft["extraction"]
    given = values or {}
    fields = {
        "name": given.get("name") if given.get("name") is not None else incident.get("name", ""),
        "description": given.get("description") if given.get("description") is not None
        else incident.get("description", ""),
        "receiver_countries": given.get("receiver_countries") if given.get("receiver_countries") is not None
        else ", ".join(ir.get("receiver_countries") or []),
        "initiator_countries": given.get("initiator_countries") if given.get("initiator_countries") is not None
        else ", ".join(ir.get("initiator_countries") or []),
    }
    kinds: dict[str, int] = {}
    for obj in draft["bundle"]["objects"]:
        kinds[obj["type"]] = kinds.get(obj["type"], 0) + 1
    org = platform.organisations.get(principal.org_id) if principal.org_id is not None else None
    context = {
        "draft": draft, "incident": incident, "ir": ir, "fields": fields, "errors": errors or {},
        "techniques": found["techniques"], "indicators": found["indicators"],
        "entities": [e for e in found["entities"] if e["type"] != "date"],
        "kinds": sorted(kinds.items()), "pending": draft["status"] == "draft",
        "may_change": principal.may(Role.CONTRIBUTOR), "default_tlp": org.default_tlp if org else None,
        "saved": request.query_params.get("saved"),
    }
    return page(request, "review_draft.html", context, status_code=status_code)
