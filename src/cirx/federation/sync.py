"""One peer's sync over TAXII 2.1: pull its collection, push what policy lets it receive.

Pull asks the peer's collection for every object version added after
``pull_cursor`` (``match[version]=all``), page by page (``limit`` and
``next``).  Each page is written in one transaction as the peer's local
organisation; then ``pull_cursor`` becomes the page's
``X-TAXII-Date-Added-Last``.  A crash between the two re-reads one page, which
adds nothing: the store keeps one row per ``(id, modified)``.

Push takes local versions with ``added_seq > push_cursor`` in order, as
batches (:class:`OutboxBatch`) of what the peer may receive (the policy is
:func:`cirx.federation.peers.push_refusal`), POSTs them as envelopes,
follows the status resource to ``complete`` and only then moves
``push_cursor`` past the chunk.  Re-sending a chunk is harmless for the same
reason.  Connection errors, timeouts, 429 and 5xx are retried with bounded
exponential backoff; anything else stops the phase with the cursor unchanged.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import Engine, update
from taxii2client.v21 import Collection

from cirx.access.policy import Principal
from cirx.access.secrets import SecretBox
from cirx.errors import CirxError, StoreError
from cirx.federation.tables import Peer
from cirx.ingest.report import ImportReport
from cirx.platform import Platform
from cirx.store.writer import ImportAccess

T = TypeVar("T")
Progress = Callable[[str, str, int], None]
"""``progress(peer, phase, n)``: ``n`` more objects pulled or pushed (phase ``pull``/``push``)."""

DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"
MEDIA_TYPE = "application/taxii+json;version=2.1"


class PeerUnavailable(CirxError):
    """The peer did not answer (or kept failing with 5xx) after every retry."""

    http_status = 502
    title = "Peer unavailable"


class PeerRefused(CirxError):
    """The peer answered, but refused the request or sent something unusable."""

    http_status = 502
    title = "Peer refused"


@dataclass(frozen=True)
class SyncOptions:
    """How hard and in what steps to talk to peers (tests shrink the delays)."""

    tries: int = 4
    backoff: float = 0.2
    page_size: int = 500
    push_chunk: int = 500
    push_max_bytes: int = 8 * 1024 * 1024
    request_timeout: float = 30.0
    status_timeout: float = 60.0
    poll_interval: float = 0.5


@dataclass
class SyncReport:
    """What one sync of one peer did."""

    peer: str
    pulled: int = 0
    unchanged: int = 0
    pushed: int = 0
    skipped_by_policy: int = 0
    skipped_from_peer: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pull_cursor: str | None = None
    push_cursor: int = 0

    @property
    def ok(self) -> bool:
        """True when the sync met no error."""
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {**self.__dict__, "ok": self.ok}


@dataclass
class OutboxBatch:
    """Consecutive local versions read for a peer: the documents it may receive, and what it may not."""

    docs: list[str]
    ids: list[str]
    last_seq: int
    refused: int = 0
    from_peer: int = 0


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout (``requests`` has none by default)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Send with the default timeout unless one was given."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


class BearerAuth(requests.auth.AuthBase):
    """``Authorization: Bearer TOKEN`` on every request (cirx, OpenCTI)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class PeerSync:
    """Syncs one peer (a row of ``peers``) with this platform."""

    def __init__(self, platform: Platform, peer: Peer, options: SyncOptions,
                 progress: Progress | None = None) -> None:
        self._platform = platform
        self._engine: Engine = platform.init().engine
        self._peer = peer
        self._options = options
        self._progress = progress
        self._headers: dict[str, str] = {}
        self._principal = Principal(org_id=peer.org_id, authenticated=True, peer=True)
        url = peer.api_root.rstrip("/") + f"/collections/{peer.collection_id}/"
        token = SecretBox(platform.settings).open(peer.token)
        self._collection = Collection(url, auth=BearerAuth(token) if token else None)
        session: requests.Session = self._collection._conn.session
        adapter = _TimeoutAdapter(options.request_timeout)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.hooks["response"].append(self._remember_headers)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._collection.close()

    def _remember_headers(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        self._headers = dict(response.headers)

    # -- pull ------------------------------------------------------------------------------

    def pull(self, report: SyncReport) -> None:
        """Import every object version the peer added since ``pull_cursor``, page by page."""
        peer = self._peer
        if peer.org_id is None:
            raise PeerRefused(f"peer {peer.name}: no local organisation to attribute pulled objects to")
        access = self._platform.imports.access(self._platform.organisations.get(peer.org_id).name)
        query_after, next_token = peer.pull_cursor, None
        page_number = 0
        while True:
            page_number += 1
            envelope = self._call("GET objects", functools.partial(
                self._collection.get_objects, added_after=query_after, limit=self._options.page_size,
                next=next_token, version="all"))
            last_added = self._headers.get(DATE_ADDED_LAST)
            objects = list(envelope.get("objects") or [])
            if objects:
                imported = self._import_page(objects, f"peer {peer.name} page {page_number}", access)
                report.pulled += imported.imported
                report.unchanged += imported.unchanged
                if imported.imported:
                    self._platform.audit.record(
                        self._principal, "pull", [o["id"] for o in objects if isinstance(o.get("id"), str)],
                        detail=f"from peer {peer.name}: {imported.imported} new, {imported.unchanged} unchanged")
                if self._progress:
                    self._progress(peer.name, "pull", len(objects))
                if last_added is None:
                    report.notes.append(f"peer {peer.name} sent no {DATE_ADDED_LAST}: the next sync reads all again")
            if last_added and (peer.pull_cursor is None or _later(last_added, peer.pull_cursor)):
                self._save(pull_cursor=last_added)
            if not envelope.get("more"):
                return
            next_token = envelope.get("next")
            if not next_token:
                # "more" without "next": continue from the cursor, if it moved.
                if query_after == peer.pull_cursor:
                    report.notes.append(f"peer {peer.name}: 'more' without 'next' and no progress; stopped")
                    return
                query_after = peer.pull_cursor

    def _import_page(self, objects: list[dict[str, Any]], label: str, access: ImportAccess) -> ImportReport:
        """Write one page in one transaction; a store busy with another writer is retried."""
        tries = max(1, self._options.tries)
        for attempt in range(tries):
            report = ImportReport(source=label)
            try:
                return self._platform.writer.import_objects(iter(objects), report, access=access)
            except StoreError:
                if attempt + 1 == tries:
                    raise
                time.sleep(self._options.backoff * (2 ** attempt))
        raise AssertionError("unreachable")

    # -- push ------------------------------------------------------------------------------

    def push(self, report: SyncReport, outbox: Iterable[OutboxBatch]) -> None:
        """POST each batch the peer may receive; ``push_cursor`` moves past a batch once it is accepted."""
        peer = self._peer
        for batch in outbox:
            report.skipped_by_policy += batch.refused
            report.skipped_from_peer += batch.from_peer
            for docs, ids in _by_size(batch.docs, batch.ids, self._options.push_max_bytes):
                self._post(docs)
                report.pushed += len(docs)
                self._platform.audit.record(self._principal, "push", ids, detail=f"to peer {peer.name}")
                if self._progress:
                    self._progress(peer.name, "push", len(docs))
            self._save(push_cursor=batch.last_seq)

    def _post(self, docs: list[str]) -> None:
        """POST one envelope and follow its status to ``complete`` without failures."""
        body = ('{"objects":[' + ",".join(docs) + "]}").encode()
        status = self._call("POST objects", lambda: self._collection.add_objects(
            body, wait_for_completion=False, accept=MEDIA_TYPE, content_type=MEDIA_TYPE))
        deadline = time.monotonic() + self._options.status_timeout
        while status.status != "complete" and time.monotonic() < deadline:
            time.sleep(self._options.poll_interval)
            self._call("GET status", status.refresh)
        if status.status != "complete":
            raise PeerRefused(f"peer {self._peer.name}: status {status.id} still {status.status} "
                              f"after {self._options.status_timeout:g} s; will resend next sync")
        if status.failure_count:
            reasons = "; ".join(f"{f.get('id')}: {f.get('message', '')}" for f in status.failures[:5])
            raise PeerRefused(f"peer {self._peer.name} refused {status.failure_count} of "
                              f"{status.total_count} objects ({reasons})")

    # -- plumbing ----------------------------------------------------------------------------

    def _call(self, what: str, call: Callable[[], T]) -> T:
        """Run one HTTP exchange, retrying transient failures with exponential backoff."""
        tries = max(1, self._options.tries)
        for attempt in range(tries):
            try:
                return call()
            except requests.HTTPError as exc:
                code = exc.response.status_code if exc.response is not None else 0
                if code != 429 and code < 500:
                    raise PeerRefused(f"peer {self._peer.name}: {what} answered {code}: "
                                      f"{_error_text(exc.response)}") from exc
                failure: Exception = exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure = exc
            except requests.RequestException as exc:
                raise PeerRefused(f"peer {self._peer.name}: {what} failed: {exc}") from exc
            except CirxError:
                raise
            except Exception as exc:  # taxii2client's own errors: bad media type, bad JSON, bad status
                raise PeerRefused(f"peer {self._peer.name}: {what}: {type(exc).__name__}: {exc}") from exc
            if attempt + 1 < tries:
                time.sleep(self._options.backoff * (2 ** attempt))
        raise PeerUnavailable(f"peer {self._peer.name}: {what} failed after {tries} tries: "
                              f"{type(failure).__name__}: {failure}")

    def _save(self, **values: Any) -> None:
        """Persist cursor values now, and mirror them on the in-memory row.

        ``push_cursor`` only moves forward, should two syncs of one peer overlap.
        """
        query = update(Peer).where(Peer.id == self._peer.id)
        if "push_cursor" in values:
            query = query.where(Peer.push_cursor < values["push_cursor"])
        with self._engine.begin() as connection:
            connection.execute(query.values(**values))
        for key, value in values.items():
            setattr(self._peer, key, value)


def _by_size(docs: list[str], ids: list[str], max_bytes: int) -> Iterator[tuple[list[str], list[str]]]:
    """Split documents into envelopes of at most ``max_bytes`` (one oversized document goes alone)."""
    chunk: list[str] = []
    chunk_ids: list[str] = []
    size = 0
    for doc, stix_id in zip(docs, ids, strict=True):
        if chunk and size + len(doc) + 1 > max_bytes:
            yield chunk, chunk_ids
            chunk, chunk_ids, size = [], [], 0
        chunk.append(doc)
        chunk_ids.append(stix_id)
        size += len(doc) + 1
    if chunk:
        yield chunk, chunk_ids


def _later(candidate: str, current: str) -> bool:
    """True when TAXII timestamp ``candidate`` is after ``current`` (whatever their precision)."""
    try:
        return datetime.fromisoformat(candidate.replace("Z", "+00:00")) > datetime.fromisoformat(
            current.replace("Z", "+00:00"))
    except ValueError:
        return candidate > current


def _error_text(response: requests.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("description") or body.get("message") or body.get("title") or body)[:200]
    return str(body)[:200]
