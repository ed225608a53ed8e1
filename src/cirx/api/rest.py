"""The cirx REST API under ``/api``, mounted by :func:`cirx.api.app.create_app`.

Routes (OpenAPI at ``/openapi.json``, browsable at ``/docs``):

- objects: ``GET /api/objects``, ``/api/objects/{id}`` (``?version=``),
  ``/api/objects/{id}/versions``, ``/api/objects/{id}/relationships``,
  ``GET /api/search?q=``, ``GET /api/export/stix``, ``POST /api/objects``
  (:mod:`cirx.api.rest_objects`);
- incidents: ``GET /api/incidents``, ``/api/incidents/{ref}``,
  ``/api/actors/{name}``, ``/api/countries/{iso}``, ``/api/stats/{kind}``
  (:mod:`cirx.api.rest_incidents`);
- sharing: ``GET|POST /api/organisations``, ``POST /api/tokens``,
  ``DELETE /api/tokens/{prefix}``, ``GET /api/sharing-groups``,
  ``GET /api/audit`` (:mod:`cirx.api.rest_admin`).

Callers authenticate with ``Authorization: Bearer TOKEN`` (401 when missing,
unknown, revoked or expired, unless the operator allows anonymous reads of
TLP:CLEAR).  Every read runs in the caller's workspace, so the TLP 2.0 access
policy (:mod:`cirx.access.policy`) applies to lists, counts, searches,
statistics, traversals and exports alike.  Errors are JSON
``{"error": title, "message": ...}`` with the status of the
:class:`cirx.errors.CirxError` raised.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

from cirx.api import rest_admin, rest_incidents, rest_objects

_UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "No token (and anonymous reads off), or an unknown, revoked or "
                                      "expired token."}}


def router() -> APIRouter:
    """The ``/api`` router with every REST route."""
    api = APIRouter(prefix="/api", responses=_UNAUTHORIZED)
    api.include_router(rest_objects.router)
    api.include_router(rest_incidents.router)
    api.include_router(rest_admin.router)
    return api


def register(app: FastAPI) -> None:
    """Mount the REST API on ``app`` (called by :func:`cirx.api.app.create_app`)."""
    app.include_router(router())
