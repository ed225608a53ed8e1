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

import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError

from cirx.access.anonymise import redact
from cirx.access.tables import ObjectAudience
from cirx.access.tlp import level_of, with_level
from cirx.errors import CirxError, ImportRejected, InvalidInput, InvalidObject, StoreError
from cirx.ingest.report import ImportReport
from cirx.model.stix import check_and_upgrade, normalise_timestamp
from cirx.store import derive
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
T = TypeVar("T")


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

    def import_objects(self, objects: Iterable[dict[str, Any]], report: ImportReport,
                       progress: Progress | None = None,
                       access: ImportAccess = PLATFORM_IMPORT, *, parallel: bool = False) -> ImportReport:
        """Check and store ``objects`` in one transaction; see the module docstring.

        Reading and checking run in a producer thread while this thread writes
        (the database drivers release the GIL while they work).  With
        ``parallel`` (large files from the command line) the producer is a forked
        process instead, so that parsing, checking and pattern validation use the
        second core; it hands over serialised objects, and reports rejections and
        notes back as it goes.  Either way, this thread alone touches the database.
        """
        try:
            with self._engine.begin() as connection:
                next_seq = (connection.execute(select(func.max(StixObject.added_seq))).scalar() or 0) + 1
                clock = _AddedClock(connection)
                checked = self._checked_batches(objects, report, access)
                batches = _in_process(checked, report) if parallel else _in_background(checked)
                for batch in batches:
                    if report.rejected:
                        continue  # keep reading to report every problem, write nothing more
                    next_seq = self._write_batch(connection, batch, report, next_seq, access, clock)
                    if progress:
                        progress(len(batch))
                if report.rejected:
                    raise ImportRejected(report.source, report.rejected)
            if report.imported and self._engine.dialect.name == "sqlite":
                with self._engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA optimize")  # fresh planner statistics
        except CirxError:
            raise
        except DBAPIError as exc:
            raise StoreError(f"{report.source}: the store refused the import: {exc.orig}") from exc
        return report

    def _checked_batches(self, objects: Iterable[dict[str, Any]], report: ImportReport,
                         access: ImportAccess) -> Iterator[list[Prepared]]:
        batch: list[Prepared] = []
        max_bytes = self._max_bytes
        withheld: set[str] = set()
        for raw in objects:
            report.read += 1
            try:
                checked = check_and_upgrade(raw, max_bytes=max_bytes, validate_patterns=self._validate_patterns)
                obj = _apply_access(checked, access, withheld)
                if obj is None:
                    report.note(f"{checked['id']}: withheld from an anonymised contribution")
                    continue
                doc = orjson.dumps(obj).decode()
                if len(doc) > max_bytes:
                    raise InvalidObject(obj["id"], None,
                                        f"object is {len(doc)} bytes, over the limit of {max_bytes}")
            except InvalidObject as error:
                report.reject(error)
                continue
            batch.append(_prepare(obj, doc, access))
            if len(batch) >= self._batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write_batch(self, connection: Connection, batch: list[Prepared], report: ImportReport,
                     next_seq: int, access: ImportAccess, clock: _AddedClock) -> int:
        ids = list({version.stix_id for version in batch})
        stored: dict[str, tuple[set[str], str]] = {}
        for chunk_start in range(0, len(ids), 2000):
            chunk = ids[chunk_start:chunk_start + 2000]
            rows = connection.execute(
                select(StixObject.stix_id, StixObject.modified, StixObject.is_latest)
                .where(StixObject.stix_id.in_(chunk))
            )
            for stix_id, modified, is_latest in rows:
                versions, latest = stored.get(stix_id, (set(), ""))
                versions.add(modified)
                stored[stix_id] = (versions, modified if is_latest else latest)

        new_rows: list[dict[str, Any]] = []
        newest_row: dict[str, dict[str, Any]] = {}  # the row of this batch that is latest, per id
        became_latest: dict[str, Prepared] = {}
        demoted: list[str] = []
        for version in batch:
            stix_id, modified = version.stix_id, version.modified
            versions, latest = stored.get(stix_id, (set(), ""))
            if modified in versions:
                report.unchanged += 1
                continue
            is_latest = modified > latest
            if is_latest:
                if latest:
                    demoted.append(stix_id)
                    previous = newest_row.get(stix_id)
                    if previous is not None:
                        previous["is_latest"] = False
                became_latest[stix_id] = version
                latest = modified
            versions.add(modified)
            stored[stix_id] = (versions, latest)
            row = {**version.row, "is_latest": is_latest, "added_seq": next_seq, "added_at": clock.next()}
            if is_latest:
                newest_row[stix_id] = row
            new_rows.append(row)
            next_seq += 1
        if demoted:
            connection.execute(
                update(StixObject).where(StixObject.stix_id.in_(demoted), StixObject.is_latest.is_(True))
                .values(is_latest=False)
            )
            for model in SIDE_TABLES:
                connection.execute(delete(model).where(model.stix_id.in_(demoted)))
        if new_rows:
            bulk_insert(connection, StixObject.__tablename__, new_rows)
            report.imported += len(new_rows)
            audience = [
                {"stix_id": row["stix_id"], "modified": row["modified"], "kind": kind, "ref": ref}
                for row in new_rows
                for kind, refs in (("group", access.groups), ("org", access.orgs))
                for ref in refs
            ]
            if audience:
                bulk_insert(connection, ObjectAudience.__tablename__, audience)
        if became_latest:
            _insert_side_rows(connection, became_latest.values())
        return next_seq


class _AddedClock:
    """Strictly increasing ``added_at`` timestamps (TAXII ``date_added``), one per stored version.

    TAXII clients page with ``added_after``, so no two versions may share one:
    each is the current time, or one microsecond after the previous, whichever is later.
    """

    def __init__(self, connection: Connection) -> None:
        last = connection.execute(select(func.max(StixObject.added_at))).scalar() or ""
        self._last = datetime.fromisoformat(last.rstrip("Z")).replace(tzinfo=UTC) if last else None

    def next(self) -> str:
        moment = datetime.now(UTC)
        if self._last is not None and moment <= self._last:
            moment = self._last + timedelta(microseconds=1)
        self._last = moment
        return f"{moment.isoformat(timespec='microseconds')[:26]}Z"


def _in_process(batches: Iterator[list[Prepared]], report: ImportReport) -> Iterator[list[Prepared]]:
    """Run the checking generator in a forked process; yield its batches here.

    The child sends each batch of prepared versions (pickled) with the
    rejections, notes and read count it added to its copy of ``report``; this
    side replays them onto ``report``.
    """
    context = multiprocessing.get_context("fork")
    handover: Any = context.Queue(maxsize=4)
    child = context.Process(target=_produce_in_child, args=(batches, report, handover), daemon=True)
    child.start()
    try:
        while True:
            kind, payload, rejected, notes, read = handover.get()
            report.read = read
            report.rejected.extend(InvalidObject(*r) for r in rejected)
            report.notes.extend(notes)
            if kind == "batch":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    finally:
        if child.is_alive():
            child.terminate()
        child.join()


def _produce_in_child(batches: Iterator[list[Prepared]], report: ImportReport, handover: Any) -> None:
    sent_rejections, sent_notes = len(report.rejected), len(report.notes)

    def news() -> tuple[list[tuple[str, str | None, str]], list[str]]:
        nonlocal sent_rejections, sent_notes
        rejected = [(r.object_ref, r.property, r.reason) for r in report.rejected[sent_rejections:]]
        notes = report.notes[sent_notes:]
        sent_rejections, sent_notes = len(report.rejected), len(report.notes)
        return rejected, notes

    try:
        for batch in batches:
            handover.put(("batch", batch, *news(), report.read))
        handover.put(("done", None, *news(), report.read))
    except CirxError as exc:
        handover.put(("error", InvalidInput(str(exc)) if isinstance(exc, InvalidObject) else exc,
                      *news(), report.read))
    except Exception as exc:  # handed to the parent, which raises it
        handover.put(("error", StoreError(f"{report.source}: reading failed: {exc}"), *news(), report.read))


_DONE = object()


def _in_background(batches: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Run a generator in a thread, handing its items over through a bounded queue.

    An exception in the generator is re-raised here; if the consumer stops
    early, the thread is told to stop and drains.
    """
    handover: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in batches:
                if stop.is_set():
                    return
                handover.put(item)
            handover.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            handover.put(_Failure(exc))

    thread = threading.Thread(target=produce, name="cirx-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                handover.get(timeout=0.05)
        thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def bulk_insert(connection: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) with the driver's executemany.

    The hot path of every import: SQLAlchemy Core builds parameters per row,
    which costs more than SQLite's own insert; one statement written for the
    driver's placeholder style keeps a single code path for both backends.
    """
    columns = list(rows[0])
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholder] * len(columns))})"
    )
    values = itemgetter(*columns)
    connection.exec_driver_sql(statement, [values(row) for row in rows])


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


@dataclass(slots=True)
class Prepared:
    """One checked object version, ready to write: its row and the side rows it would own.

    Built where the object was checked (a producer thread or process), so that
    the thread holding the transaction only decides versions and writes.
    """

    stix_id: str
    modified: str
    row: dict[str, Any]
    side: dict[str, list[dict[str, Any]]]


def _prepare(obj: dict[str, Any], doc: str, access: ImportAccess) -> Prepared:
    """The ``stix_objects`` row (without its sequence, latest flag and date added) and side rows."""
    aliases = derive.names_of(obj)[1:]
    markings = obj.get("object_marking_refs")
    tlp = "clear" if obj["type"] == "marking-definition" else (level_of(markings) or access.default_tlp)
    modified = normalise_timestamp(obj.get("modified") or obj.get("created"))
    row = {
        "stix_id": obj["id"],
        "type": obj["type"],
        "spec_version": obj.get("spec_version", "2.1"),
        "created": normalise_timestamp(obj.get("created")),
        "modified": modified,
        "revoked": bool(obj.get("revoked", False)),
        "is_latest": True,
        "name": obj.get("name") if isinstance(obj.get("name"), str) else None,
        "aliases": orjson.dumps(aliases).decode() if aliases else None,
        "markings": orjson.dumps(markings).decode() if markings else None,
        "created_by_ref": obj.get("created_by_ref"),
        "added_seq": 0,
        "doc": doc,
        "tlp": tlp,
        "owner_org": access.owner_org,
        "anonymous": access.pseudonym_ref is not None,
        "added_at": "",
    }
    return Prepared(obj["id"], modified, row, _side_rows(obj))


def _side_rows(obj: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The rows an object owns in each side table while it is the latest version."""
    stix_type = obj["type"]
    if stix_type in ("relationship", "sighting"):
        return {Relationship.__tablename__: derive.relationship_rows(obj)}
    side: dict[str, list[dict[str, Any]]] = {}
    for table, rows in ((Alias.__tablename__, derive.alias_rows(obj)),
                        (ExternalId.__tablename__, derive.external_id_rows(obj))):
        if rows:
            side[table] = rows
    search = derive.search_row(obj)
    if search:
        side[SearchDocument.__tablename__] = [search]
    if stix_type == "incident":
        incident, facets, dyads = derive.incident_rows(obj)
        if incident:
            side[Incident.__tablename__] = [incident]
        side[IncidentFacet.__tablename__] = facets
        side[IncidentDyad.__tablename__] = dyads
    return side


def _insert_side_rows(connection: Connection, versions: Iterable[Prepared]) -> None:
    tables: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        for table, rows in version.side.items():
            tables.setdefault(table, []).extend(rows)
    for table, rows in tables.items():
        if rows:
            bulk_insert(connection, table, rows)
