"""Test nodes: real cirx platforms served by uvicorn on 127.0.0.1, each in a background thread.

A :class:`Node` owns one SQLite file and one port.  :meth:`Node.stop` shuts its
server down (the peer is then "down"); :meth:`Node.start` serves the same
database on the same port again, with a fresh :class:`Platform` as a restarted
process would have.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, select
from taxii2client.v21 import Server

from cirx import Platform, Settings
from cirx.api.app import create_app
from cirx.federation.peers import PeerService
from cirx.federation.sync import BearerAuth, SyncOptions
from cirx.ingest.report import ImportReport
from cirx.store.schema import StixObject

FAST = SyncOptions(tries=3, backoff=0.01, request_timeout=5.0, status_timeout=10.0, poll_interval=0.05,
                   page_size=4, push_chunk=5)
"""Small pages and chunks, so that paging and chunking are exercised; short retry delays."""


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    """One cirx node: a SQLite store, and (while started) a uvicorn server on a fixed port."""

    name: str
    directory: Path
    port: int = field(default_factory=free_port)
    platform: Platform | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The node's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def cirx(self) -> Platform:
        """The node's platform (a new one after each restart, on the same database)."""
        if self.platform is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            settings = Settings(database_url=f"sqlite:///{self.directory / 'cirx.db'}", data_dir=self.directory)
            self.platform = Platform(settings).init()
        return self.platform

    @property
    def peers(self) -> PeerService:
        """The node's peer service, with test-speed retries."""
        return PeerService(self.cirx, FAST)

    def start(self) -> Node:
        """Serve the node (its database as it is) on its port; returns once it accepts connections."""
        app = create_app(self.cirx)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name=f"node-{self.name}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"node {self.name} did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut the server down and close the platform, as a stopped process would."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = self._thread = None
        if self.platform is not None:
            self.platform.close()
            self.platform = None

    def restart(self) -> Node:
        """Start again on the same port and database with a fresh platform."""
        self.stop()
        return self.start()

    # -- helpers for tests ------------------------------------------------------------

    def add(self, org: str, objects: list[dict[str, Any]], **sharing: Any) -> ImportReport:
        """Import ``objects`` as organisation ``org`` (``tlp``, ``share_with``, ``recipients``)."""
        access = self.cirx.imports.access(org, **sharing)
        return self.cirx.writer.import_objects(iter(objects), ImportReport(source=f"test {self.name}"),
                                               access=access)

    def versions(self, stix_id: str) -> list[str]:
        """The ``modified`` of every stored version of an object, oldest first (straight from the DB)."""
        with self.cirx.engine.connect() as connection:
            return list(connection.execute(select(StixObject.modified).where(StixObject.stix_id == stix_id)
                                           .order_by(StixObject.modified)).scalars())

    def tlp_of(self, stix_id: str) -> str | None:
        """The TLP level the node stored for the latest version of an object (None: absent)."""
        with self.cirx.engine.connect() as connection:
            return connection.execute(select(StixObject.tlp).where(
                StixObject.stix_id == stix_id, StixObject.is_latest.is_(True))).scalar()

    def tlp_levels(self) -> set[str]:
        """Every TLP level stored on the node."""
        with self.cirx.engine.connect() as connection:
            return set(connection.execute(select(StixObject.tlp).distinct()).scalars())

    def duplicate_versions(self) -> int:
        """How many ``(id, modified)`` pairs are stored more than once (must stay 0)."""
        with self.cirx.engine.connect() as connection:
            query = (select(StixObject.stix_id).group_by(StixObject.stix_id, StixObject.modified)
                     .having(func.count() > 1))
            return len(connection.execute(query).all())

    def collection_id(self, token: str, which: str = "shared") -> tuple[str, str]:
        """(API root URL, collection id) of the node's collection named ``which``, found through discovery."""
        server = Server(f"{self.url}/taxii2/", auth=BearerAuth(token))
        try:
            for api_root in server.api_roots:
                for collection in api_root.collections:
                    names = {str(collection.title or "").lower(), str(collection.alias or "").lower()}
                    if any(which in name for name in names):
                        return api_root.url, collection.id
        finally:
            server.close()
        raise LookupError(f"node {self.name}: no {which!r} collection")
