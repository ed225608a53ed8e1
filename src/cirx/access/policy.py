"""The one access policy: who may see which object version.

Every read path (REST, TAXII, search, exports, statistics and counts,
relationship traversal, web pages) asks this module, in one of two equivalent
forms: :func:`can_see` decides for one object in Python, and
:func:`visible_clause` is the same rule as a SQL condition over
``stix_objects`` so that lists, searches and aggregates never even count what
the caller may not see.  A property-based test checks the two agree.

The rule follows FIRST's TLP 2.0 definitions:

- CLEAR: everyone (callers without a token only where the operator allows it);
- GREEN: every organisation of the platform, and federated peers' communities;
- AMBER and AMBER+STRICT: the contributing organisation and the member
  organisations of the sharing groups the object is shared with (none: the
  contributor alone), plus organisations it is shared with by name;
- RED: the contributing organisation and the named recipients only.

Platform administrators see everything.  Objects contributed by the platform
itself (no owner organisation) above GREEN are for platform administrators only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, exists, false, or_, true

from cirx.access.tables import ObjectAudience
from cirx.access.tlp import LEVELS, RANK
from cirx.store.schema import StixObject


class Role(StrEnum):
    """What a user may do, from least to most."""

    READER = "reader"
    CONTRIBUTOR = "contributor"
    ORG_ADMIN = "org-admin"
    PLATFORM_ADMIN = "platform-admin"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an organisation's user, a federated peer, or nobody (no token)."""

    org_id: int | None = None
    user_id: int | None = None
    role: Role = Role.READER
    groups: frozenset[int] = field(default_factory=frozenset)
    authenticated: bool = False
    peer: bool = False
    # A federated peer's highest allowed TLP: nothing above it reaches the peer,
    # whatever else the policy would let its organisation see.
    tlp_ceiling: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        """True for platform administrators (and the local command line)."""
        return self.authenticated and self.role is Role.PLATFORM_ADMIN

    @property
    def audience(self) -> tuple[object, ...]:
        """What decides what this principal may see: two users of one organisation share it.

        Caches of what a caller sees are keyed on it (never on less), so an organisation's users share
        one entry and no organisation ever gets another's.
        """
        return (self.authenticated, self.is_platform_admin, self.org_id, self.groups, self.peer,
                self.tlp_ceiling)

    def may(self, role: Role) -> bool:
        """True when the principal holds ``role`` or a stronger one."""
        order = list(Role)
        return self.authenticated and order.index(self.role) >= order.index(role)


ANONYMOUS = Principal()
LOCAL_ADMIN = Principal(role=Role.PLATFORM_ADMIN, authenticated=True)


@dataclass(frozen=True)
class Access:
    """What the policy needs to know of an object version."""

    tlp: str
    owner_org: int | None = None
    groups: frozenset[int] = field(default_factory=frozenset)
    orgs: frozenset[int] = field(default_factory=frozenset)


def can_see(principal: Principal, access: Access, *, anonymous_read: bool = False) -> bool:
    """Whether ``principal`` may see an object version with ``access``."""
    if principal.tlp_ceiling is not None and RANK[access.tlp] > RANK[principal.tlp_ceiling]:
        return False
    if principal.is_platform_admin:
        return True
    if access.tlp == "clear":
        return principal.authenticated or anonymous_read
    if not principal.authenticated:
        return False
    if access.tlp == "green":
        return True
    if principal.org_id is not None and access.owner_org == principal.org_id:
        return True
    if access.tlp in ("amber", "amber+strict"):
        return bool(access.groups & principal.groups) or principal.org_id in access.orgs
    if access.tlp == "red":
        return principal.org_id in access.orgs
    return False


def visible_clause(principal: Principal, *, anonymous_read: bool = False) -> ColumnElement[bool]:
    """:func:`can_see` as a SQL condition on ``stix_objects`` (the same rule, row by row)."""
    if principal.tlp_ceiling is not None:
        allowed = [level for level in LEVELS if RANK[level] <= RANK[principal.tlp_ceiling]]
        unceilinged = replace(principal, tlp_ceiling=None)
        return and_(StixObject.tlp.in_(allowed), visible_clause(unceilinged, anonymous_read=anonymous_read))
    if principal.is_platform_admin:
        return true()
    if not principal.authenticated:
        return StixObject.tlp == "clear" if anonymous_read else false()
    conditions: list[ColumnElement[bool]] = [StixObject.tlp.in_(("clear", "green"))]
    if principal.org_id is not None:
        conditions.append(StixObject.owner_org == principal.org_id)
        conditions.append(and_(
            StixObject.tlp.in_(("amber", "amber+strict", "red")),
            exists().where(*_same_version(), ObjectAudience.kind == "org",
                           ObjectAudience.ref == principal.org_id)))
    if principal.groups:
        conditions.append(and_(
            StixObject.tlp.in_(("amber", "amber+strict")),
            exists().where(*_same_version(), ObjectAudience.kind == "group",
                           ObjectAudience.ref.in_(sorted(principal.groups)))))
    return or_(*conditions)


def _same_version() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (ObjectAudience.stix_id == StixObject.stix_id, ObjectAudience.modified == StixObject.modified)
