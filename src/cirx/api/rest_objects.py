"""REST routes over STIX objects: list, get, versions, relationships, search, export, import.

Every read goes through the caller's workspace (:meth:`cirx.platform.Platform.workspace`),
so the TLP 2.0 access policy narrows lists, counts, searches, traversals and
exports alike; single-object reads, searches and exports are audited.  Stored
documents are returned as they are: anonymised contributions were redacted at
import, and the ``owner_org``/``anonymous`` columns are never part of a response.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from itertools import islice
from typing import IO, Annotated, Any, Literal

import ijson
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.api.deps import PlatformDep, PrincipalDep, WorkspaceDep
from cirx.api.rest_common import Limit, Offset, Types, audit
from cirx.errors import NotFound, PayloadTooLarge, PermissionDenied, UnsupportedMediaType
from cirx.platform import Platform
from cirx.store.reader import StixReader

router = APIRouter(tags=["objects"])

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
JSON_MEDIA_TYPES = ("application/json", "application/stix+json", "application/taxii+json")
_SPOOL_IN_MEMORY = 8 << 20
_EXPORT_CHUNK = 1 << 16


@router.get("/objects", summary="List objects (latest versions) the caller may see")
def list_objects(workspace: WorkspaceDep, types: Types = None, limit: Limit = 100,
                 offset: Offset = 0) -> dict[str, Any]:
    """Latest versions, of one type by name or of several/all types in insertion order, with the total."""
    reader = workspace.reader
    if types and len(types) == 1:
        objects = reader.by_type(types[0], limit=limit, offset=offset)
    else:
        objects = list(islice(reader.iter_latest(types or None), offset, offset + limit))
    counts = reader.count_by_type()
    total = sum(counts.get(t, 0) for t in set(types)) if types else sum(counts.values())
    return {"total": total, "objects": objects}


@router.get("/objects/{stix_id}", summary="Get one object (latest version, or ?version=MODIFIED)")
def get_object(stix_id: str, platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
               version: Annotated[str | None, Query(description="The `modified` of the version.")] = None,
               ) -> dict[str, Any]:
    """One stored STIX document (404 when absent or not visible to the caller); audited as a read."""
    obj = workspace.reader.get(stix_id, version)
    audit(platform, principal, "read", [stix_id])
    return obj


@router.get("/objects/{stix_id}/versions", summary="Every version of an object the caller may see")
def object_versions(stix_id: str, platform: PlatformDep, principal: PrincipalDep,
                    workspace: WorkspaceDep) -> dict[str, Any]:
    """Stored versions, oldest first; audited as a read."""
    versions = workspace.reader.versions(stix_id)
    if not versions:
        raise NotFound(f"no object {stix_id}")
    audit(platform, principal, "read", [stix_id])
    return {"id": stix_id, "versions": versions}


@router.get("/objects/{stix_id}/relationships", summary="Relationships and sightings touching an object")
def object_relationships(
    stix_id: str, platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
    direction: Annotated[Literal["in", "out", "both"], Query(description="Edges from, to, or both.")] = "both",
    relationship_type: Annotated[str | None, Query(description="Only this relationship type.")] = None,
) -> dict[str, Any]:
    """Edges whose relationship, source and target the caller may all see; audited as a read."""
    reader = workspace.reader
    if stix_id not in reader.names([stix_id]):
        raise NotFound(f"no object {stix_id}")
    edges = reader.relationships(stix_id, direction=direction, relationship_type=relationship_type)
    audit(platform, principal, "read", [stix_id])
    return {"id": stix_id, "relationships": edges}


@router.get("/search", summary="Full-text search over names, aliases and descriptions")
def search(platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
           q: Annotated[str, Query(min_length=1, description="Words to find.")],
           types: Types = None, limit: Limit = 50) -> dict[str, Any]:
    """Matches the caller may see, best first; audited as a search (with the ids found)."""
    results = workspace.reader.search(q, types=types or None, limit=limit)
    audit(platform, principal, "search", [r["id"] for r in results], detail=q[:200])
    return {"query": q, "results": results}


@router.get("/export/stix", summary="Export what the caller may see as one STIX 2.1 bundle (streamed)",
            response_class=StreamingResponse,
            responses={200: {"content": {STIX_MEDIA_TYPE: {}}, "description": "A STIX 2.1 bundle."}})
def export_stix(platform: PlatformDep, principal: PrincipalDep, workspace: WorkspaceDep,
                types: Types = None) -> StreamingResponse:
    """Stream the latest version of every visible object (of ``type``); audited as an export."""
    chunks = _bundle_chunks(platform, principal, workspace.reader, types or None)
    return StreamingResponse(chunks, media_type=STIX_MEDIA_TYPE,
                             headers={"Content-Disposition": 'attachment; filename="cirx-export.json"'})


def _bundle_chunks(platform: Platform, principal: Principal, reader: StixReader,
                   types: list[str] | None) -> Iterator[bytes]:
    """The bundle in chunks of about 64 KiB; the export is audited when the stream ends."""
    ids: list[str] = []
    buffer = bytearray(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":[')
    try:
        for obj in reader.iter_latest(types):
            buffer += (b"\n" if not ids else b",\n") + orjson.dumps(obj)
            ids.append(obj["id"])
            if len(buffer) >= _EXPORT_CHUNK:
                yield bytes(buffer)
                buffer.clear()
        buffer += b"\n]}\n"
        yield bytes(buffer)
    finally:
        audit(platform, principal, "export", ids, detail=f"STIX bundle, {len(ids)} objects")


@router.post(
    "/objects", summary="Import a STIX bundle (contributor role; all-or-nothing)",
    openapi_extra={"requestBody": {"required": True, "description": "A STIX 2.0/2.1 bundle (or one object).",
                                   "content": {"application/json": {"schema": {"type": "object"}}}}},
    responses={400: {"description": "Malformed JSON or an invalid object; nothing imported."},
               403: {"description": "The caller lacks the contributor role."},
               413: {"description": "Body or object count over the platform's limits."},
               415: {"description": "The body is not JSON."}},
)
async def import_objects(
    request: Request, platform: PlatformDep, principal: PrincipalDep,
    tlp: Annotated[str | None, Query(description="TLP 2.0 level for unmarked objects (default: "
                                                 "the organisation's).")] = None,
    share_with: Annotated[list[str] | None, Query(description="Sharing group name (repeatable).")] = None,
    recipient: Annotated[list[str] | None, Query(description="Recipient organisation (repeatable).")] = None,
    anonymous: Annotated[bool, Query(description="Withhold the victim; show the organisation's "
                                                 "pseudonym.")] = False,
) -> dict[str, Any]:
    """Import a bundle as the caller's organisation; returns the import report.

    Checks, in order: a token (401), the contributor role (403), a JSON content
    type (415), ``max_request_bytes`` (413), ``max_bundle_objects`` (413); then
    the import runs in one transaction, so an invalid object (400, naming it
    and its property) leaves nothing written.
    """
    require(principal, Role.CONTRIBUTOR, "importing objects")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"send the bundle as application/json, not {media_type or 'no content type'!r}")
    settings = platform.settings
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_request_bytes:
        raise PayloadTooLarge(_too_large(settings.max_request_bytes))
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as body:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_request_bytes:
                raise PayloadTooLarge(_too_large(settings.max_request_bytes))
            body.write(chunk)
        body.seek(0)
        return await run_in_threadpool(_import, platform, principal, body, tlp, share_with or [],
                                       recipient or [], anonymous)


def _too_large(limit: int) -> str:
    return f"the request body is over the platform's limit of {limit} bytes; split the bundle into smaller ones"


def _import(platform: Platform, principal: Principal, body: IO[bytes], tlp: str | None,
            share_with: list[str], recipients: list[str], anonymous: bool) -> dict[str, Any]:
    """Count the bundle's objects, build the caller's access and import (runs in a worker thread)."""
    limit = platform.settings.max_bundle_objects
    count = _count_objects(body, limit)
    if count > limit:
        raise PayloadTooLarge(f"the bundle has more than {limit} objects (the platform's limit per request); "
                              "split it into smaller bundles")
    body.seek(0)
    if principal.org_id is None:
        raise PermissionDenied("importing objects needs a token of an organisation")
    if not principal.is_platform_admin:
        foreign = [g for g in share_with if platform.organisations.group_id(g) not in principal.groups]
        if foreign:
            raise PermissionDenied(f"your organisation is not a member of sharing group {foreign[0]!r}")
    org = platform.organisations.get(principal.org_id)
    access = platform.imports.access(org.name, tlp=tlp, share_with=share_with, recipients=recipients,
                                     anonymous=anonymous)
    report = platform.imports.stix_stream(body, "request body", None, access)
    audit(platform, principal, "import", (),
          detail=f"{report.imported} imported, {report.unchanged} unchanged (tlp {access.default_tlp}"
                 f"{', anonymous' if anonymous else ''})")
    return report.as_dict()


def _count_objects(body: IO[bytes], limit: int) -> int:
    """How many entries the bundle's ``objects`` has, stopping at ``limit + 1``.

    Malformed JSON stops the count: the import that follows reports it, naming the byte.
    """
    count = 0
    try:
        for _obj in ijson.items(body, "objects.item"):
            count += 1
            if count > limit:
                break
    except ijson.JSONError:
        pass
    return count
