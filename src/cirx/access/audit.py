"""The audit trail: who read, exported, imported, pushed or pulled what, and when.

Org admins query the events that touched their own organisation's objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, insert, select

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.access.tables import AuditEvent
from cirx.model.ids import now_timestamp
from cirx.store.schema import StixObject

ACTIONS = ("read", "search", "export", "import", "push", "pull", "token", "login")


class AuditTrail:
    """Records and lists audit events."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writing = threading.Lock()

    def record(self, principal: Principal, action: str, stix_ids: Iterable[str] = (), detail: str | None = None) -> None:
        """Record that ``principal`` did ``action`` on ``stix_ids`` (or on nothing in particular)."""
        ids = list(dict.fromkeys(stix_ids))
        owners: dict[str, int | None] = {}
        # One writer at a time within this process: concurrent page views queue on a lock (woken at once)
        # instead of on SQLite's busy handler, which sleeps up to 100 ms between tries.
        with self._writing, self._engine.begin() as connection:
            for start in range(0, len(ids), 500):
                # Every version, oldest first, so the latest version's owner wins.  (A condition on
                # is_latest would lead SQLite to scan the whole is_latest index instead of the id index.)
                rows = connection.execute(
                    select(StixObject.stix_id, StixObject.owner_org)
                    .where(StixObject.stix_id.in_(ids[start:start + 500])).order_by(StixObject.modified))
                owners.update({stix_id: owner for stix_id, owner in rows})
            at = now_timestamp()
            events = [
                {"at": at, "org_id": principal.org_id, "user_id": principal.user_id, "action": action,
                 "stix_id": stix_id, "owner_org": owners.get(stix_id), "detail": detail}
                for stix_id in ids
            ] or [{"at": at, "org_id": principal.org_id, "user_id": principal.user_id, "action": action,
                   "stix_id": None, "owner_org": None, "detail": detail}]
            connection.execute(insert(AuditEvent), events)

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
