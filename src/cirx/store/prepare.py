"""One checked STIX object version turned into the rows the writer inserts.

Built where the object was checked (a producer thread or process), so that the
thread holding the transaction only decides versions and writes.  Rows are
tuples in the column order of :data:`OBJECT_COLUMNS` and of the side-table
column constants of :mod:`cirx.store.derive` (plain tuples: cheap to build, to
pickle across processes and to hand to the driver's ``executemany``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from cirx.access.tlp import level_of
from cirx.model.stix import normalise_timestamp
from cirx.store import derive
from cirx.store.derive import Row

# The columns of a ``stix_objects`` row as prepared; the writer appends ``is_latest``,
# ``added_seq`` and ``added_at`` (:data:`WRITTEN_COLUMNS`) once it knows them.
OBJECT_COLUMNS = (
    "stix_id", "type", "spec_version", "created", "modified", "revoked", "name", "aliases", "markings",
    "created_by_ref", "doc", "tlp", "owner_org", "anonymous",
)
WRITTEN_COLUMNS = (*OBJECT_COLUMNS, "is_latest", "added_seq", "added_at")

RELATIONSHIPS = "relationships"
ALIASES = "aliases"
EXTERNAL_IDS = "external_ids"
SEARCH_DOCUMENTS = "search_documents"
INCIDENTS = "incidents"
INCIDENT_FACETS = "incident_facets"
INCIDENT_DYADS = "incident_dyads"
SIDE_COLUMNS: dict[str, tuple[str, ...]] = {
    RELATIONSHIPS: derive.RELATIONSHIP_COLUMNS,
    ALIASES: derive.ALIAS_COLUMNS,
    EXTERNAL_IDS: derive.EXTERNAL_ID_COLUMNS,
    SEARCH_DOCUMENTS: derive.SEARCH_COLUMNS,
    INCIDENTS: derive.INCIDENT_COLUMNS,
    INCIDENT_FACETS: derive.FACET_COLUMNS,
    INCIDENT_DYADS: derive.DYAD_COLUMNS,
}

Side = tuple[tuple[str, list[Row]], ...]


class Prepared(NamedTuple):
    """One checked object version: its id, version, ``stix_objects`` row head and side rows per table."""

    stix_id: str
    modified: str
    head: Row
    side: Side


# Marking lists repeat from object to object (one TLP marking, a copyright statement): their
# TLP level and JSON text are worked out once per distinct list.
_MARKINGS: dict[tuple[Any, ...], tuple[str | None, str]] = {}


def _markings(markings: Any) -> tuple[str | None, str | None]:
    """(TLP level, JSON text) of an ``object_marking_refs`` value."""
    if not markings:
        return None, None
    key = tuple(markings)
    known = _MARKINGS.get(key)
    if known is None:
        if len(_MARKINGS) > 4096:
            _MARKINGS.clear()
        known = _MARKINGS[key] = (level_of(markings), orjson.dumps(markings).decode())
    return known


def prepare(obj: dict[str, Any], doc: str, owner_org: int | None, anonymous: bool, default_tlp: str) -> Prepared:
    """The ``stix_objects`` row head (:data:`OBJECT_COLUMNS`) and side rows of a checked object."""
    stix_type = obj["type"]
    ident = obj["id"]
    names = derive.names_of(obj)
    level, markings = _markings(obj.get("object_marking_refs"))
    tlp = "clear" if stix_type == "marking-definition" else (level or default_tlp)
    created = obj.get("created")
    modified = normalise_timestamp(obj.get("modified") or created)
    name = obj.get("name")
    head = (
        ident, stix_type, obj.get("spec_version", "2.1"), normalise_timestamp(created), modified,
        bool(obj.get("revoked", False)), name if isinstance(name, str) else None,
        orjson.dumps(names[1:]).decode() if len(names) > 1 else None, markings,
        obj.get("created_by_ref"), doc, tlp, owner_org, anonymous,
    )
    return Prepared(ident, modified, head, side_rows(obj, names))


def side_rows(obj: dict[str, Any], names: list[str]) -> Side:
    """The rows an object owns in each side table while it is the latest version."""
    stix_type = obj["type"]
    if stix_type == "relationship" or stix_type == "sighting":
        return ((RELATIONSHIPS, derive.relationship_rows(obj)),)
    side: list[tuple[str, list[Row]]] = []
    if stix_type in derive.ALIAS_TYPES:
        aliases = derive.alias_rows(obj, names)
        if aliases:
            side.append((ALIASES, aliases))
    if obj.get("external_references"):
        external = derive.external_id_rows(obj)
        if external:
            side.append((EXTERNAL_IDS, external))
    if stix_type not in derive.UNSEARCHED_TYPES:
        search = derive.search_row(obj, names)
        if search:
            side.append((SEARCH_DOCUMENTS, [search]))
    if stix_type == "incident":
        incident, facets, dyads = derive.incident_rows(obj)
        if incident:
            side.append((INCIDENTS, [incident]))
        side.append((INCIDENT_FACETS, facets))
        side.append((INCIDENT_DYADS, dyads))
    return tuple(side)
