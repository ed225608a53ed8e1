"""The FastAPI application: REST API under ``/api``, TAXII 2.1 under ``/taxii2/``.

``create_app(platform)`` builds it; nothing is created at import.  Errors are
rendered in one place: a :class:`CirxError` carries its HTTP status, REST
routes answer ``{"error": title, "message": ...}`` and TAXII routes the TAXII
error body with the TAXII media type.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cirx.errors import CirxError, Unauthenticated
from cirx.platform import Platform
from cirx.web.guard import API_PREFIXES

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"


_API_PREFIXES = (*API_PREFIXES, "/static")


def is_page(request: Request) -> bool:
    """True for the web workspace's pages (errors there are HTML pages, not JSON)."""
    return not request.url.path.startswith(_API_PREFIXES)


def error_response(request: Request, status: int, title: str, message: str) -> Response:
    """An error as an HTML page (web workspace), a TAXII error body or a REST JSON error, by path."""
    if is_page(request):
        from cirx.web.render import error_page

        return error_page(request, status, title, message)
    if request.url.path.startswith("/taxii2"):
        body: dict[str, Any] = {"title": title, "description": message, "http_status": str(status)}
        return JSONResponse(body, status_code=status, media_type=TAXII_MEDIA_TYPE, headers=_challenge(status))
    return JSONResponse({"error": title, "message": message}, status_code=status, headers=_challenge(status))


def _challenge(status: int) -> dict[str, str] | None:
    """RFC 6750: a 401 tells the client which scheme to use."""
    return {"WWW-Authenticate": 'Bearer realm="cirx"'} if status == 401 else None


def create_app(platform: Platform) -> FastAPI:
    """The web application for ``platform``."""
    platform.init()
    app = FastAPI(title="cirx", version="0.1.0",
                  description="International cyber-security cooperation: incidents, sharing, TAXII 2.1.")
    app.state.platform = platform

    @app.exception_handler(CirxError)
    async def cirx_error(request: Request, exc: CirxError) -> Response:
        if isinstance(exc, Unauthenticated) and is_page(request) and request.method == "GET":
            return RedirectResponse(f"/sharing?next={request.url.path}", status_code=303)
        return error_response(request, exc.http_status, exc.title, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail), str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error_response(request, 400, "Invalid request", problems)

    _include_routers(app)
    from cirx.api.timing import ServerTiming
    from cirx.web.guard import PageGuard

    app.add_middleware(PageGuard)
    app.add_middleware(ServerTiming)
    return app


def _include_routers(app: FastAPI) -> None:
    """Mount the REST API (objects, incidents, sharing; norms; attribution), TAXII 2.1 and the web workspace."""
    from cirx import web
    from cirx.api import rest, rest_attribution, rest_norms
    from cirx.taxii import server as taxii_server

    for module in (rest, taxii_server, rest_norms, rest_attribution, web):
        module.register(app)


def app_from_env() -> FastAPI:
    """The application over the platform the environment describes (``cirx serve --workers N`` starts each
    worker process with it)."""
    from cirx.config import Settings
    from cirx.web import warm_up

    app = create_app(Platform(Settings.from_env()))
    warm_up()
    tune_garbage_collector()
    return app


def tune_garbage_collector() -> None:
    """Garbage collection for a long-running server process (``cirx serve`` calls it once the app is built).

    A server keeps large, long-lived structures (modules, the ATT&CK layout, attribution profiles, cached
    page figures), and Python's full collections walk all of them: measured under 20 concurrent users, a
    full collection took 90 to 240 ms, the slowest 1% of page views.  Freezing what exists at start
    (never collected) and collecting the youngest generation every 50,000 allocations instead of 700 cut
    the 20-user p99 of the workspace's pages from up to 540 ms to under 200 ms (bench/web.py).
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
