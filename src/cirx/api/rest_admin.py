"""REST routes of the sharing layer: organisations, tokens, sharing groups, the audit trail.

Roles (:class:`cirx.access.policy.Role`): any authenticated user lists
organisations and its own sharing groups; organisation administrators issue
and revoke their organisation's tokens and read the audit trail of its
objects; platform administrators create organisations and act for any.
Tokens are shown once, when issued, and never listed; pseudonyms of
anonymous contributors are shown to platform administrators only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from cirx.access.organisations import require
from cirx.access.policy import Principal, Role
from cirx.access.tlp import LEVELS
from cirx.api.deps import PlatformDep, PrincipalDep
from cirx.api.rest_common import audit
from cirx.errors import NotFound, PermissionDenied

router = APIRouter()


class OrganisationIn(BaseModel):
    """A new organisation."""

    name: str = Field(min_length=1, max_length=255, description="Unique name, e.g. CERT-EU.")
    country: str | None = Field(default=None, description="ISO 3166 country code or name.")
    sector: str | None = Field(default=None, max_length=64, description="Sector, e.g. government.")
    default_tlp: str = Field(default="amber", description=f"Default TLP of its imports: {', '.join(LEVELS)}.")


class TokenIn(BaseModel):
    """A token to issue."""

    organisation: str | None = Field(default=None, description="Organisation name (default: the caller's).")
    role: Role = Field(default=Role.READER, description="The user's role.")
    user: str | None = Field(default=None, description="User name (default: ROLE@ORGANISATION).")
    expires_days: int | None = Field(default=365, ge=1, le=3650, description="Days until it expires; null: never.")


@router.get("/organisations", tags=["sharing"], summary="List organisations (names, countries, sectors)")
def list_organisations(platform: PlatformDep, principal: PrincipalDep) -> dict[str, Any]:
    """Every organisation's name, country and sector; platform administrators also get ids and pseudonyms."""
    require(principal, Role.READER, "listing organisations")
    records = platform.organisations.all()
    if principal.is_platform_admin:
        return {"organisations": [r.as_dict() for r in records]}
    return {"organisations": [{"name": r.name, "country": r.country, "sector": r.sector} for r in records]}


@router.post("/organisations", tags=["sharing"], status_code=201,
             summary="Create an organisation (platform administrators)")
def create_organisation(body: OrganisationIn, platform: PlatformDep, principal: PrincipalDep) -> dict[str, Any]:
    """Register an organisation; its STIX identity and pseudonym are derived by the platform."""
    require(principal, Role.PLATFORM_ADMIN, "creating organisations")
    record = platform.organisations.create(body.name, country=body.country, sector=body.sector,
                                           default_tlp=body.default_tlp)
    return record.as_dict()


@router.post("/tokens", tags=["sharing"], status_code=201,
             summary="Issue an API token (org admins for their organisation; platform admins for any)")
def create_token(body: TokenIn, platform: PlatformDep, principal: PrincipalDep) -> dict[str, Any]:
    """Issue a token and return it, once, with its details (only its hash is stored)."""
    require(principal, Role.ORG_ADMIN, "issuing tokens")
    org = platform.organisations.get(body.organisation if body.organisation else _own_org(principal))
    if not principal.is_platform_admin:
        if org.id != principal.org_id:
            raise PermissionDenied("organisation administrators issue tokens for their own organisation only")
        if body.role is Role.PLATFORM_ADMIN:
            raise PermissionDenied("only platform administrators issue platform-admin tokens")
        if body.user and platform.organisations.user_role(org.id, body.user) == Role.PLATFORM_ADMIN.value:
            raise PermissionDenied(f"user {body.user!r} is a platform administrator")
    token, details = platform.organisations.create_token(org.name, role=body.role.value, user=body.user,
                                                         expires_days=body.expires_days)
    audit(platform, principal, "token",
          detail=f"issued {details['prefix']} ({details['role']}) for {details['user']} of {org.name}")
    return {"token": token, **details}


@router.delete("/tokens/{prefix}", tags=["sharing"],
               summary="Revoke tokens by prefix (your own; org admins: their organisation's; platform admins: any)")
def revoke_token(prefix: Annotated[str, Path(min_length=6, description="The token's prefix (or the token).")],
                 platform: PlatformDep, principal: PrincipalDep) -> dict[str, Any]:
    """Revoke every active token with this prefix that the caller may revoke."""
    require(principal, Role.READER, "revoking tokens")
    owners = platform.organisations.token_owners(prefix)
    allowed = principal.is_platform_admin or all(
        user_id == principal.user_id or (principal.may(Role.ORG_ADMIN) and org_id == principal.org_id)
        for user_id, org_id in owners)
    if not owners or not allowed:
        raise NotFound(f"no active token {prefix[:12]!r} that you may revoke")
    revoked = platform.organisations.revoke_token(prefix)
    audit(platform, principal, "token", detail=f"revoked {prefix[:12]} ({revoked} token(s))")
    return {"revoked": revoked, "prefix": prefix[:12]}


@router.get("/sharing-groups", tags=["sharing"], summary="Sharing groups the caller's organisation belongs to")
def list_sharing_groups(platform: PlatformDep, principal: PrincipalDep) -> dict[str, Any]:
    """Groups with their member organisations (every group for platform administrators)."""
    require(principal, Role.READER, "listing sharing groups")
    return {"sharing_groups": platform.organisations.groups(principal)}


@router.get("/audit", tags=["sharing"],
            summary="Audit events on your organisation's objects (org admins; all for platform admins)")
def list_audit(platform: PlatformDep, principal: PrincipalDep,
               limit: Annotated[int, Query(ge=1, le=10000, description="How many, newest first.")] = 200,
               action: Annotated[str | None, Query(description="Only this action (read, search, export...).")] = None,
               ) -> dict[str, Any]:
    """Who read, searched or exported the caller's organisation's objects, and when."""
    events = platform.audit.events(principal, limit=limit, action=action)
    names = {org.id: org.name for org in platform.organisations.all()}
    return {"events": [
        {"id": e["id"], "at": e["at"], "action": e["action"], "stix_id": e["stix_id"],
         "organisation": names.get(e["org_id"]), "user_id": e["user_id"],
         "owner": names.get(e["owner_org"]), "detail": e["detail"]}
        for e in events
    ]}


def _own_org(principal: Principal) -> int:
    if principal.org_id is None:
        raise PermissionDenied("name the organisation: this token belongs to none")
    return principal.org_id
