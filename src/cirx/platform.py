"""``Platform(settings)``: builds the store and the services in one place.

Nothing connects at construction; the engine is created on first use and the
schema is migrated by :meth:`Platform.init` (every CLI command calls it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from sqlalchemy import Engine, select

from cirx.access.audit import AuditTrail
from cirx.access.organisations import OrganisationService
from cirx.access.policy import ANONYMOUS, LOCAL_ADMIN, Principal
from cirx.access.tlp import RANK
from cirx.config import Settings
from cirx.errors import Unauthenticated
from cirx.federation.tables import Peer
from cirx.services.actors import ActorService
from cirx.services.countries import CountryService
from cirx.services.exports import ExportService
from cirx.services.imports import ImportService
from cirx.services.incidents import IncidentService
from cirx.services.workspace import Workspace
from cirx.store.engine import make_engine, migrate
from cirx.store.reader import StixReader
from cirx.store.writer import StixWriter


class Platform:
    """One cirx platform: its settings, store and services."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._migrated = False

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the store."""
        return make_engine(self.settings.resolved_database_url)

    def init(self) -> Platform:
        """Create or upgrade the store's schema (idempotent); returns the platform."""
        if not self._migrated:
            migrate(self.engine)
            self._migrated = True
        return self

    def close(self) -> None:
        """Release database connections."""
        for engine in (self.__dict__.get("engine"), getattr(self, "_write_engine", None)):
            if engine is not None:
                engine.dispose()

    @cached_property
    def writer(self) -> StixWriter:
        """Writes STIX objects (all-or-nothing per import)."""
        url = self.settings.resolved_database_url
        engine = make_engine(url, immediate=True) if url.startswith("sqlite") else self.init().engine
        self.init()
        self._write_engine = engine
        return StixWriter(
            engine,
            batch_size=self.settings.batch_size,
            max_object_bytes=self.settings.max_object_bytes,
            validate_patterns=self.settings.validate_patterns,
        )

    @cached_property
    def reader(self) -> StixReader:
        """Reads everything, as the local platform administrator (the command line)."""
        return StixReader(self.init().engine, LOCAL_ADMIN)

    def workspace(self, principal: Principal) -> Workspace:
        """Every read service for ``principal``, narrowed by the access policy."""
        if principal == LOCAL_ADMIN:
            return Workspace.over(self.reader)
        return Workspace.over(
            StixReader(self.init().engine, principal, anonymous_read=self.settings.anonymous_read))

    def authenticate(self, token: str | None) -> Principal:
        """The principal of a bearer token; without one, the anonymous caller (if allowed)."""
        if not token:
            if self.settings.anonymous_read:
                return ANONYMOUS
            raise Unauthenticated("no token given: send 'Authorization: Bearer TOKEN'")
        principal = self.organisations.authenticate(token)
        ceiling = self._peer_ceiling(principal.org_id)
        return replace(principal, peer=True, tlp_ceiling=ceiling) if ceiling else principal

    def _peer_ceiling(self, org_id: int | None) -> str | None:
        """The lowest ``max_tlp`` of the federation peers that stand for organisation ``org_id``."""
        if org_id is None:
            return None
        with self.init().engine.connect() as connection:
            levels = connection.execute(select(Peer.max_tlp).where(Peer.org_id == org_id)).scalars().all()
        return min(levels, key=RANK.__getitem__) if levels else None

    @cached_property
    def organisations(self) -> OrganisationService:
        """Organisations, users, tokens and sharing groups."""
        return OrganisationService(self.init().engine)

    @cached_property
    def audit(self) -> AuditTrail:
        """The audit trail."""
        return AuditTrail(self.init().engine)

    @cached_property
    def imports(self) -> ImportService:
        """Importers: STIX bundles, the knowledge base, IR datasets, CSV/XLSX."""
        return ImportService(self.writer, self.settings, self.organisations)

    @property
    def incidents(self) -> IncidentService:
        """Incident listing, search and statistics (local administrator)."""
        return self.workspace(LOCAL_ADMIN).incidents

    @property
    def actors(self) -> ActorService:
        """Threat actors with aliases resolved across naming schemes (local administrator)."""
        return self.workspace(LOCAL_ADMIN).actors

    @property
    def countries(self) -> CountryService:
        """Countries: Budapest Convention status, incidents both ways (local administrator)."""
        return self.workspace(LOCAL_ADMIN).countries

    @property
    def exports(self) -> ExportService:
        """Exports as a STIX bundle, CSV or Parquet (local administrator)."""
        return self.workspace(LOCAL_ADMIN).exports

    def __enter__(self) -> Platform:
        return self.init()

    def __exit__(self, *_exc: object) -> None:
        self.close()
