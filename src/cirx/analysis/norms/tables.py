"""Tables of the norms feature (migration 0004): responses, analysts' judgements, capacity scores."""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cirx.store.schema import Base


class NormResponse(Base):
    """A State's or an international body's response to an incident, as an analyst recorded it.

    Responses cirx derives from imported datasets (EuRepoC, DCID, attribution
    claims) are computed from the incidents and never stored; this table holds
    the ones people add.  ``response_id`` is stable, so adding twice updates.
    """

    __tablename__ = "norm_responses"
    __table_args__ = (Index("ix_norm_responses_dyad", "actor_country", "target_country"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    response_id: Mapped[str] = mapped_column(String(64), unique=True)
    incident_id: Mapped[str | None] = mapped_column(String(255), index=True)
    type: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    date: Mapped[str | None] = mapped_column(String(10))
    actor: Mapped[str | None] = mapped_column(String(255))
    actor_country: Mapped[str | None] = mapped_column(String(2))
    target_country: Mapped[str | None] = mapped_column(String(2))
    outcome: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(64))
    source_url: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[str] = mapped_column(String(32))


class NormJudgement(Base):
    """An analyst's confirmation or override of one item of an incident's assessment; never updated."""

    __tablename__ = "norm_judgements"
    __table_args__ = (Index("ix_norm_judgements_subject", "incident_id", "subject"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class CountryCapacity(Base):
    """A country's score on a capacity index (ITU GCI, NCSI...) in one edition."""

    __tablename__ = "country_capacity"
    __table_args__ = (UniqueConstraint("iso2", "index_name", "edition"),)

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2))
    index_name: Mapped[str] = mapped_column(String(32))
    edition: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(Text)
