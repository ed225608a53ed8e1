"""Who is looking at a page: the session cookie, else a bearer token, else the anonymous caller.

Signing in (``/sharing``) issues a short-lived API token for the user and keeps
it in an HttpOnly cookie; like every token, only its hash is stored.  Pages use
:data:`WebPrincipalDep` / :data:`WebWorkspaceDep`, which run every read through
the same access policy as the REST and TAXII APIs.  Without a session a page is
shown to the anonymous caller when the operator allows anonymous reads
(``CIRX_ANONYMOUS_READ``, TLP:CLEAR only); otherwise it redirects to sign-in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from cirx.access.policy import Principal
from cirx.api.deps import PlatformDep
from cirx.errors import Unauthenticated
from cirx.platform import Platform
from cirx.services.workspace import Workspace

SESSION_COOKIE = "cirx_session"
#: How long the browser keeps the session cookie (the session token expires at the same time).
SESSION_SECONDS = 12 * 3600


def web_principal(request: Request, platform: PlatformDep) -> Principal:
    """The caller of a page (also kept on ``request.state`` for the templates)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" else None
    try:
        principal = platform.authenticate(token)
    except Unauthenticated:
        if not token:
            raise
        principal = platform.authenticate(None)  # a stale cookie: carry on as the anonymous caller, if allowed
    request.state.principal = principal
    request.state.signed_in_as = _label(platform, principal)
    return principal


def optional_principal(request: Request, platform: PlatformDep) -> Principal | None:
    """The caller as :func:`web_principal` finds it, or None where that would refuse (the sign-in page)."""
    try:
        return web_principal(request, platform)
    except Unauthenticated:
        request.state.principal = None
        request.state.signed_in_as = None
        return None


def session_token(request: Request) -> str | None:
    """The token the session cookie holds, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Keep ``token`` in the session cookie: HttpOnly, SameSite=Strict, Secure over https, for the whole site."""
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_SECONDS, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def clear_session_cookie(request: Request, response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def _label(platform: Platform, principal: Principal) -> str | None:
    """``user (organisation)`` for the header, or None for the anonymous caller."""
    if not principal.authenticated or principal.org_id is None:
        return None
    organisation = platform.organisations.get(principal.org_id)
    return f"{organisation.name} ({principal.role.value})"


def web_workspace(platform: PlatformDep,
                  principal: Annotated[Principal, Depends(web_principal)]) -> Workspace:
    """The caller's workspace: every read narrowed by the access policy."""
    return platform.workspace(principal)


WebPrincipalDep = Annotated[Principal, Depends(web_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]
WebWorkspaceDep = Annotated[Workspace, Depends(web_workspace)]
