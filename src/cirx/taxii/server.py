"""The TAXII 2.1 server: discovery at ``/taxii2/``, one API root at ``/taxii2/cirx/``.

Endpoints (OASIS TAXII 2.1, sections 4 and 5)::

    GET  /taxii2/                                         server discovery (4.1)
    GET  /taxii2/cirx/                                    API root information (4.2)
    GET  /taxii2/cirx/status/{id}/                        a POST's status (4.3)
    GET  /taxii2/cirx/collections/                        collections (5.1)
    GET  /taxii2/cirx/collections/{id}/                   one collection (5.2)
    GET  /taxii2/cirx/collections/{id}/manifest/          object manifests (5.3)
    GET  /taxii2/cirx/collections/{id}/objects/           objects (5.4)
    POST /taxii2/cirx/collections/{id}/objects/           add objects (5.5)
    GET  /taxii2/cirx/collections/{id}/objects/{oid}/     one object (5.6)
    GET  /taxii2/cirx/collections/{id}/objects/{oid}/versions/   its versions (5.8)

Delete (5.7) is not offered: a shared object is withdrawn by revoking it.
Callers authenticate with ``Authorization: Bearer TOKEN``.  Every read is the
access policy AND the collection's scope (:mod:`cirx.taxii.collections`),
paged by :mod:`cirx.taxii.queries`; errors are TAXII error messages,
rendered by :mod:`cirx.api.app`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import ColumnElement, select
from starlette.concurrency import run_in_threadpool

from cirx.access.policy import Principal, visible_clause
from cirx.api.deps import PlatformDep, PrincipalDep
from cirx.errors import CirxError, NotFound
from cirx.platform import Platform
from cirx.store.schema import StixObject
from cirx.taxii import collections, push
from cirx.taxii.queries import Page, fetch_page, parse_filters, render_version

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
ROOT = "/taxii2/cirx/"
DATE_ADDED_FIRST = "X-TAXII-Date-Added-First"
DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"

router = APIRouter(tags=["TAXII 2.1"])
# Audit writes queue on this lock rather than in SQLite's busy handler, which sleeps between retries.
_AUDIT = threading.Lock()


class NotAcceptable(CirxError):
    """The Accept header asks for no media type this server sends."""

    http_status = 406
    title = "Not acceptable"


def negotiate(request: Request, *, envelope: bool = False) -> str:
    """The response media type for the Accept header (TAXII 2.1 "Media Types"; 406 when none fits)."""
    header = request.headers.get("accept")
    if not header:
        return TAXII_MEDIA_TYPE
    for item in header.split(","):
        kind, params = push.media_type(item)
        if params.get("version", "2.1") != "2.1":
            continue
        if kind in ("application/taxii+json", "application/json", "application/*", "*/*"):
            return TAXII_MEDIA_TYPE
        if envelope and kind == "application/stix+json":
            return STIX_MEDIA_TYPE
    raise NotAcceptable(f"Accept {header!r}: this server sends {TAXII_MEDIA_TYPE}")


def _json(data: Any, media: str = TAXII_MEDIA_TYPE, status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=media, headers=headers)


def _where(platform: Platform, principal: Principal, scope: collections.Scope,
           dialect: str) -> list[ColumnElement[bool]]:
    """The collection's scope AND the one access policy, as conditions on ``stix_objects``."""
    scoped = collections.condition(scope, dialect)
    visible = visible_clause(principal, anonymous_read=platform.settings.anonymous_read)
    return [visible] if scoped is None else [scoped, visible]


def _paged(page: Page, key: str, items: Sequence[bytes], media: str) -> Response:
    """An envelope, manifest or versions resource: ``more``, ``next`` and ``key``, with the date-added headers."""
    parts = [b'{"more":', b"true" if page.more else b"false"]
    if page.next:
        parts += [b',"next":', orjson.dumps(page.next)]
    if items:
        parts += [b',"', key.encode(), b'":[', b",".join(items), b"]"]
    parts.append(b"}")
    headers = {}
    if page.rows:
        headers = {DATE_ADDED_FIRST: str(page.first_added), DATE_ADDED_LAST: str(page.last_added)}
    return Response(b"".join(parts), media_type=media, headers=headers)


def _audit(platform: Platform, principal: Principal, action: str, rows: Sequence[Any], detail: dict[str, Any]) -> None:
    """The page's objects, one event per owning organisation, with the owners the page query read."""
    with _AUDIT:
        platform.audit.record_by_owner(principal, action, {r.stix_id: r.owner_org for r in rows}, detail)


@router.get("/taxii2/")
def discovery(request: Request, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """Server discovery (TAXII 2.1 section 4.1): the one API root."""
    negotiate(request)
    return _json({"title": "cirx TAXII 2.1 server",
                  "description": "International cyber-security cooperation: STIX 2.1 shared under TLP 2.0.",
                  "default": ROOT, "api_roots": [ROOT]})


@router.get(ROOT)
def api_root(request: Request, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """API root information (TAXII 2.1 section 4.2)."""
    negotiate(request)
    return _json({"title": "cirx", "description": "Collections per sharing scope: shared, community, "
                  "organisation and one per sharing group.", "versions": [TAXII_MEDIA_TYPE],
                  "max_content_length": platform.settings.max_request_bytes})


@router.get(ROOT + "status/{status_id}/")
@router.get(ROOT + "status/{status_id}", include_in_schema=False)
def status(request: Request, status_id: str, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """The status of a POST (TAXII 2.1 section 4.3), to the organisation that made it."""
    negotiate(request)
    return _json(push.get_status(platform, principal, status_id))


@router.get(ROOT + "collections/")
def list_collections(request: Request, platform: PlatformDep, principal: PrincipalDep) -> Response:
    """The caller's collections (TAXII 2.1 section 5.1)."""
    negotiate(request)
    return _json({"collections": [s.resource() for s in collections.scopes(platform, principal)]})


@router.get(ROOT + "collections/{collection_id}/")
def get_collection(request: Request, collection_id: str, platform: PlatformDep,
                   principal: PrincipalDep) -> Response:
    """One collection (TAXII 2.1 section 5.2); 404 when the caller is not offered it."""
    negotiate(request)
    return _json(collections.find(platform, principal, collection_id).resource())


@router.get(ROOT + "collections/{collection_id}/manifest/")
def get_manifest(request: Request, collection_id: str, platform: PlatformDep,
                 principal: PrincipalDep) -> Response:
    """Object manifests (TAXII 2.1 section 5.3): id, date_added, version, media_type of each version."""
    media = negotiate(request)
    scope = collections.find(platform, principal, collection_id)
    filters = parse_filters(request.query_params, ("id", "type", "version", "spec_version"))
    with platform.engine.connect() as connection:
        page = fetch_page(connection, [StixObject.stix_id, StixObject.modified, StixObject.spec_version],
                          _where(platform, principal, scope, connection.dialect.name), filters)
    records = [orjson.dumps({"id": r.stix_id, "date_added": r.added_at,
                             "version": render_version(r.modified, r.added_at),
                             "media_type": f"application/stix+json;version={r.spec_version}"})
               for r in page.rows]
    return _paged(page, "objects", records, media)


@router.get(ROOT + "collections/{collection_id}/objects/")
def get_objects(request: Request, collection_id: str, platform: PlatformDep,
                principal: PrincipalDep) -> Response:
    """Objects (TAXII 2.1 section 5.4): an envelope of one page, in date-added order."""
    media = negotiate(request, envelope=True)
    scope = collections.find(platform, principal, collection_id)
    filters = parse_filters(request.query_params, ("id", "type", "version", "spec_version"))
    with platform.engine.connect() as connection:
        page = fetch_page(connection, [StixObject.stix_id, StixObject.owner_org, StixObject.doc],
                          _where(platform, principal, scope, connection.dialect.name), filters)
    if page.rows:
        _audit(platform, principal, "pull", page.rows, {"taxii": "objects", "collection": scope.alias})
    return _paged(page, "objects", [r.doc.encode() for r in page.rows], media)


@router.post(ROOT + "collections/{collection_id}/objects/", status_code=202)
async def add_objects(request: Request, collection_id: str, platform: PlatformDep,
                      principal: PrincipalDep) -> Response:
    """Add objects (TAXII 2.1 section 5.5): all or nothing; answers 202 with a ``complete`` status."""
    negotiate(request)
    scope = await run_in_threadpool(collections.find, platform, principal, collection_id)
    access = await run_in_threadpool(collections.write_access, platform, principal, scope)
    push.check_content_type(request.headers.get("content-type"))
    body = await push.read_body(request, platform.settings.max_request_bytes)
    result = await run_in_threadpool(push.receive, platform, principal, scope, access, body)
    return _json(result, status=202)


def _object_where(platform: Platform, principal: Principal, scope: collections.Scope, dialect: str,
                  object_id: str) -> list[ColumnElement[bool]]:
    return [StixObject.stix_id == object_id, *_where(platform, principal, scope, dialect)]


def _require_object(platform: Platform, where: list[ColumnElement[bool]], object_id: str,
                    collection_id: str) -> None:
    """404 unless the caller may see some version of the object in the collection."""
    with platform.engine.connect() as connection:
        if connection.execute(select(StixObject.pk).where(*where).limit(1)).first() is None:
            raise NotFound(f"no object {object_id} in collection {collection_id}")


@router.get(ROOT + "collections/{collection_id}/objects/{object_id}/")
def get_object(request: Request, collection_id: str, object_id: str, platform: PlatformDep,
               principal: PrincipalDep) -> Response:
    """One object (TAXII 2.1 section 5.6): its versions chosen by ``match[version]`` (default: last)."""
    media = negotiate(request, envelope=True)
    scope = collections.find(platform, principal, collection_id)
    filters = parse_filters(request.query_params, ("version", "spec_version"))
    with platform.engine.connect() as connection:
        where = _object_where(platform, principal, scope, connection.dialect.name, object_id)
        page = fetch_page(connection, [StixObject.doc], where, filters)
    if not page.rows:
        _require_object(platform, where, object_id, collection_id)
    else:
        with _AUDIT:
            platform.audit.record(principal, "read", [object_id], detail=orjson.dumps(
                {"taxii": "object", "collection": scope.alias, "versions": len(page.rows)}).decode())
    return _paged(page, "objects", [r.doc.encode() for r in page.rows], media)


@router.get(ROOT + "collections/{collection_id}/objects/{object_id}/versions/")
def get_versions(request: Request, collection_id: str, object_id: str, platform: PlatformDep,
                 principal: PrincipalDep) -> Response:
    """An object's versions (TAXII 2.1 section 5.8), in date-added order."""
    media = negotiate(request)
    scope = collections.find(platform, principal, collection_id)
    filters = parse_filters(request.query_params, ("spec_version",))
    with platform.engine.connect() as connection:
        where = _object_where(platform, principal, scope, connection.dialect.name, object_id)
        page = fetch_page(connection, [StixObject.modified], where, filters)
    if not page.rows:
        _require_object(platform, where, object_id, collection_id)
    return _paged(page, "versions", [orjson.dumps(render_version(r.modified, r.added_at)) for r in page.rows],
                  media)


def register(app: FastAPI) -> None:
    """Mount the TAXII 2.1 routes on ``app`` (called by :func:`cirx.api.app.create_app`)."""
    app.include_router(router)
