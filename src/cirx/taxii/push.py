"""Adding objects to a collection (TAXII 2.1 section 5.5) and status resources (section 4.3).

A POST is checked before anything is written: media type (415), size and
object count (413), JSON and envelope shape (400).  The envelope is then
imported in one transaction through :meth:`ImportService.stix_objects` with the
collection's access (see :mod:`cirx.taxii.collections`): every object or none.
The outcome is stored as a status resource and returned at once, ``complete``.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import insert, select

from cirx.access.audit import owners_of
from cirx.access.policy import Principal
from cirx.config import Settings
from cirx.errors import (
    ImportRejected,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from cirx.model.ids import now_timestamp
from cirx.platform import Platform
from cirx.store.producer import gc_paused
from cirx.store.writer import ImportAccess
from cirx.taxii.collections import Scope
from cirx.taxii.tables import TaxiiStatus

ENVELOPE_MEDIA_TYPES = ("application/taxii+json", "application/stix+json")
ALL_OR_NOTHING = "not added: another object of this envelope was rejected, and an envelope is added whole or not at all"

# One TAXII import at a time per process: SQLite has one writer, and a second import that started
# from the same snapshot would fail instead of waiting.
_IMPORTS = threading.Lock()


def media_type(value: str) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower case) and the parameters of a media type header value."""
    kind, *params = (part.strip() for part in value.split(";"))
    parsed = {}
    for param in params:
        key, _, raw = param.partition("=")
        parsed[key.strip().lower()] = raw.strip().strip('"')
    return kind.lower(), parsed


def check_content_type(header: str | None) -> None:
    """415 unless the body is ``application/taxii+json`` or ``application/stix+json``, version 2.1."""
    kind, params = media_type(header or "")
    if kind not in ENVELOPE_MEDIA_TYPES or params.get("version", "2.1") != "2.1":
        raise UnsupportedMediaType(
            f"Content-Type {header or '(none)'!r} is not accepted: send a TAXII envelope as "
            "application/taxii+json;version=2.1 (or application/stix+json;version=2.1)")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidInput(f"Content-Length {declared!r} is not a number")
        if int(declared) > limit:
            raise PayloadTooLarge(f"the request body is {int(declared):,} bytes, over the limit of {limit:,}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_envelope(body: bytes, settings: Settings) -> list[Any]:
    """The ``objects`` of a TAXII envelope (or STIX bundle); 400 when malformed, 413 when over a limit."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise InvalidInput('the request body is not a TAXII envelope: expected {"objects": [...]}')
    objects: list[Any] = envelope["objects"]
    if len(objects) > settings.max_bundle_objects:
        raise PayloadTooLarge(f"the envelope has {len(objects):,} objects, over the limit of "
                              f"{settings.max_bundle_objects:,}")
    if len(body) > settings.max_object_bytes:  # a smaller body cannot hold an object over the limit
        for obj in objects:
            size = len(orjson.dumps(obj))
            if size > settings.max_object_bytes:
                raise PayloadTooLarge(f"object {_identity(obj)} is {size:,} bytes, over the limit of "
                                      f"{settings.max_object_bytes:,}")
    return objects


def _identity(obj: Any) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    return ident if isinstance(ident, str) else "(no id)"


def _version(obj: Any, requested: str) -> str:
    if isinstance(obj, dict):
        for key in ("modified", "created"):
            if isinstance(obj.get(key), str):
                return str(obj[key])
    return requested


def receive(platform: Platform, principal: Principal, scope: Scope, access: ImportAccess,
            body: bytes) -> dict[str, Any]:
    """Parse an envelope and add its objects (:func:`add_objects`), in one go.

    The cyclic garbage collector is paused throughout, so that the envelope's
    objects are freed (by reference counting) before any collection could
    promote and rescan them.
    """
    with gc_paused():
        return add_objects(platform, principal, scope, access, parse_envelope(body, platform.settings))


def add_objects(platform: Platform, principal: Principal, scope: Scope, access: ImportAccess,
                objects: list[Any]) -> dict[str, Any]:
    """Import an envelope whole or not at all; store and return its status resource (section 4.3.1)."""
    requested = now_timestamp()
    entries = [(_identity(obj), _version(obj, requested)) for obj in objects]
    successes: list[dict[str, str]] = []
    failures: list[dict[str, str]] = []
    if objects:
        try:
            with _IMPORTS:
                platform.imports.stix_objects(objects, f"TAXII POST to {scope.alias}", access=access)
        except ImportRejected as rejected:
            reasons: dict[str, str] = {}
            for problem in rejected.rejected:
                reasons.setdefault(problem.object_ref, str(problem))
            failures = [{"id": ident, "version": version, "message": reasons.get(ident, ALL_OR_NOTHING)}
                        for ident, version in entries]
        else:
            successes = [{"id": ident, "version": version} for ident, version in entries]
    status = {
        "id": str(uuid.uuid4()), "status": "complete", "request_timestamp": requested,
        "total_count": len(entries), "success_count": len(successes), "failure_count": len(failures),
        "pending_count": 0,
    }
    with platform.engine.begin() as connection:
        connection.execute(insert(TaxiiStatus), [{
            **status, "org_id": principal.org_id, "collection_id": scope.id, "pendings": "[]",
            "successes": orjson.dumps(successes).decode(), "failures": orjson.dumps(failures).decode()}])
        if successes:  # one event per organisation owning the stored versions, their ids in its detail
            platform.audit.record_by_owner(
                principal, "push", owners_of(connection, [ident for ident, _ in entries]),
                {"taxii": "add", "collection": scope.alias, "status": status["id"]}, connection=connection)
    return _with_lists(status, successes, failures)


def _with_lists(status: dict[str, Any], successes: list[Any], failures: list[Any]) -> dict[str, Any]:
    """The status resource: empty lists are left out, as TAXII resources leave out empty lists."""
    if successes:
        status["successes"] = successes
    if failures:
        status["failures"] = failures
    return status


def get_status(platform: Platform, principal: Principal, status_id: str) -> dict[str, Any]:
    """A status resource (section 4.3), to the organisation that made the request only (404 otherwise)."""
    with platform.engine.connect() as connection:
        row = connection.execute(select(TaxiiStatus.__table__).where(TaxiiStatus.id == status_id)).first()
    if row is None or principal.org_id is None or row.org_id != principal.org_id:
        raise NotFound(f"no status {status_id!r}")
    status = {
        "id": row.id, "status": row.status, "request_timestamp": row.request_timestamp,
        "total_count": row.total_count, "success_count": row.success_count,
        "failure_count": row.failure_count, "pending_count": row.pending_count,
    }
    return _with_lists(status, orjson.loads(row.successes), orjson.loads(row.failures))
