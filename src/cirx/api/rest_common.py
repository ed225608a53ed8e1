"""What the REST routers share: HTTP-only errors, paging and incident-filter parameters, auditing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Query

from cirx.access.policy import Principal
from cirx.model.countries import to_iso2
from cirx.platform import Platform
from cirx.store.reader import IncidentFilter

Limit = Annotated[int, Query(ge=1, le=1000, description="How many to return (1 to 1000).")]
Offset = Annotated[int, Query(ge=0, description="How many to skip.")]
Types = Annotated[list[str] | None, Query(alias="type", description="Only these STIX types (repeatable).")]


def incident_filter(
    initiator: Annotated[str | None, Query(description="Initiator state (ISO code or name).")] = None,
    receiver: Annotated[str | None, Query(description="Receiver state (ISO code or name).")] = None,
    type_: Annotated[str | None, Query(alias="type", description="Incident type (e.g. espionage).")] = None,
    sector: Annotated[str | None, Query(description="Receiver sector (e.g. energy).")] = None,
    actor: Annotated[str | None, Query(description="Actor name as recorded on the incident.")] = None,
    since: Annotated[str | None, Query(description="Started on or after (YYYY[-MM-DD]).")] = None,
    until: Annotated[str | None, Query(description="Started on or before (YYYY[-MM-DD]).")] = None,
    q: Annotated[str | None, Query(description="Full-text search in names and descriptions.")] = None,
) -> IncidentFilter:
    """The incident filter from query parameters, read as ``cirx incidents list`` reads its options."""

    def country(value: str | None) -> str | None:
        return (to_iso2(value) or value.upper()) if value else None

    if until and len(until) == 4:
        until = f"{until}-12-31"
    return IncidentFilter(initiator=country(initiator), receiver=country(receiver), type=type_,
                          sector=sector, actor=actor, since=since, until=until, text=q or None)


IncidentFilterDep = Annotated[IncidentFilter, Depends(incident_filter)]


def audit(platform: Platform, principal: Principal, action: str, stix_ids: Iterable[str] = (),
          detail: str | None = None) -> None:
    """Record an audit event (``read``, ``search``, ``export``, ``import``, ``token``) for the caller."""
    platform.audit.record(principal, action, stix_ids, detail)
