"""Reading the store: objects and versions, relationships, names, incidents, statistics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, Select, and_, exists, func, or_, select, true
from sqlalchemy.exc import DBAPIError

from cirx.access.policy import LOCAL_ADMIN, Principal, visible_clause
from cirx.errors import InvalidInput, NotFound, StoreError
from cirx.model.actor import alias_key
from cirx.model.ids import is_identifier
from cirx.model.stix import normalise_timestamp
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
from cirx.store.search import matching_ids


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents to list or count; every field is optional and they combine with AND."""

    initiator: str | None = None
    receiver: str | None = None
    type: str | None = None
    sector: str | None = None
    actor: str | None = None
    initiator_category: str | None = None
    since: str | None = None
    until: str | None = None
    text: str | None = None


#: The orders an incident list can take.
INCIDENT_ORDERS = ("newest", "oldest", "name", "-name")


class StixReader:
    """Queries over the latest versions of stored objects (and older ones on request).

    A reader belongs to one principal: every query below is narrowed by the
    access policy (:mod:`cirx.access.policy`), so lists, searches, traversals
    and counts never include, reveal or count an object the principal may not see.
    """

    def __init__(self, engine: Engine, principal: Principal = LOCAL_ADMIN, *,
                 anonymous_read: bool = False) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name
        self.principal = principal
        self._seen = visible_clause(principal, anonymous_read=anonymous_read)
        self._sees_all = principal.is_platform_admin

    @property
    def engine(self) -> Engine:
        """The engine this reader queries."""
        return self._engine

    def visible_latest_ids(self) -> Select[Any]:
        """A SELECT of the ids of objects whose latest version the principal may see."""
        return select(StixObject.stix_id).where(StixObject.is_latest.is_(True), self._seen)

    def _visible(self, column: Any) -> ColumnElement[bool]:
        """``column`` (a STIX id) names an object the principal may see.

        A correlated EXISTS, so that each row costs one lookup on the id index
        rather than a list of every visible object.
        """
        if self._sees_all:
            return true()
        return exists().where(StixObject.stix_id == column, StixObject.is_latest.is_(True), self._seen)

    # -- objects ---------------------------------------------------------------

    def get(self, stix_id: str, version: str | None = None) -> dict[str, Any]:
        """One object: its latest version, or the version whose ``modified`` is ``version``."""
        query = select(StixObject.doc).where(StixObject.stix_id == stix_id, self._seen)
        if version is None:
            query = query.where(StixObject.is_latest.is_(True))
        else:
            query = query.where(StixObject.modified == normalise_timestamp(version))
        doc = self._scalar(query)
        if doc is None:
            raise NotFound(f"no object {stix_id}" + (f" at version {version}" if version else ""))
        return dict(orjson.loads(doc))

    def get_many(self, stix_ids: list[str]) -> list[dict[str, Any]]:
        """The latest versions of ``stix_ids`` in the order given; ids the principal may not see are left out."""
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(stix_ids))
        for start in range(0, len(unique), 500):
            query = select(StixObject.doc).where(
                StixObject.stix_id.in_(unique[start:start + 500]), StixObject.is_latest.is_(True), self._seen)
            for doc in self._scalars(query):
                obj = orjson.loads(doc)
                found[obj["id"]] = obj
        return [found[i] for i in unique if i in found]

    def versions(self, stix_id: str) -> list[dict[str, Any]]:
        """Every stored version of an object, oldest first."""
        query = (select(StixObject.doc).where(StixObject.stix_id == stix_id, self._seen)
                 .order_by(StixObject.modified))
        return [orjson.loads(doc) for doc in self._scalars(query)]

    def iter_latest(self, types: list[str] | None = None, *, include_revoked: bool = True,
                    batch: int = 5000) -> Iterator[dict[str, Any]]:
        """Stream the latest version of every object (of ``types``), in insertion order."""
        last = 0
        while True:
            query = (
                select(StixObject.pk, StixObject.doc)
                .where(StixObject.is_latest.is_(True), StixObject.pk > last, self._seen)
                .order_by(StixObject.pk).limit(batch)
            )
            if types:
                query = query.where(StixObject.type.in_(types))
            if not include_revoked:
                query = query.where(StixObject.revoked.is_(False))
            rows = self._rows(query)
            if not rows:
                return
            for _pk, doc in rows:
                yield orjson.loads(doc)
            last = rows[-1][0]

    def count_by_type(self) -> dict[str, int]:
        """How many objects of each type (latest versions)."""
        query = (
            select(StixObject.type, func.count())
            .where(StixObject.is_latest.is_(True), self._seen).group_by(StixObject.type)
        )
        return {stix_type: count for stix_type, count in self._rows(query)}

    def knowledge_counts(self) -> dict[str, int]:
        """What the knowledge base holds: actors, ATT&CK groups (and those with technique links), countries."""
        groups = (
            select(ExternalId.stix_id, ExternalId.external_id)
            .join(StixObject, StixObject.stix_id == ExternalId.stix_id)
            .where(ExternalId.source_name == "mitre-attack", ExternalId.external_id.like("G%"),
                   StixObject.type == "intrusion-set", StixObject.is_latest.is_(True), self._seen)
        ).subquery()
        uses_technique = exists().where(
            Relationship.source_ref == groups.c.stix_id, Relationship.relationship_type == "uses",
            Relationship.revoked.is_(False), Relationship.target_ref.like("attack-pattern--%"),
            self._visible(Relationship.stix_id), self._visible(Relationship.target_ref))
        distinct_groups = func.count(func.distinct(groups.c.external_id))
        linked = select(distinct_groups).where(uses_technique)
        misp_actors = select(func.count(func.distinct(ExternalId.stix_id))).where(
            ExternalId.source_name == "misp-galaxy:threat-actor", self._visible(ExternalId.stix_id))
        counts = self.count_by_type()
        return {
            "actors": counts.get("intrusion-set", 0) + counts.get("threat-actor", 0),
            "misp_threat_actors": int(self._scalar(misp_actors) or 0),
            "attack_groups": int(self._scalar(select(distinct_groups)) or 0),
            "attack_groups_with_techniques": int(self._scalar(linked) or 0),
            "countries": counts.get("location", 0),
        }

    def count_versions(self) -> int:
        """How many object versions are stored in all."""
        return int(self._scalar(select(func.count()).select_from(StixObject).where(self._seen)) or 0)

    def by_type(self, stix_type: str, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Latest versions of one type, by name."""
        query = (
            select(StixObject.doc)
            .where(StixObject.is_latest.is_(True), StixObject.type == stix_type, self._seen)
            .order_by(StixObject.name, StixObject.stix_id).limit(limit).offset(offset)
        )
        return [orjson.loads(doc) for doc in self._scalars(query)]

    # -- relationships -----------------------------------------------------------

    def relationships(self, stix_id: str, *, direction: str = "both",
                      relationship_type: str | None = None) -> list[dict[str, Any]]:
        """Relationship and sighting edges touching an object: ``out``, ``in`` or ``both``."""
        conditions = []
        if direction in ("out", "both"):
            conditions.append(Relationship.source_ref == stix_id)
        if direction in ("in", "both"):
            conditions.append(Relationship.target_ref == stix_id)
        query = select(
            Relationship.stix_id, Relationship.kind, Relationship.relationship_type,
            Relationship.source_ref, Relationship.target_ref,
        ).where(or_(*conditions), Relationship.revoked.is_(False), self._visible(Relationship.stix_id),
                self._visible(Relationship.source_ref), self._visible(Relationship.target_ref))
        if relationship_type:
            query = query.where(Relationship.relationship_type == relationship_type)
        return [
            {"id": r[0], "kind": r[1], "relationship_type": r[2], "source_ref": r[3], "target_ref": r[4]}
            for r in self._rows(query.order_by(Relationship.pk))
        ]

    def names(self, stix_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """``{id: (type, name)}`` for the latest versions of ``stix_ids``."""
        found: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(stix_ids), 500):
            query = select(StixObject.stix_id, StixObject.type, StixObject.name).where(
                StixObject.stix_id.in_(stix_ids[start:start + 500]), StixObject.is_latest.is_(True), self._seen)
            for stix_id, stix_type, name in self._rows(query):
                found[stix_id] = (stix_type, name)
        return found

    # -- names ----------------------------------------------------------------------

    def resolve(self, name: str, types: list[str] | None = None) -> list[str]:
        """Ids of objects a name designates: a STIX id, an external id (G0007), a name or alias."""
        if is_identifier(name):
            return [name] if name in self.names([name]) else []
        by_external = select(ExternalId.stix_id).where(ExternalId.external_id == name.strip(),
                                                       self._visible(ExternalId.stix_id))
        by_alias = select(Alias.stix_id).where(Alias.alias_key == alias_key(name), self._visible(Alias.stix_id))
        if types:
            by_alias = by_alias.where(Alias.type.in_(types))
        ids = list(dict.fromkeys([*self._scalars(by_external), *self._scalars(by_alias)]))
        if types and ids:
            typed = select(StixObject.stix_id).where(
                StixObject.stix_id.in_(ids), StixObject.type.in_(types), StixObject.is_latest.is_(True))
            keep = set(self._scalars(typed))
            ids = [i for i in ids if i in keep]
        return ids

    def aliases_of(self, stix_ids: list[str]) -> list[str]:
        """Every name and alias of the given objects."""
        query = select(Alias.alias).where(Alias.stix_id.in_(stix_ids), self._visible(Alias.stix_id))
        return list(dict.fromkeys(self._scalars(query)))

    def by_external_id(self, source_name: str, external_id: str) -> list[str]:
        """Ids of objects a source knows by ``external_id``."""
        query = select(ExternalId.stix_id).where(
            ExternalId.source_name == source_name, ExternalId.external_id == external_id,
            self._visible(ExternalId.stix_id))
        return list(self._scalars(query))

    def search(self, query: str, *, types: list[str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over names, aliases and descriptions, best first."""
        matches = matching_ids(self._dialect, query).subquery()
        statement = (
            select(SearchDocument.stix_id, SearchDocument.type, SearchDocument.name, matches.c.rank)
            .join(matches, matches.c.stix_id == SearchDocument.stix_id)
            .where(self._visible(SearchDocument.stix_id))
            .order_by(matches.c.rank, SearchDocument.name).limit(limit)
        )
        if types:
            statement = statement.where(SearchDocument.type.in_(types))
        return [{"id": r[0], "type": r[1], "name": r[2]} for r in self._rows(statement)]

    # -- incidents ----------------------------------------------------------------------

    def incident_ids(self, where: IncidentFilter) -> Select[Any]:
        """A SELECT of the ids of incidents that pass the filter."""
        query = select(Incident.stix_id).where(self._visible(Incident.stix_id))
        for facet, value in (
            ("initiator", where.initiator), ("receiver", where.receiver), ("type", where.type),
            ("sector", where.sector), ("actor", where.actor),
            ("initiator_category", where.initiator_category),
        ):
            if value:
                query = query.where(exists().where(
                    IncidentFacet.stix_id == Incident.stix_id, IncidentFacet.facet == facet,
                    IncidentFacet.value == value))
        if where.since:
            query = query.where(Incident.start_date >= where.since)
        if where.until:
            query = query.where(Incident.start_date <= where.until)
        if where.text:
            matches = matching_ids(self._dialect, where.text).subquery()
            query = query.where(Incident.stix_id.in_(select(matches.c.stix_id)))
        return query

    def incidents(self, where: IncidentFilter, *, limit: int = 50, offset: int = 0,
                  order: str = "newest") -> list[dict[str, Any]]:
        """Incidents passing the filter, in ``order``: one of :data:`INCIDENT_ORDERS` (newest first by default)."""
        if order not in INCIDENT_ORDERS:
            raise InvalidInput(f"unknown order {order!r}; choose one of {', '.join(INCIDENT_ORDERS)}")
        sort = {"newest": (Incident.start_date.desc(),), "oldest": (Incident.start_date.asc(),),
                "name": (Incident.name.asc(),), "-name": (Incident.name.desc(),)}[order]
        # The page of ids first, from the narrow incidents table, then only those documents: joining
        # the documents before the sort made SQLite scan every stored object.
        page = self._scalars(self.incident_ids(where).order_by(*sort, Incident.stix_id).limit(limit).offset(offset))
        if not page:
            return []
        query = (select(StixObject.stix_id, StixObject.doc)
                 .where(StixObject.stix_id.in_(page), StixObject.is_latest.is_(True), self._seen))
        docs = dict(self._rows(query))
        return [orjson.loads(docs[stix_id]) for stix_id in page if stix_id in docs]

    def count_incidents(self, where: IncidentFilter) -> int:
        """How many incidents pass the filter."""
        ids = self.incident_ids(where).subquery()
        return int(self._scalar(select(func.count()).select_from(ids)) or 0)

    def dyads(self, where: IncidentFilter) -> list[dict[str, Any]]:
        """Incident counts per (initiator, receiver) pair, most incidents first."""
        ids = self.incident_ids(where).subquery()
        count = func.count(func.distinct(IncidentDyad.stix_id))
        query = (
            select(IncidentDyad.initiator, IncidentDyad.receiver, count.label("n"))
            .join(ids, ids.c.stix_id == IncidentDyad.stix_id)
            .group_by(IncidentDyad.initiator, IncidentDyad.receiver)
            .order_by(count.desc(), IncidentDyad.initiator, IncidentDyad.receiver)
        )
        return [{"initiator": a, "receiver": b, "incidents": n} for a, b, n in self._rows(query)]

    def timeline(self, where: IncidentFilter) -> list[dict[str, Any]]:
        """Incident counts per start year."""
        ids = self.incident_ids(where).subquery()
        year = func.substr(Incident.start_date, 1, 4)
        query = (
            select(year.label("year"), func.count())
            .join(ids, ids.c.stix_id == Incident.stix_id)
            .where(Incident.start_date.is_not(None))
            .group_by(year).order_by(year)
        )
        return [{"year": int(y), "incidents": n} for y, n in self._rows(query) if y and y.isdigit()]

    def facet_timeline(self, facet: str, where: IncidentFilter) -> list[dict[str, Any]]:
        """Incident counts per start year and value of one facet (e.g. type): ``{year, value, incidents}``."""
        ids = self.incident_ids(where).subquery()
        year = func.substr(Incident.start_date, 1, 4)
        count = func.count(func.distinct(IncidentFacet.stix_id))
        query = (
            select(year.label("year"), IncidentFacet.value, count)
            .join(ids, ids.c.stix_id == Incident.stix_id)
            .join(IncidentFacet, IncidentFacet.stix_id == Incident.stix_id)
            .where(Incident.start_date.is_not(None), IncidentFacet.facet == facet)
            .group_by(year, IncidentFacet.value).order_by(year, IncidentFacet.value)
        )
        return [{"year": int(y), "value": value, "incidents": n} for y, value, n in self._rows(query)
                if y and y.isdigit()]

    def facet_counts(self, facet: str, where: IncidentFilter) -> list[dict[str, Any]]:
        """Incident counts per value of one facet (type, sector, initiator...)."""
        ids = self.incident_ids(where).subquery()
        count = func.count(func.distinct(IncidentFacet.stix_id))
        query = (
            select(IncidentFacet.value, count)
            .join(ids, ids.c.stix_id == IncidentFacet.stix_id)
            .where(IncidentFacet.facet == facet)
            .group_by(IncidentFacet.value).order_by(count.desc(), IncidentFacet.value)
        )
        return [{"value": value, "incidents": n} for value, n in self._rows(query)]

    def incidents_of_actor(self, stix_ids: list[str], names: list[str]) -> list[str]:
        """Incidents linked to an actor by relationship or by one of its names."""
        keys = [n for n in names if n]
        rel = select(Relationship.source_ref).where(
            Relationship.target_ref.in_(stix_ids), Relationship.source_ref.like("incident--%"))
        rel_out = select(Relationship.target_ref).where(
            Relationship.source_ref.in_(stix_ids), Relationship.target_ref.like("incident--%"))
        by_name = select(IncidentFacet.stix_id).where(
            and_(IncidentFacet.facet == "actor", IncidentFacet.value.in_(keys)))
        found = list(dict.fromkeys([*self._scalars(rel), *self._scalars(rel_out), *self._scalars(by_name)]))
        return [i for i in found if i in self.names(found)]

    # -- plumbing ---------------------------------------------------------------------------

    def _rows(self, query: Any) -> list[Any]:
        try:
            with self._engine.connect() as connection:
                return list(connection.execute(query).all())
        except DBAPIError as exc:
            raise StoreError(f"the store could not answer: {exc.orig}") from exc

    def _scalars(self, query: Any) -> list[Any]:
        return [row[0] for row in self._rows(query)]

    def _scalar(self, query: Any) -> Any:
        rows = self._rows(query)
        return rows[0][0] if rows else None
