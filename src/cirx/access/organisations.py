"""Organisations, users, API tokens and sharing groups.

Tokens are random 256-bit secrets shown once; only their SHA-256 is stored,
with a short prefix so that a user can tell them apart and revoke one.
Users who sign in to the web workspace with a password have a salted scrypt
hash of it (never the password); signing in issues a short-lived session token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from cirx.access.policy import Principal, Role
from cirx.access.tables import ApiToken, Organisation, SharingGroup, SharingGroupMember, User
from cirx.access.tlp import parse_level
from cirx.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from cirx.model.countries import to_iso2
from cirx.model.ids import deterministic_id, now_timestamp, stix_timestamp

TOKEN_PREFIX = "cirx_"
#: How long a web session (a token issued at sign-in) lasts.
SESSION_HOURS = 12
#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 12
#: The one answer to a failed sign-in, whichever of organisation, user or password was wrong.
SIGN_IN_FAILED = "sign-in failed: the organisation, user name or password is wrong"
# scrypt cost: N=2^14, r=8, p=1 (16 MiB, tens of milliseconds): OWASP's minimum for scrypt.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2 ** 14, 8, 1


@dataclass(frozen=True)
class OrganisationRecord:
    """An organisation as the API shows it."""

    id: int
    name: str
    country: str | None
    sector: str | None
    default_tlp: str
    pseudonym: str
    identity_ref: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return dict(self.__dict__)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The stored form of a password: ``scrypt$N$r$p$SALT$HASH`` with a random 16-byte salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (compared in constant time)."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected) // 2, maxmem=128 * int(n) * int(r) * 2)
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


# Checked when the organisation or user does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password("not a password", salt=bytes(16))


@dataclass(frozen=True)
class UserRecord:
    """A user as the sharing page shows it."""

    id: int
    org_id: int
    name: str
    role: str
    has_password: bool


class OrganisationService:
    """Creates and looks up organisations, users, tokens and sharing groups."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- organisations -------------------------------------------------------------

    def create(self, name: str, *, country: str | None = None, sector: str | None = None,
               default_tlp: str = "amber") -> OrganisationRecord:
        """Register an organisation; its STIX identity and pseudonym are derived from its name."""
        iso2 = to_iso2(country) if country else None
        if country and iso2 is None:
            raise InvalidInput(f"organisation {name!r}: country {country!r} is not an ISO 3166 country")
        level = parse_level(default_tlp)
        pseudonym = "Contributor-" + hashlib.sha256(f"pseudonym:{name}:{secrets.token_hex(8)}".encode()).hexdigest()[:8]
        row = {
            "name": name, "country": iso2, "sector": sector, "default_tlp": level,
            "pseudonym": pseudonym, "identity_ref": deterministic_id("identity", "cirx-organisation", name),
            "created_at": now_timestamp(),
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(Organisation).values(**row))
        except IntegrityError as exc:
            raise InvalidInput(f"organisation {name!r} already exists") from exc
        return self.get(name)

    def get(self, name_or_id: str | int) -> OrganisationRecord:
        """One organisation by name or id."""
        column = Organisation.id if isinstance(name_or_id, int) else Organisation.name
        with self._engine.connect() as connection:
            row = connection.execute(select(Organisation.__table__).where(column == name_or_id)).first()
        if row is None:
            raise NotFound(f"no organisation {name_or_id!r}")
        return _record(row)

    def all(self) -> list[OrganisationRecord]:
        """Every organisation, by name."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(Organisation.__table__).order_by(Organisation.name)).all()
        return [_record(r) for r in rows]

    def identity_object(self, org: OrganisationRecord) -> dict[str, Any]:
        """The organisation's STIX identity (its objects' ``created_by_ref``)."""
        created = "2026-11-22T00:00:00.000Z"
        identity: dict[str, Any] = {
            "type": "identity", "spec_version": "2.1", "id": org.identity_ref, "created": created,
            "modified": created, "name": org.name, "identity_class": "organization",
        }
        if org.sector:
            identity["sectors"] = [org.sector]
        return identity

    # -- users and tokens -------------------------------------------------------------

    def create_token(self, org_name: str, *, role: str = "reader", user: str | None = None,
                     expires_days: int | None = 365) -> tuple[str, dict[str, Any]]:
        """Issue a token for a user of ``org_name`` (created if new); returns (token, details).

        The token is returned once and never stored: keep it.
        """
        org = self.get(org_name)
        role_value = _role(role)
        user_name = user or f"{role_value.value}@{org.name}"
        now = datetime.now(UTC)
        expires = stix_timestamp(now + timedelta(days=expires_days)) if expires_days else None
        with self._engine.begin() as connection:
            user_row = connection.execute(
                select(User.id, User.role).where(User.org_id == org.id, User.name == user_name)).first()
            if user_row is None:
                user_id = connection.execute(insert(User).values(
                    org_id=org.id, name=user_name, role=role_value.value, created_at=stix_timestamp(now))
                ).inserted_primary_key[0]  # type: ignore[index]
            else:
                user_id = user_row[0]
                connection.execute(update(User).where(User.id == user_id).values(role=role_value.value))
            token = _insert_token(connection, user_id, now, expires)
        return token, {"organisation": org.name, "user": user_name, "role": role_value.value,
                       "prefix": token[:12], "expires": expires}

    def revoke_token(self, prefix_or_token: str) -> int:
        """Revoke tokens by their prefix (or the whole token); returns how many."""
        with self._engine.begin() as connection:
            result = connection.execute(update(ApiToken).where(_designates(prefix_or_token),
                                                               ApiToken.revoked_at.is_(None))
                                        .values(revoked_at=now_timestamp()))
        if not result.rowcount:
            raise NotFound(f"no active token {prefix_or_token[:12]!r}")
        return int(result.rowcount)

    def token_owners(self, prefix_or_token: str) -> list[tuple[int, int]]:
        """``(user id, organisation id)`` of the active tokens a prefix (or a whole token) designates."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(User.id, User.org_id).join(ApiToken, ApiToken.user_id == User.id)
                .where(_designates(prefix_or_token), ApiToken.revoked_at.is_(None))).all()
        return [(int(user_id), int(org_id)) for user_id, org_id in rows]

    def user_role(self, org_id: int, name: str) -> str | None:
        """The role of an existing user of an organisation, or None."""
        with self._engine.connect() as connection:
            role = connection.execute(select(User.role).where(User.org_id == org_id, User.name == name)).scalar()
        return None if role is None else str(role)

    def user(self, user_id: int) -> UserRecord:
        """One user by id."""
        with self._engine.connect() as connection:
            row = connection.execute(select(User.id, User.org_id, User.name, User.role, User.password_hash)
                                     .where(User.id == user_id)).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return UserRecord(id=row.id, org_id=row.org_id, name=row.name, role=row.role,
                          has_password=row.password_hash is not None)

    def set_password(self, org_name: str, user: str, password: str, *, role: str | None = None) -> UserRecord:
        """Set a user's password (the user is created, as ``role`` or reader, when new); only its hash is kept."""
        org = self.get(org_name)
        if not user.strip():
            raise InvalidInput("user: a user name is needed")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters are needed")
        role_value = _role(role) if role else None
        hashed = hash_password(password)
        now = now_timestamp()
        with self._engine.begin() as connection:
            user_id = connection.execute(
                select(User.id).where(User.org_id == org.id, User.name == user)).scalar()
            if user_id is None:
                user_id = connection.execute(insert(User).values(
                    org_id=org.id, name=user, role=(role_value or Role.READER).value, created_at=now,
                    password_hash=hashed)).inserted_primary_key[0]  # type: ignore[index]
            else:
                values: dict[str, Any] = {"password_hash": hashed}
                if role_value:
                    values["role"] = role_value.value
                connection.execute(update(User).where(User.id == user_id).values(**values))
        return self.user(int(user_id))

    def check_password(self, org_name: str, user: str, password: str) -> UserRecord:
        """The user whose password this is; :class:`Unauthenticated` with one message whatever was wrong."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(User.id, User.password_hash).join(Organisation, Organisation.id == User.org_id)
                .where(Organisation.name == org_name, User.name == user)).first()
        stored = row.password_hash if row is not None and row.password_hash else None
        matches = verify_password(password, stored or _DUMMY_HASH)
        if row is None or stored is None or not matches:
            raise Unauthenticated(SIGN_IN_FAILED)
        return self.user(int(row.id))

    def issue_session(self, user_id: int, *, hours: int = SESSION_HOURS) -> tuple[str, str]:
        """A short-lived token for a signed-in user: returns (token, expiry); only its hash is stored."""
        now = datetime.now(UTC)
        expires = stix_timestamp(now + timedelta(hours=hours))
        with self._engine.begin() as connection:
            token = _insert_token(connection, user_id, now, expires)
        return token, expires

    def set_default_tlp(self, org_id: int, tlp: str) -> OrganisationRecord:
        """Change the marking an organisation's imports get when none is given."""
        level = parse_level(tlp)
        with self._engine.begin() as connection:
            result = connection.execute(update(Organisation).where(Organisation.id == org_id)
                                        .values(default_tlp=level))
        if not result.rowcount:
            raise NotFound(f"no organisation {org_id}")
        return self.get(org_id)

    def authenticate(self, token: str | None) -> Principal:
        """The principal a bearer token stands for; :class:`Unauthenticated` when it is bad."""
        if not token:
            raise Unauthenticated("no token given: send 'Authorization: Bearer TOKEN'")
        with self._engine.connect() as connection:
            row = connection.execute(
                select(ApiToken.expires_at, ApiToken.revoked_at, User.id, User.org_id, User.role)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == hash_token(token))).first()
            if row is None:
                raise Unauthenticated("unknown token")
            expires_at, revoked_at, user_id, org_id, role = row
            if revoked_at is not None:
                raise Unauthenticated("this token was revoked")
            if expires_at is not None and expires_at < now_timestamp():
                raise Unauthenticated("this token has expired")
            groups = connection.execute(
                select(SharingGroupMember.group_id).where(SharingGroupMember.org_id == org_id)).scalars().all()
        return Principal(org_id=org_id, user_id=user_id, role=Role(role), groups=frozenset(groups),
                         authenticated=True)

    # -- sharing groups ----------------------------------------------------------------

    def create_group(self, name: str, *, description: str | None = None, members: Sequence[str] = ()) -> int:
        """Create a sharing group with member organisations; returns its id."""
        try:
            with self._engine.begin() as connection:
                group_id = int(connection.execute(insert(SharingGroup).values(
                    name=name, description=description, created_at=now_timestamp())).inserted_primary_key[0])  # type: ignore[index]
        except IntegrityError as exc:
            raise InvalidInput(f"sharing group {name!r} already exists") from exc
        for member in members:
            self.add_member(name, member)
        return group_id

    def group_id(self, name: str) -> int:
        """A sharing group's id by name."""
        with self._engine.connect() as connection:
            found = connection.execute(select(SharingGroup.id).where(SharingGroup.name == name)).scalar()
        if found is None:
            raise NotFound(f"no sharing group {name!r}")
        return int(found)

    def add_member(self, group: str, org_name: str) -> None:
        """Add an organisation to a sharing group."""
        group_id, org = self.group_id(group), self.get(org_name)
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(SharingGroupMember).values(group_id=group_id, org_id=org.id))
        except IntegrityError as exc:
            raise InvalidInput(f"{org_name!r} is already a member of {group!r}") from exc

    def groups(self, principal: Principal | None = None) -> list[dict[str, Any]]:
        """Sharing groups with their members (a principal sees only groups it belongs to)."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(SharingGroup.id, SharingGroup.name, SharingGroup.description, Organisation.name)
                .join(SharingGroupMember, SharingGroupMember.group_id == SharingGroup.id, isouter=True)
                .join(Organisation, Organisation.id == SharingGroupMember.org_id, isouter=True)
                .order_by(SharingGroup.name, Organisation.name)).all()
        groups: dict[int, dict[str, Any]] = {}
        for group_id, name, description, member in rows:
            entry = groups.setdefault(group_id, {"id": group_id, "name": name, "description": description,
                                                 "members": []})
            if member:
                entry["members"].append(member)
        visible = list(groups.values())
        if principal is not None and not principal.is_platform_admin:
            visible = [g for g in visible if g["id"] in principal.groups]
        return visible


def _designates(prefix_or_token: str) -> ColumnElement[bool]:
    """Tokens by prefix, or the one token itself when the whole token is given."""
    if len(prefix_or_token) > 20:
        return ApiToken.token_hash == hash_token(prefix_or_token)
    return ApiToken.prefix == prefix_or_token


def require(principal: Principal, role: Role, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``principal`` holds ``role``."""
    if not principal.authenticated:
        raise Unauthenticated(f"{action} needs a token")
    if not principal.may(role):
        raise PermissionDenied(f"{action} needs the {role.value} role")


def _insert_token(connection: Any, user_id: int, now: datetime, expires: str | None) -> str:
    """Store a new random token of ``user_id`` (its hash and prefix only) and return the token itself."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(insert(ApiToken).values(
        user_id=user_id, token_hash=hash_token(token), prefix=token[:12],
        created_at=stix_timestamp(now), expires_at=expires, revoked_at=None))
    return token


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}") from exc


def _record(row: Any) -> OrganisationRecord:
    return OrganisationRecord(id=row.id, name=row.name, country=row.country, sector=row.sector,
                              default_tlp=row.default_tlp, pseudonym=row.pseudonym, identity_ref=row.identity_ref)
