"""``/sharing``: sign in (API token, or organisation + user + password), the organisation's sharing, sign out.

Signing in issues a session token of the user (12 hours; only its hash is
stored) and keeps it in the HttpOnly, SameSite=Strict session cookie; signing
out revokes it.  Signed in, the page shows the organisation, the user and role,
the default marking (org admins change it), the sharing groups the
organisation belongs to with their members, the federation peers, and the audit
trail of the organisation's objects (org admins; every event for platform
admins), paged.  Without a session only the sign-in form is shown, even where
anonymous reads are off.
"""

from __future__ import annotations

import contextlib
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from cirx.access.audit import event_objects
from cirx.access.organisations import SIGN_IN_FAILED, require
from cirx.access.policy import Principal, Role
from cirx.access.tlp import LEVELS
from cirx.api.deps import PlatformDep
from cirx.errors import CirxError, InvalidInput, NotFound, Unauthenticated
from cirx.federation.peers import PeerService
from cirx.model.countries import country_name
from cirx.platform import Platform
from cirx.web.render import csv_link, page
from cirx.web.session import (
    OptionalPrincipalDep,
    WebPrincipalDep,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

#: Audit events per page.
AUDIT_PAGE = 50
#: The deepest page of the audit trail the page offers (older events: ``cirx audit`` or the REST API).
AUDIT_MAX_PAGE = 200
_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s\\]*$")


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site (one leading ``/``, no host, no backslash), else ``/sharing``."""
    if target and _LOCAL_PATH.match(target) and not any(ord(c) < 32 for c in target):
        return target
    return "/sharing"


@router.get("/sharing")
def sharing_page(request: Request, platform: PlatformDep, principal: OptionalPrincipalDep,
                 next: Annotated[str | None, Query(max_length=2000)] = None,
                 audit_page: Annotated[int, Query(ge=1, le=AUDIT_MAX_PAGE)] = 1) -> Response:
    """The sign-in form, or the signed-in organisation's sharing settings, peers and audit trail."""
    if principal is None or not principal.authenticated:
        return _sign_in_form(request, platform, next)
    context, rows = _dashboard(request, platform, principal, audit_page)
    return page(request, "sharing.html", context, charts={"audit": rows} if rows is not None else None)


@router.post("/sharing/sign-in")
def sign_in(request: Request, platform: PlatformDep,
            method: Annotated[str, Form()] = "password", token: Annotated[str, Form()] = "",
            organisation: Annotated[str, Form()] = "", user: Annotated[str, Form()] = "",
            password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    """Check a token or a password, start a session (cookie) and go on to ``next`` (a local path only)."""
    organisations = platform.organisations
    values = {"organisation": organisation, "user": user}
    if method == "token":
        if not token.strip():
            return _sign_in_form(request, platform, next, errors={"token": "token: paste an API token (cirx_...)"},
                                 status_code=400, values=values)
        try:
            principal = organisations.authenticate(token.strip())
        except Unauthenticated:
            return _sign_in_form(request, platform, next, errors={"token": "token: this token is unknown, revoked or expired"},
                                 status_code=401, values=values)
        user_id, how = principal.user_id, "token"
    else:
        missing = {name: f"{name}: this field is required" for name, value in
                   (("organisation", organisation), ("user", user), ("password", password)) if not value.strip()}
        if missing:
            return _sign_in_form(request, platform, next, errors=missing, status_code=400, values=values)
        try:
            record = organisations.check_password(organisation.strip(), user.strip(), password)
        except Unauthenticated:
            return _sign_in_form(request, platform, next, errors={"password": SIGN_IN_FAILED}, status_code=401, values=values)
        user_id, how = record.id, "password"
    if user_id is None:
        raise InvalidInput("token: this token belongs to no user")
    session, _expires = organisations.issue_session(user_id)
    signed_in = organisations.authenticate(session)
    platform.audit.record(signed_in, "login", detail=f"web sign-in by {how}")
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, session)
    return response


@router.post("/sharing/sign-out")
def sign_out(request: Request, platform: PlatformDep) -> Response:
    """Revoke the session token and clear the cookie."""
    token = session_token(request)
    if token:
        with contextlib.suppress(NotFound):  # already revoked or expired: the cookie goes all the same
            platform.organisations.revoke_token(token)
    response = RedirectResponse("/sharing", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.post("/sharing/default-marking")
def change_default_marking(request: Request, platform: PlatformDep, principal: WebPrincipalDep,
                           tlp: Annotated[str, Form()] = "") -> Response:
    """An org admin sets the TLP its organisation's imports get when they carry none."""
    require(principal, Role.ORG_ADMIN, "changing the default marking")
    if principal.org_id is None:
        raise InvalidInput("tlp: this account belongs to no organisation")
    try:
        platform.organisations.set_default_tlp(principal.org_id, tlp)
    except InvalidInput as exc:
        context, rows = _dashboard(request, platform, principal, 1)
        context["errors"] = {"tlp": str(exc)}
        return page(request, "sharing.html", context, charts={"audit": rows} if rows is not None else None,
                    status_code=400)
    return RedirectResponse("/sharing?saved=marking", status_code=303)


def _sign_in_form(request: Request, platform: Platform, next_path: str | None, *, errors: dict[str, str] | None = None,
                  status_code: int = 200, values: dict[str, str] | None = None) -> Response:
    context = {"signed_in": False, "next": safe_next(next_path) if next_path else "", "errors": errors or {},
               "values": values or {}, "anonymous_read": platform.settings.anonymous_read}
    return page(request, "sharing.html", context, status_code=status_code)


def _dashboard(request: Request, platform: Platform, principal: Principal,
               audit_page: int) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """What a signed-in caller sees, and the audit rows (None when the caller may not read the trail)."""
    organisations = platform.organisations
    org = organisations.get(principal.org_id) if principal.org_id is not None else None
    user = organisations.user(principal.user_id) if principal.user_id is not None else None
    names = {o.id: o.name for o in organisations.all()}
    peers = [p.as_dict() for p in PeerService(platform).list()]
    if not principal.is_platform_admin:
        mine = {g["name"] for g in organisations.groups(principal)}
        peers = [{"name": p["name"], "direction": p["direction"], "max_tlp": p["max_tlp"],
                  "groups": [g for g in p["groups"] if g in mine], "last_sync_at": p["last_sync_at"]}
                 for p in peers]
    audit_rows: list[dict[str, Any]] | None = None
    more = False
    if principal.may(Role.ORG_ADMIN):
        offset = (audit_page - 1) * AUDIT_PAGE
        try:
            events = platform.audit.events(principal, limit=offset + AUDIT_PAGE + 1)
        except CirxError:
            events = []
        more = len(events) > offset + AUDIT_PAGE
        audit_rows = [{"at": e["at"], "action": e["action"], "organisation": names.get(e["org_id"], ""),
                       "user_id": e["user_id"], "owner": names.get(e["owner_org"], ""), **event_objects(e)}
                      for e in events[offset:offset + AUDIT_PAGE]]
    context: dict[str, Any] = {
        "signed_in": True, "org": org, "user": user, "role": principal.role.value,
        "country": country_name(org.country) if org and org.country else None,
        "is_org_admin": principal.may(Role.ORG_ADMIN), "is_platform_admin": principal.is_platform_admin,
        "levels": LEVELS, "groups": organisations.groups(principal), "peers": peers,
        "audit": audit_rows, "audit_page": audit_page, "audit_more": more, "audit_size": AUDIT_PAGE,
        "audit_csv": csv_link(request, "audit"), "errors": {},
        "saved": request.query_params.get("saved"),
    }
    return context, audit_rows
