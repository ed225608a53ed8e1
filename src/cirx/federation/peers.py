"""Federation peers: configure the nodes this one syncs with, and sync them.

A peer is any TAXII 2.1 server (another cirx node, OpenCTI, medallion): its
API root, one collection, and the token this node presents to it.  Each peer
is tied to a local organisation: what is pulled from the peer is attributed
to it (keeping the objects' own TLP markings), and nothing that organisation
owns is ever pushed back to the peer (loop prevention).  What is pushed is
limited by the peer's TLP ceiling and sharing groups; see :func:`push_refusal`.
The TAXII exchanges themselves are :mod:`cirx.federation.sync`.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import orjson
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cirx.access.secrets import SecretBox
from cirx.access.tables import ObjectAudience
from cirx.access.tlp import at_most, level_of, parse_level, with_level
from cirx.errors import CirxError, InvalidInput, NotFound
from cirx.federation.sync import (
    OutboxBatch,
    PeerSync,
    PeerUnavailable,
    Progress,
    SyncOptions,
    SyncReport,
)
from cirx.federation.tables import Peer
from cirx.model.ids import now_timestamp
from cirx.platform import Platform
from cirx.store.schema import StixObject

DIRECTIONS = ("pull", "push", "both")
RESTRICTED = ("amber", "amber+strict", "red")


@dataclass(frozen=True)
class PushPolicy:
    """What a peer may receive: its local organisation, TLP ceiling and sharing groups."""

    org_id: int | None
    max_tlp: str
    group_ids: frozenset[int] = frozenset()


def push_refusal(policy: PushPolicy, tlp: str, owner_org: int | None,
                 groups: frozenset[int], orgs: frozenset[int]) -> str | None:
    """Why an object version may not go to the peer: ``"from-peer"``, ``"policy"``, or None (it may).

    ``groups``/``orgs`` are the version's audience (sharing groups, named recipients).
    Nothing the peer's own organisation owns goes back to it; nothing above
    ``max_tlp``; AMBER and AMBER+STRICT only when shared with one of the peer's
    groups or naming its organisation; RED only when naming its organisation.
    """
    if policy.org_id is not None and owner_org == policy.org_id:
        return "from-peer"
    if not at_most(tlp, policy.max_tlp):
        return "policy"
    named = policy.org_id is not None and policy.org_id in orgs
    if tlp in ("amber", "amber+strict"):
        return None if (groups & policy.group_ids) or named else "policy"
    if tlp == "red":
        return None if named else "policy"
    return None


@dataclass(frozen=True)
class PeerRecord:
    """A peer as ``cirx peer list`` shows it (never its token)."""

    name: str
    api_root: str
    collection_id: str
    org: str | None
    direction: str
    max_tlp: str
    groups: tuple[str, ...]
    pull_cursor: str | None
    push_cursor: int
    last_sync_at: str | None
    last_error: str | None
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {**self.__dict__, "groups": list(self.groups)}


class PeerService:
    """Adds, lists, removes and syncs federation peers."""

    def __init__(self, platform: Platform, options: SyncOptions | None = None) -> None:
        self._platform = platform
        self._options = options or SyncOptions()

    @property
    def _engine(self) -> Engine:
        return self._platform.init().engine

    def add(self, name: str, api_root: str, collection_id: str, token: str | None, *, org: str,
            direction: str = "both", max_tlp: str = "green", groups: tuple[str, ...] | list[str] = ()) -> PeerRecord:
        """Register a peer; ``org`` is the local organisation its objects are attributed to."""
        name = name.strip()
        if not name:
            raise InvalidInput("a peer needs a name")
        parsed = urlparse(api_root)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInput(f"peer {name!r}: {api_root!r} is not an http(s) URL of a TAXII API root")
        if not collection_id.strip():
            raise InvalidInput(f"peer {name!r}: a collection id is needed")
        if direction not in DIRECTIONS:
            raise InvalidInput(f"peer {name!r}: direction {direction!r}; choose one of {', '.join(DIRECTIONS)}")
        level = parse_level(max_tlp)
        organisations = self._platform.organisations
        record = organisations.get(org)
        group_names = list(dict.fromkeys(groups))
        for group in group_names:
            organisations.group_id(group)  # NotFound for an unknown group
        row = {
            "name": name, "api_root": api_root.rstrip("/") + "/", "collection_id": collection_id.strip(),
            "token": SecretBox(self._platform.settings).seal(token), "org_id": record.id, "direction": direction, "max_tlp": level,
            "groups": json.dumps(group_names), "pull_cursor": None, "push_cursor": 0,
            "last_sync_at": None, "last_error": None, "created_at": now_timestamp(),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(Peer).values(**row))
        except IntegrityError as exc:
            raise InvalidInput(f"peer {name!r} already exists") from exc
        return self.get(name)

    def get(self, name: str) -> PeerRecord:
        """One peer by name."""
        return self._record(self._row(name))

    def list(self) -> list[PeerRecord]:
        """Every peer, by name."""
        return [self._record(row) for row in self._rows()]

    def remove(self, name: str) -> None:
        """Forget a peer (its cursors too); what was synced stays in the store."""
        with self._engine.begin() as connection:
            result = connection.execute(delete(Peer).where(Peer.name == name))
        if not result.rowcount:
            raise NotFound(f"no peer {name!r}")

    def sync(self, name: str | None = None, progress: Progress | None = None) -> builtins.list[SyncReport]:
        """Sync one peer (or every peer, by name); one failing peer never stops the others."""
        rows = [self._row(name)] if name is not None else self._rows()
        return [self._sync_one(row, progress) for row in rows]

    def _sync_one(self, peer: Peer, progress: Progress | None) -> SyncReport:
        report = SyncReport(peer=peer.name, pull_cursor=peer.pull_cursor, push_cursor=peer.push_cursor)
        worker = PeerSync(self._platform, peer, self._options, progress)
        try:
            unavailable = False
            if peer.direction in ("pull", "both"):
                try:
                    worker.pull(report)
                except PeerUnavailable as exc:
                    report.errors.append(f"pull: {exc}")
                    unavailable = True
                except Exception as exc:
                    report.errors.append(f"pull: {_describe(exc)}")
            if peer.direction in ("push", "both") and not unavailable:
                try:
                    worker.push(report, self._outbox(peer, self._policy(peer)))
                except Exception as exc:
                    report.errors.append(f"push: {_describe(exc)}")
        finally:
            worker.close()
        report.pull_cursor, report.push_cursor = peer.pull_cursor, peer.push_cursor
        values: dict[str, Any] = {"last_error": "; ".join(report.errors)[:4000] if report.errors else None}
        if report.ok:
            values["last_sync_at"] = now_timestamp()
        with self._engine.begin() as connection:
            connection.execute(update(Peer).where(Peer.id == peer.id).values(**values))
        return report

    def _outbox(self, peer: Peer, policy: PushPolicy) -> Iterator[OutboxBatch]:
        """Local versions past the peer's ``push_cursor``, in ``added_seq`` order, sorted by the policy."""
        after = int(peer.push_cursor or 0)
        while True:
            query = (select(StixObject.added_seq, StixObject.stix_id, StixObject.modified, StixObject.type,
                            StixObject.tlp, StixObject.owner_org, StixObject.markings, StixObject.doc)
                     .where(StixObject.added_seq > after).order_by(StixObject.added_seq)
                     .limit(self._options.push_chunk))
            with self._engine.connect() as connection:
                rows = connection.execute(query).all()
            if not rows:
                return
            audiences = self._audiences(rows)
            batch = OutboxBatch(docs=[], ids=[], last_seq=int(rows[-1].added_seq))
            for row in rows:
                groups, orgs = audiences.get((row.stix_id, row.modified), (frozenset(), frozenset()))
                refusal = push_refusal(policy, row.tlp, row.owner_org, groups, orgs)
                if refusal == "from-peer":
                    batch.from_peer += 1
                elif refusal:
                    batch.refused += 1
                else:
                    batch.docs.append(_marked(row.doc, row.type, row.tlp, row.markings))
                    batch.ids.append(row.stix_id)
            yield batch
            after = batch.last_seq

    def _audiences(self, rows: Sequence[Any]) -> dict[tuple[str, str], tuple[frozenset[int], frozenset[int]]]:
        """Sharing groups and named recipients of the AMBER and RED versions among ``rows``."""
        ids = sorted({row.stix_id for row in rows if row.tlp in RESTRICTED})
        found: dict[tuple[str, str], tuple[set[int], set[int]]] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(ids), 500):
                query = select(ObjectAudience.stix_id, ObjectAudience.modified, ObjectAudience.kind,
                               ObjectAudience.ref).where(ObjectAudience.stix_id.in_(ids[start:start + 500]))
                for stix_id, modified, kind, ref in connection.execute(query):
                    groups, orgs = found.setdefault((stix_id, modified), (set(), set()))
                    (groups if kind == "group" else orgs).add(int(ref))
        return {key: (frozenset(g), frozenset(o)) for key, (g, o) in found.items()}

    def _policy(self, peer: Peer) -> PushPolicy:
        """The peer's push policy, with its sharing groups resolved to ids (unknown ones ignored)."""
        group_ids: set[int] = set()
        for group in json.loads(peer.groups or "[]"):
            try:
                group_ids.add(self._platform.organisations.group_id(group))
            except NotFound:
                continue
        return PushPolicy(org_id=peer.org_id, max_tlp=peer.max_tlp, group_ids=frozenset(group_ids))

    def _rows(self, name: str | None = None) -> builtins.list[Peer]:
        """Peer rows (detached, fully loaded), by name."""
        query = select(Peer).order_by(Peer.name)
        if name is not None:
            query = query.where(Peer.name == name)
        with Session(self._engine, expire_on_commit=False) as session:
            return builtins.list(session.scalars(query).all())

    def _row(self, name: str) -> Peer:
        rows = self._rows(name)
        if not rows:
            raise NotFound(f"no peer {name!r}")
        return rows[0]

    def _record(self, row: Peer) -> PeerRecord:
        org: str | None = None
        if row.org_id is not None:
            try:
                org = self._platform.organisations.get(row.org_id).name
            except NotFound:
                org = f"#{row.org_id} (removed)"
        return PeerRecord(
            name=row.name, api_root=row.api_root, collection_id=row.collection_id, org=org,
            direction=row.direction, max_tlp=row.max_tlp, groups=tuple(json.loads(row.groups or "[]")),
            pull_cursor=row.pull_cursor, push_cursor=int(row.push_cursor or 0),
            last_sync_at=row.last_sync_at, last_error=row.last_error, created_at=row.created_at)


def _marked(doc: str, stix_type: str, tlp: str, markings: str | None) -> str:
    """The stored document, with its TLP 2.0 marking written in when it carries none.

    The peer then applies the level this node enforced rather than a default of its own.
    """
    if stix_type == "marking-definition" or level_of(orjson.loads(markings) if markings else None):
        return doc
    obj = orjson.loads(doc)
    obj["object_marking_refs"] = with_level(obj.get("object_marking_refs"), tlp)
    return orjson.dumps(obj).decode()


def _describe(exc: Exception) -> str:
    """A one-line description of a sync failure."""
    return str(exc) if isinstance(exc, CirxError) else f"{type(exc).__name__}: {exc}"
