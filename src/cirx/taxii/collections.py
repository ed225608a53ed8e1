"""TAXII 2.1 collections of cirx: one per sharing scope (TAXII 2.1 section 5.2.1, Collection Resource).

A collection is a *view* of the one store, never a copy: what it holds is the
access policy (:func:`cirx.access.policy.visible_clause`) AND the scope's own
condition.  The scopes a caller is offered:

- ``shared``: everything the caller may see.  Contributors may POST: objects
  are imported as the caller's organisation at its default TLP (objects that
  carry a TLP marking keep it).
- ``community``: TLP:CLEAR and TLP:GREEN objects only (read only).
- ``organisation``: the objects the caller's own organisation contributed (read only).
- ``group-<name>``: one per sharing group the caller belongs to: the object
  versions shared with that group.  Contributors may POST: objects are shared
  with the group at TLP:AMBER unless they carry a TLP marking.

Collection ids are UUIDv5 of the scope (the group or organisation by name), so
they are stable across restarts and the same on every cirx node.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, literal_column

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.access.tables import ObjectAudience
from cirx.errors import NotFound, PermissionDenied
from cirx.platform import Platform
from cirx.store.schema import StixObject
from cirx.store.writer import ImportAccess

NAMESPACE = uuid.UUID("0f6f3f0c-6c1e-5b7a-9d2e-3a1f3e5c2b90")
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


def collection_id(scope_key: str) -> str:
    """The stable id of the collection of a scope (``shared``, ``group:NAME``, ...)."""
    return str(uuid.uuid5(NAMESPACE, scope_key))


SHARED_ID = collection_id("shared")
COMMUNITY_ID = collection_id("community")


@dataclass(frozen=True)
class Scope:
    """One collection as one caller sees it."""

    kind: str  # "shared", "community", "organisation" or "group"
    id: str
    alias: str
    title: str
    description: str
    can_read: bool
    can_write: bool
    ref: int | None = None  # the organisation's or the sharing group's id
    name: str | None = None  # the organisation's or the sharing group's name

    def resource(self) -> dict[str, Any]:
        """The Collection Resource (TAXII 2.1 section 5.2.1)."""
        return {
            "id": self.id, "title": self.title, "description": self.description, "alias": self.alias,
            "can_read": self.can_read, "can_write": self.can_write, "media_types": [STIX_MEDIA_TYPE],
        }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "group"


def _contributor(principal: Principal) -> bool:
    return principal.org_id is not None and principal.may(Role.CONTRIBUTOR)


def _shared(principal: Principal) -> Scope:
    return Scope("shared", SHARED_ID, "shared", "Shared with you",
                 "Every object you may see under TLP 2.0 and your sharing groups. Objects added here are "
                 "contributed by your organisation at its default TLP unless they carry a TLP marking.",
                 True, _contributor(principal))


def _community() -> Scope:
    return Scope("community", COMMUNITY_ID, "community", "Community (TLP:CLEAR and TLP:GREEN)",
                 "Objects every member organisation may see.", True, False)


def scopes(platform: Platform, principal: Principal) -> list[Scope]:
    """The collections offered to ``principal`` (TAXII 2.1 section 5.1), in a stable order."""
    found = [_shared(principal), _community()]
    if principal.org_id is not None:
        org = platform.organisations.get(principal.org_id)
        found.append(Scope("organisation", collection_id(f"organisation:{org.name}"), "organisation",
                           f"Contributed by {org.name}", "The objects your organisation contributed.",
                           True, False, ref=org.id, name=org.name))
    if principal.authenticated:
        for group in platform.organisations.groups(principal):
            found.append(Scope(
                "group", collection_id(f"group:{group['name']}"), f"group-{_slug(group['name'])}",
                f"Sharing group {group['name']}",
                (group["description"] or f"Objects shared with the sharing group {group['name']}.")
                + " Objects added here are shared with the group at TLP:AMBER unless they carry a TLP marking.",
                True, _contributor(principal), ref=int(group["id"]), name=str(group["name"])))
    return found


def find(platform: Platform, principal: Principal, wanted: str) -> Scope:
    """The collection ``wanted`` as ``principal`` sees it; :class:`NotFound` (404) when not offered."""
    if wanted == SHARED_ID:
        return _shared(principal)
    if wanted == COMMUNITY_ID:
        return _community()
    for scope in scopes(platform, principal)[2:]:
        if scope.id == wanted:
            return scope
    raise NotFound(f"no collection {wanted!r} (or you may not see it)")


def condition(scope: Scope, dialect: str) -> ColumnElement[bool] | None:
    """The scope's own SQL condition on ``stix_objects`` (None: no narrowing beyond the policy)."""
    if scope.kind == "community":
        return StixObject.tlp.in_(("clear", "green"))
    if scope.kind == "organisation":
        return StixObject.owner_org == scope.ref
    if scope.kind == "group":
        # On SQLite, the unary + keeps the planner on the (stix_id, modified) index of the audiences:
        # the (kind, ref) index would scan every object shared with the group, for every row.
        kind: Any = literal_column("+object_audiences.kind") if dialect == "sqlite" else ObjectAudience.kind
        ref: Any = literal_column("+object_audiences.ref") if dialect == "sqlite" else ObjectAudience.ref
        return exists().where(ObjectAudience.stix_id == StixObject.stix_id,
                              ObjectAudience.modified == StixObject.modified,
                              kind == "group", ref == scope.ref)
    return None


def write_access(platform: Platform, principal: Principal, scope: Scope) -> ImportAccess:
    """How objects POSTed to ``scope`` are contributed (TAXII 2.1 section 5.5); 403 when not writable."""
    require(principal, Role.CONTRIBUTOR, f"adding objects to the {scope.alias} collection")
    if not scope.can_write or principal.org_id is None:
        raise PermissionDenied(f"the {scope.alias} collection is read only")
    org = platform.organisations.get(principal.org_id)
    if scope.kind == "group":
        return platform.imports.access(org.name, tlp="amber", share_with=[str(scope.name)])
    return platform.imports.access(org.name)
