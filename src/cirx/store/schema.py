"""The tables of the cirx store (SQLAlchemy 2.0, one schema for SQLite and PostgreSQL).

A STIX object is a JSON document with the columns cirx filters on.  Every
version is kept (one row per ``(stix_id, modified)``); ``is_latest`` marks the
version readers see by default.  The side tables below are derived from the
latest version of each object and rebuilt when a newer version arrives:
relationships and sightings (queryable from either end), aliases (actor
resolution), external references (source identifiers), and the incident
facets and dyads behind filtering and statistics.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention Alembic can rely on."""

    metadata = MetaData(naming_convention=NAMING)


class StixObject(Base):
    """One version of one STIX object."""

    __tablename__ = "stix_objects"
    __table_args__ = (
        UniqueConstraint("stix_id", "modified"),
        Index("ix_stix_objects_type_latest", "type", "is_latest"),
        Index("ix_stix_objects_added", "added_seq"),
    )

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    spec_version: Mapped[str] = mapped_column(String(8))
    created: Mapped[str] = mapped_column(String(32))
    modified: Mapped[str] = mapped_column(String(32))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[str | None] = mapped_column(Text)
    markings: Mapped[str | None] = mapped_column(Text)
    created_by_ref: Mapped[str | None] = mapped_column(String(255))
    added_seq: Mapped[int] = mapped_column(BigInteger)
    doc: Mapped[str] = mapped_column(Text)
    # Sharing (migration 0003): TLP 2.0 level, the organisation that contributed the version
    # (None: the platform itself), whether it was contributed anonymously, and when it was added
    # (TAXII date_added).
    tlp: Mapped[str] = mapped_column(String(16), default="clear", server_default="clear")
    owner_org: Mapped[int | None] = mapped_column(Integer)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    added_at: Mapped[str] = mapped_column(String(32), default="", server_default="")


class Relationship(Base):
    """A relationship or sighting (latest version), from source to target."""

    __tablename__ = "relationships"
    __table_args__ = (
        Index("ix_relationships_source", "source_ref", "relationship_type"),
        Index("ix_relationships_target", "target_ref", "relationship_type"),
    )

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    relationship_type: Mapped[str] = mapped_column(String(64))
    source_ref: Mapped[str] = mapped_column(String(255))
    target_ref: Mapped[str] = mapped_column(String(255))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Alias(Base):
    """A name or alias of an object, normalised for matching (``alias_key``)."""

    __tablename__ = "aliases"
    __table_args__ = (Index("ix_aliases_key", "alias_key"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), index=True)
    type: Mapped[str] = mapped_column(String(64))
    alias: Mapped[str] = mapped_column(Text)
    alias_key: Mapped[str] = mapped_column(String(255))


class ExternalId(Base):
    """A source's own identifier for an object (``mitre-attack`` G0007, ``eurepoc`` 12)."""

    __tablename__ = "external_ids"
    __table_args__ = (Index("ix_external_ids_lookup", "source_name", "external_id"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), index=True)
    source_name: Mapped[str] = mapped_column(String(128))
    external_id: Mapped[str] = mapped_column(String(255))


class IncidentFacet(Base):
    """One value of one filterable dimension of an incident (latest version).

    Facets: ``initiator``, ``receiver`` (ISO alpha-2), ``type``, ``sector``,
    ``initiator_category``, ``actor``.  ``start_date`` is repeated for range filters.
    """

    __tablename__ = "incident_facets"
    __table_args__ = (Index("ix_incident_facets_lookup", "facet", "value"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), index=True)
    facet: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(255))


class Incident(Base):
    """The sortable columns of an incident's latest version."""

    __tablename__ = "incidents"

    stix_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[str | None] = mapped_column(String(10), index=True)
    end_date: Mapped[str | None] = mapped_column(String(10))
    intensity: Mapped[float | None] = mapped_column(Float)


class IncidentDyad(Base):
    """One (initiator, receiver) pair of an incident; ``None`` is an unknown party."""

    __tablename__ = "incident_dyads"
    __table_args__ = (Index("ix_incident_dyads_pair", "initiator", "receiver"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), index=True)
    initiator: Mapped[str | None] = mapped_column(String(2))
    receiver: Mapped[str | None] = mapped_column(String(2))
    year: Mapped[int | None] = mapped_column(Integer)


class SearchDocument(Base):
    """Text of the latest version of each named object, for full-text search.

    On PostgreSQL a generated ``tsvector`` column with a GIN index is added by
    the migration; on SQLite an FTS5 table mirrors this one through triggers.
    """

    __tablename__ = "search_documents"

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    aliases: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class Meta(Base):
    """Counters and facts about the store itself (e.g. the last ``added_seq``)."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
