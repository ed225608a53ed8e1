"""Tables of the sharing layer: organisations, users, tokens, sharing groups, audiences, audit."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cirx.store.schema import Base


class Organisation(Base):
    """A member organisation: a CERT, a ministry, an international organisation, a company."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    country: Mapped[str | None] = mapped_column(String(2))
    sector: Mapped[str | None] = mapped_column(String(64))
    default_tlp: Mapped[str] = mapped_column(String(16), default="amber")
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    identity_ref: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[str] = mapped_column(String(32))


class User(Base):
    """A person or system account of an organisation, with one role."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_org_name", "org_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))
    # ``scrypt$N$r$p$SALT$HASH`` (hex) for users who sign in with a password; None: tokens only.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)


class ApiToken(Base):
    """An API token: only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str | None] = mapped_column(String(32))
    revoked_at: Mapped[str | None] = mapped_column(String(32))


class SharingGroup(Base):
    """A named set of organisations objects can be shared with (e.g. the EU CSIRTs Network)."""

    __tablename__ = "sharing_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class SharingGroupMember(Base):
    """Membership of an organisation in a sharing group."""

    __tablename__ = "sharing_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("sharing_groups.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)


class ObjectAudience(Base):
    """Who an object version is shared with: a sharing group, or a named recipient organisation."""

    __tablename__ = "object_audiences"
    __table_args__ = (
        Index("ix_object_audiences_version", "stix_id", "modified", "kind", "ref"),
        Index("ix_object_audiences_grant", "kind", "ref"),
    )

    pk: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(255))
    modified: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # "group" or "org"
    ref: Mapped[int] = mapped_column(Integer)


class AuditEvent(Base):
    """Who read, exported, imported, pushed or pulled what, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_org_at", "org_id", "at"), Index("ix_audit_events_object", "stix_id"),
                      Index("ix_audit_events_owner", "owner_org", "id"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    stix_id: Mapped[str | None] = mapped_column(String(255))
    owner_org: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
