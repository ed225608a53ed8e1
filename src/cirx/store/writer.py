"""Writing STIX objects: batched, versioned, all-or-nothing per import.

One import runs in one transaction.  Each object is checked (and upgraded
from STIX 2.0); any rejection is recorded and, at the end, the whole
transaction is rolled back and :class:`ImportRejected` raised, so the store is
never half written.  A version already stored (same id and ``modified``) is
counted as unchanged, so a re-run adds nothing.  A version newer than the
stored latest becomes latest and its side rows (relationships, aliases,
external ids, search text, incident facets) replace the old ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import DBAPIError

from cirx.access.anonymise import redact
from cirx.access.tables import ObjectAudience
from cirx.access.tlp import level_of, with_level
from cirx.errors import CirxError, ImportRejected, InvalidObject, StoreError
from cirx.ingest.report import ImportReport
from cirx.model.stix import check_and_upgrade, normalise_timestamp
from cirx.store.derive import Row
from cirx.store.prepare import SIDE_COLUMNS, WRITTEN_COLUMNS, Prepared, prepare
from cirx.store.producer import gc_paused, in_background, in_process
from cirx.store.schema import (
    Alias,
    ExternalId,
    Incident,
    IncidentDyad,
    IncidentFacet,
    Relationship,
    SearchDocument,
    StixObject,
)

SIDE_TABLES = (Relationship, Alias, ExternalId, SearchDocument, Incident, IncidentFacet, IncidentDyad)

Progress = Callable[[int], None]
AUDIENCE_COLUMNS = ("stix_id", "modified", "kind", "ref")


@dataclass(frozen=True)
class ImportAccess:
    """Who contributes an import and with which audience.

    ``owner_org`` None is the platform itself (the offline knowledge base,
    public datasets).  Objects without a TLP marking get ``default_tlp``; when
    ``mark_objects`` is set, that marking is also written into the object.
    ``groups`` and ``orgs`` are the sharing groups and named recipient
    organisations of every imported version.  ``pseudonym_ref`` set means an
    anonymised contribution.
    """

    owner_org: int | None = None
    default_tlp: str = "clear"
    mark_objects: bool = False
    groups: tuple[int, ...] = ()
    orgs: tuple[int, ...] = ()
    pseudonym_ref: str | None = None


PLATFORM_IMPORT = ImportAccess()


class StixWriter:
    """Writes batches of STIX objects into the store."""

    def __init__(self, engine: Engine, *, batch_size: int, max_object_bytes: int,
                 validate_patterns: bool) -> None:
        self._engine = engine
        self._batch_size = batch_size
        self._max_bytes = max_object_bytes
        self._validate_patterns = validate_patterns
        self._unanalysed = 0  # rows imported since the last ``PRAGMA optimize``

    def import_objects(self, objects: Iterable[dict[str, Any]], report: ImportReport,
                       progress: Progress | None = None,
                       access: ImportAccess = PLATFORM_IMPORT, *, parallel: bool = False) -> ImportReport:
        """Check and store ``objects`` in one transaction; see the module docstring.

        Reading and checking run in a producer thread while this thread writes
        (the database drivers release the GIL while they work); objects already
        in memory that make one batch (a TAXII envelope) are checked here, as
        there is nothing to overlap.  With ``parallel`` (large files from the
        command line) the producer is a forked process instead, so that parsing,
        checking and pattern validation use the second core; it hands over
        prepared rows, and reports rejections and notes back as it goes.  Either
        way, this thread alone touches the database.  The cyclic garbage
        collector is paused meanwhile: an import allocates millions of
        short-lived containers and no cycles worth collecting.
        """
        try:
            with gc_paused(), self._engine.begin() as connection:
                # The newest version: added_at grows with added_seq (see _AddedClock), and the
                # added_seq index finds it at once, where max(added_at) would read the whole table.
                last = connection.execute(select(StixObject.added_seq, StixObject.added_at)
                                          .order_by(StixObject.added_seq.desc()).limit(1)).first()
                next_seq = (last[0] if last else 0) + 1
                clock = _AddedClock(last[1] if last else "")
                # On SQLite the transaction's snapshot holds until it commits (a second writer waits
                # or fails), so on a store empty at the start only this import's own ids can be
                # stored: the version look-ups are needed for those alone.
                own = set[str]() if last is None and self._engine.dialect.name == "sqlite" else None
                checked = self._checked_batches(objects, report, access)
                if parallel:
                    batches = in_process(checked, report)
                elif isinstance(objects, Sized) and len(objects) <= self._batch_size:
                    batches = checked
                else:
                    batches = in_background(checked)
                for batch in batches:
                    if report.rejected:
                        continue  # keep reading to report every problem, write nothing more
                    next_seq = self._write_batch(connection, batch, report, next_seq, access, clock, own)
                    if progress:
                        progress(len(batch))
                if report.rejected:
                    raise ImportRejected(report.source, report.rejected)
            self._unanalysed += report.imported
            if self._unanalysed >= OPTIMIZE_EVERY_ROWS and self._engine.dialect.name == "sqlite":
                self._unanalysed = 0
                with self._engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA optimize")  # fresh planner statistics
        except CirxError:
            raise
        except DBAPIError as exc:
            raise StoreError(f"{report.source}: the store refused the import: {exc.orig}") from exc
        return report

    def has_versions(self, objects: Iterable[dict[str, Any]]) -> bool:
        """Whether every object's version (its id and ``modified``, else ``created``) is stored.

        Importing such objects again would find every one unchanged and write nothing.
        """
        wanted = {(obj["id"], normalise_timestamp(obj.get("modified") or obj.get("created"))) for obj in objects}
        with self._engine.connect() as connection:
            stored = _stored_versions(connection, list({stix_id for stix_id, _ in wanted}))
        return all(modified in stored.get(stix_id, ((),))[0] for stix_id, modified in wanted)

    def _checked_batches(self, objects: Iterable[dict[str, Any]], report: ImportReport,
                         access: ImportAccess) -> Iterator[list[Prepared]]:
        batch: list[Prepared] = []
        max_bytes, validate, size = self._max_bytes, self._validate_patterns, self._batch_size
        withheld: set[str] = set()
        as_given = access.pseudonym_ref is None and not access.mark_objects
        owner, anonymous, default_tlp = access.owner_org, access.pseudonym_ref is not None, access.default_tlp
        dumps = orjson.dumps
        for raw in objects:
            report.read += 1
            try:
                checked = check_and_upgrade(raw, max_bytes=max_bytes, validate_patterns=validate)
                obj = checked if as_given else _apply_access(checked, access, withheld)
                if obj is None:
                    report.note(f"{checked['id']}: withheld from an anonymised contribution")
                    continue
                doc = dumps(obj).decode()
                if len(doc) > max_bytes:
                    raise InvalidObject(obj["id"], None,
                                        f"object is {len(doc)} bytes, over the limit of {max_bytes}")
            except InvalidObject as error:
                report.reject(error)
                continue
            batch.append(prepare(obj, doc, owner, anonymous, default_tlp))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write_batch(self, connection: Connection, batch: list[Prepared], report: ImportReport,
                     next_seq: int, access: ImportAccess, clock: _AddedClock, own: set[str] | None) -> int:
        ids = {version.stix_id for version in batch}
        if own is not None:
            wanted = [stix_id for stix_id in ids if stix_id in own]
            own.update(ids)
        else:
            wanted = list(ids)
        stored = _stored_versions(connection, wanted) if wanted else {}
        heads: list[Row] = []
        latest_flags: list[bool] = []
        newest: dict[str, int] = {}  # the index in ``heads`` of the row of this batch that is latest, per id
        became_latest: dict[str, Prepared] = {}
        demoted: list[str] = []
        no_versions: tuple[set[str], str] = (set(), "")
        for version in batch:
            stix_id, modified = version.stix_id, version.modified
            versions, latest = stored.get(stix_id, no_versions)
            if modified in versions:
                report.unchanged += 1
                continue
            # The first version of an id is its latest, also when it has no timestamp (a
            # cyber-observable has neither created nor modified: its ``modified`` is "").
            is_latest = modified > latest or not versions
            if is_latest:
                if latest:
                    demoted.append(stix_id)
                    previous = newest.get(stix_id)
                    if previous is not None:
                        latest_flags[previous] = False
                became_latest[stix_id] = version
                newest[stix_id] = len(heads)
                latest = modified
            stored[stix_id] = ({*versions, modified}, latest)
            heads.append(version.head)
            latest_flags.append(is_latest)
        if demoted:
            connection.execute(
                update(StixObject).where(StixObject.stix_id.in_(demoted), StixObject.is_latest.is_(True))
                .values(is_latest=False)
            )
            for model in SIDE_TABLES:
                connection.execute(delete(model).where(model.stix_id.in_(demoted)))
        if heads:
            count = len(heads)
            rows = [(*head, is_latest, seq, added_at) for head, is_latest, seq, added_at
                    in zip(heads, latest_flags, range(next_seq, next_seq + count), clock.stamps(count),
                           strict=True)]
            bulk_insert(connection, StixObject.__tablename__, WRITTEN_COLUMNS, rows)
            report.imported += count
            next_seq += count
            audience = [(head[0], head[4], kind, ref) for head in heads
                        for kind, refs in (("group", access.groups), ("org", access.orgs)) for ref in refs]
            if audience:
                bulk_insert(connection, ObjectAudience.__tablename__, AUDIENCE_COLUMNS, audience)
        if became_latest:
            _insert_side_rows(connection, became_latest.values())
        return next_seq


# SQLite's planner statistics are refreshed once this many rows were imported since the last
# refresh (not after every small import: a TAXII envelope's ``PRAGMA optimize`` would cost as
# much as writing it).
OPTIMIZE_EVERY_ROWS = 5000


def _stored_versions(connection: Connection, ids: list[str]) -> dict[str, tuple[set[str], str]]:
    """Per id: the versions (``modified``) already stored and the latest of them."""
    stored: dict[str, tuple[set[str], str]] = {}
    placeholder = _placeholder(connection)
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        rows = connection.exec_driver_sql(
            f"SELECT stix_id, modified, is_latest FROM stix_objects "
            f"WHERE stix_id IN ({', '.join([placeholder] * len(chunk))})", tuple(chunk))
        for stix_id, modified, is_latest in rows:
            versions, latest = stored.get(stix_id, (set(), ""))
            versions.add(modified)
            stored[stix_id] = (versions, modified if is_latest else latest)
    return stored


class _AddedClock:
    """Strictly increasing ``added_at`` timestamps (TAXII ``date_added``), one per stored version.

    TAXII clients page with ``added_after``, so no two versions may share one:
    a batch's versions get the current time (or one microsecond after the
    previous stamp, whichever is later) and the microseconds after it.
    """

    def __init__(self, last: str) -> None:
        """``last``: the newest ``added_at`` stored ("" if none)."""
        self._last = _micros(last) if last else 0  # microseconds since the epoch
        self._second = -1
        self._prefix = ""

    def stamps(self, count: int) -> list[str]:
        start = max(time.time_ns() // 1000, self._last + 1)
        self._last = start + count - 1
        stamps: list[str] = []
        while count:
            second, micro = divmod(start, 1_000_000)
            if second != self._second:
                self._second = second
                self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            within = min(count, 1_000_000 - micro)  # the stamps left in this second
            prefix = self._prefix
            stamps += [f"{prefix}{m:06d}Z" for m in range(micro, micro + within)]
            start += within
            count -= within
        return stamps


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(stamp: str) -> int:
    moment = datetime.fromisoformat(stamp.rstrip("Z")).replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def bulk_insert(connection: Connection, table: str, columns: tuple[str, ...], rows: list[Row]) -> None:
    """Insert rows (tuples in the order of ``columns``) with the driver's executemany.

    The hot path of every import: SQLAlchemy Core builds parameters per row,
    which costs more than SQLite's own insert; one statement written for the
    driver's placeholder style keeps a single code path for both backends.
    """
    placeholder = _placeholder(connection)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    connection.exec_driver_sql(statement, rows)


def _apply_access(obj: dict[str, Any], access: ImportAccess, withheld: set[str]) -> dict[str, Any] | None:
    """The object as stored: anonymised if asked, with the default TLP marking if it has none."""
    if access.pseudonym_ref is not None:
        redacted = redact(obj, access.pseudonym_ref, withheld)
        if redacted is None:
            return None
        obj = redacted
    if access.mark_objects and obj["type"] != "marking-definition" and level_of(obj.get("object_marking_refs")) is None:
        obj["object_marking_refs"] = with_level(obj.get("object_marking_refs"), access.default_tlp)
    return obj


def _insert_side_rows(connection: Connection, versions: Iterable[Prepared]) -> None:
    tables: dict[str, list[Row]] = {}
    for version in versions:
        for table, rows in version.side:
            tables.setdefault(table, []).extend(rows)
    for table, rows in tables.items():
        if rows:
            bulk_insert(connection, table, SIDE_COLUMNS[table], rows)
