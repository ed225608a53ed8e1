"""What every route shares: the platform, the caller (principal) and its workspace."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cirx.access.policy import Principal
from cirx.platform import Platform
from cirx.services.workspace import Workspace


def get_platform(request: Request) -> Platform:
    """The platform the app was built with."""
    platform: Platform = request.app.state.platform
    return platform


def get_principal(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> Principal:
    """The caller, from ``Authorization: Bearer TOKEN`` (401 when missing or bad, unless anonymous reads are on)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    return platform.authenticate(bearer)


def get_workspace(platform: Annotated[Platform, Depends(get_platform)],
                  principal: Annotated[Principal, Depends(get_principal)]) -> Workspace:
    """The caller's workspace: every read narrowed by the access policy."""
    return platform.workspace(principal)


PlatformDep = Annotated[Platform, Depends(get_platform)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
