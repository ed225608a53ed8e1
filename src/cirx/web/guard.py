"""Browser-side protections for the workspace's pages: a content security policy and a same-origin check.

- Every page and static asset is sent with a Content-Security-Policy that lets the browser load
  scripts, styles, images, fonts and requests from this server only (``'self'``; inline ``style``
  attributes are allowed, the SVG charts use them), and that forbids framing the workspace. So even a
  page a future change got wrong cannot make the browser ask another host for anything.
- A form that changes state (any method but GET, HEAD, OPTIONS) on a page is refused with 403 when the
  browser says it comes from another origin (``Origin``, else ``Referer``): with the SameSite=Strict
  session cookie, a second line against cross-site request forgery, login forms included.

The REST API, TAXII and the OpenAPI pages are left alone: they authenticate with bearer tokens.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIXES = ("/api", "/taxii2", "/docs", "/redoc", "/openapi")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def same_origin(headers: dict[bytes, bytes]) -> bool:
    """False when the request's ``Origin`` (else ``Referer``) names another origin than its ``Host``."""
    host = headers.get(b"host", b"").decode("latin-1").lower()
    source = headers.get(b"origin") or headers.get(b"referer")
    if not source:
        return True  # not a browser form post (command-line clients, tests): the cookie rules apply
    text = source.decode("latin-1")
    if text == "null":
        return False
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host


class PageGuard:
    """Adds the security headers to pages and refuses cross-origin state changes on them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope["method"] not in SAFE_METHODS and not same_origin(headers):
            body = b"Refused: this form was sent from another site."
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()), *HEADERS]})
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)
