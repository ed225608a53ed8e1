"""``Platform(settings)``: builds the store and the services in one place.

Nothing connects at construction; the engine is created on first use and the
schema is migrated by :meth:`Platform.init` (every CLI command calls it).
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy import Engine

from cirx.config import Settings
from cirx.services.actors import ActorService
from cirx.services.countries import CountryService
from cirx.services.exports import ExportService
from cirx.services.imports import ImportService
from cirx.services.incidents import IncidentService
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
        if "engine" in self.__dict__:
            self.engine.dispose()

    @cached_property
    def writer(self) -> StixWriter:
        """Writes STIX objects (all-or-nothing per import)."""
        return StixWriter(
            self.init().engine,
            batch_size=self.settings.batch_size,
            max_object_bytes=self.settings.max_object_bytes,
            validate_patterns=self.settings.validate_patterns,
        )

    @cached_property
    def reader(self) -> StixReader:
        """Reads objects, relationships, incidents and statistics."""
        return StixReader(self.init().engine)

    @cached_property
    def imports(self) -> ImportService:
        """Importers: STIX bundles, the knowledge base, IR datasets, CSV/XLSX."""
        return ImportService(self.writer, self.settings)

    @cached_property
    def incidents(self) -> IncidentService:
        """Incident listing, search and statistics."""
        return IncidentService(self.reader)

    @cached_property
    def actors(self) -> ActorService:
        """Threat actors with aliases resolved across naming schemes."""
        return ActorService(self.reader)

    @cached_property
    def countries(self) -> CountryService:
        """Countries: names, Budapest Convention status, incidents as initiator and receiver."""
        return CountryService(self.reader)

    @cached_property
    def exports(self) -> ExportService:
        """Exports as a STIX bundle, CSV or Parquet."""
        return ExportService(self.reader)

    def __enter__(self) -> Platform:
        return self.init()

    def __exit__(self, *_exc: object) -> None:
        self.close()
