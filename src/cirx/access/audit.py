"""The audit trail: who read, exported, imported, pushed or pulled what, and when.

Org admins query the events that touched their own organisation's objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, select

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.access.tables import AuditEvent
from cirx.model.ids import now_timestamp
from cirx.store.schema import StixObject
from cirx.store.writer import bulk_insert

ACTIONS = ("read", "search", "export", "import", "push", "pull", "token", "login")
EVENT_COLUMNS = ("at", "org_id", "user_id", "action", "stix_id", "owner_org", "detail")


class AuditTrail:
    """Records and lists audit events."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writing = threading.Lock()

    def record(self, principal: Principal, action: str, stix_ids: Iterable[str] = (), detail: str | None = None) -> None:
        """Record that ``principal`` did ``action`` on ``stix_ids`` (or on nothing in particular).

        One event per object, with the organisation that owns the object, so that its org admins find it.
        """
        ids = list(dict.fromkeys(stix_ids))
        # One writer at a time within this process: concurrent page views queue on a lock (woken at once)
        # instead of on SQLite's busy handler, which sleeps up to 100 ms between tries.
        with self._writing, self._engine.begin() as connection:
            owners = owners_of(connection, ids)
            at, org, user = now_timestamp(), principal.org_id, principal.user_id
            events: list[tuple[Any, ...]] = [(at, org, user, action, stix_id, owners.get(stix_id), detail)
                                             for stix_id in ids] or [(at, org, user, action, None, None, detail)]
            bulk_insert(connection, AuditEvent.__tablename__, EVENT_COLUMNS, events)

    def record_by_owner(self, principal: Principal, action: str, owners: Mapping[str, int | None],
                        detail: Mapping[str, Any], connection: Connection | None = None) -> None:
        """Record ``action`` on many objects at once (a TAXII page or envelope): one event per owning
        organisation, its objects' ids in the event's detail (``"ids"``), so each owner's org admins
        find what was done to their objects and see no other organisation's ids.

        An event per object would cost several times the page it records.  ``owners`` maps each
        object to its owner, as the caller's query read them (or :func:`owners_of`).  With
        ``connection`` the events are written in the caller's transaction.
        """
        by_owner: dict[int | None, list[str]] = {}
        for stix_id, owner in owners.items():
            by_owner.setdefault(owner, []).append(stix_id)
        at, org, user = now_timestamp(), principal.org_id, principal.user_id
        events = [(at, org, user, action, None, owner, orjson.dumps({**detail, "ids": ids}).decode())
                  for owner, ids in by_owner.items()]
        if not events:
            return
        if connection is not None:
            bulk_insert(connection, AuditEvent.__tablename__, EVENT_COLUMNS, events)
            return
        with self._writing, self._engine.begin() as own:
            bulk_insert(own, AuditEvent.__tablename__, EVENT_COLUMNS, events)

    def events(self, principal: Principal, *, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
        """Events on the principal's organisation's objects, newest first (org admins; all for platform admins)."""
        require(principal, Role.ORG_ADMIN, "reading the audit trail")
        query = select(AuditEvent.__table__).order_by(AuditEvent.id.desc()).limit(limit)
        if not principal.is_platform_admin:
            query = query.where(AuditEvent.owner_org == principal.org_id)
        if action:
            query = query.where(AuditEvent.action == action)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]


def owners_of(connection: Connection, ids: list[str]) -> dict[str, int | None]:
    """The organisation owning each stored object's latest version."""
    owners: dict[str, int | None] = {}
    for start in range(0, len(ids), 500):
        # Every version, oldest first, so the latest version's owner wins.  (A condition on
        # is_latest would lead SQLite to scan the whole is_latest index instead of the id index.)
        rows = connection.execute(
            select(StixObject.stix_id, StixObject.owner_org)
            .where(StixObject.stix_id.in_(ids[start:start + 500])).order_by(StixObject.modified))
        owners.update({stix_id: owner for stix_id, owner in rows})
    return {stix_id: owners.get(stix_id) for stix_id in ids}  # in the order asked


def event_objects(event: dict[str, Any]) -> dict[str, str]:
    """What an event names, for a table: ``object`` (its object, or "N objects" for an event of
    :meth:`AuditTrail.record_by_owner`, whose ids are in its JSON detail), ``detail`` (without the ids)
    and ``ids`` (every id, space-separated)."""
    detail = event["detail"] or ""
    ids: list[str] = []
    if detail.startswith("{"):
        try:
            parsed = orjson.loads(detail)
        except orjson.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("ids"), list):
            ids = [str(i) for i in parsed.pop("ids")]
            detail = orjson.dumps(parsed).decode()
    shown = event["stix_id"] or (ids[0] if len(ids) == 1 else f"{len(ids):,} objects" if ids else "")
    return {"object": shown, "detail": detail, "ids": " ".join(ids or ([event["stix_id"]] if event["stix_id"] else []))}
