"""Countries: ISO identity, Budapest Convention status, incidents as initiator and receiver."""

from __future__ import annotations

from typing import Any

from cirx.errors import NotFound
from cirx.model.countries import country_name, to_iso2
from cirx.services.actors import extension_values
from cirx.store.reader import IncidentFilter, StixReader


class CountryService:
    """Country profiles over the store."""

    def __init__(self, reader: StixReader) -> None:
        self._reader = reader

    def show(self, reference: str) -> dict[str, Any]:
        """A country by ISO code or name: its record and incident counts both ways."""
        iso2 = to_iso2(reference)
        if iso2 is None:
            raise NotFound(f"no country {reference!r} (give an ISO 3166-1 code such as UA)")
        location = self._location(iso2)
        profile = extension_values(location) if location else {}
        as_initiator = IncidentFilter(initiator=iso2)
        as_receiver = IncidentFilter(receiver=iso2)
        return {
            "iso2": iso2,
            "name": (location or {}).get("name") or country_name(iso2),
            "id": (location or {}).get("id"),
            "region": (location or {}).get("region"),
            "budapest_convention": profile.get("budapest_convention"),
            "profile": profile,
            "incidents_as_initiator": self._reader.count_incidents(as_initiator),
            "incidents_as_receiver": self._reader.count_incidents(as_receiver),
            "top_receivers": [d for d in self._reader.dyads(as_initiator) if d["receiver"]][:10],
            "top_initiators": [d for d in self._reader.dyads(as_receiver) if d["initiator"]][:10],
            "types_as_receiver": self._reader.facet_counts("type", as_receiver)[:10],
        }

    def _location(self, iso2: str) -> dict[str, Any] | None:
        for stix_id in self._reader.resolve(iso2, ["location"]) + self._reader.resolve(
                country_name(iso2), ["location"]):
            location = self._reader.get(stix_id)
            if str(location.get("country", "")).upper() == iso2:
                return location
        return None
