"""A workspace: every read service bound to one principal, so the access policy is never skipped."""

from __future__ import annotations

from dataclasses import dataclass

from cirx.access.policy import Principal
from cirx.services.actors import ActorService
from cirx.services.countries import CountryService
from cirx.services.exports import ExportService
from cirx.services.incidents import IncidentService
from cirx.store.reader import StixReader


@dataclass(frozen=True)
class Workspace:
    """What one principal may read: objects, incidents, actors, countries, exports."""

    principal: Principal
    reader: StixReader

    @classmethod
    def over(cls, reader: StixReader) -> Workspace:
        """The workspace of the reader's principal."""
        return cls(principal=reader.principal, reader=reader)

    @property
    def incidents(self) -> IncidentService:
        """Incident listing, search and statistics."""
        return IncidentService(self.reader)

    @property
    def actors(self) -> ActorService:
        """Actor profiles."""
        return ActorService(self.reader)

    @property
    def countries(self) -> CountryService:
        """Country profiles."""
        return CountryService(self.reader)

    @property
    def exports(self) -> ExportService:
        """STIX, CSV and Parquet exports."""
        return ExportService(self.reader)
