"""One error tree for cirx.

Every failure a user can act on is a :class:`CirxError`.  Each class carries the
HTTP status a web entrypoint answers with, so routers never map errors by hand,
and the CLI turns any of them into a clean message and a non-zero exit code.
Lower-layer errors (sqlite3, psycopg, JSON decoders, HTTP) are translated into
these at the boundary where they happen.
"""

from __future__ import annotations


class CirxError(Exception):
    """Base class of every error cirx raises on purpose."""

    http_status: int = 500
    title: str = "cirx error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigurationError(CirxError):
    """A setting is missing or has a value cirx cannot use."""

    http_status = 500
    title = "Configuration error"


class NotFound(CirxError):
    """An object, actor, country or file that was asked for does not exist."""

    http_status = 404
    title = "Not found"


class Unauthenticated(CirxError):
    """No token, or a token that is unknown, revoked or expired."""

    http_status = 401
    title = "Unauthorized"


class PermissionDenied(CirxError):
    """The caller is known but may not do this."""

    http_status = 403
    title = "Forbidden"


class InvalidInput(CirxError):
    """Input that cirx cannot accept: bad JSON, wrong types, unknown values."""

    http_status = 400
    title = "Invalid input"


class PayloadTooLarge(InvalidInput):
    """A request body over ``max_request_bytes``, or a bundle over ``max_bundle_objects``."""

    http_status = 413
    title = "Payload too large"


class UnsupportedMediaType(InvalidInput):
    """A request body in a media type the endpoint does not take."""

    http_status = 415
    title = "Unsupported media type"


class InvalidObject(InvalidInput):
    """A STIX object (or a row turned into one) breaks a rule.

    ``object_ref`` names the object (its id, or the row it came from) and
    ``property`` the offending property, so a user can find and fix it.
    """

    def __init__(self, object_ref: str, property: str | None, reason: str) -> None:
        where = f"{object_ref}" + (f", property '{property}'" if property else "")
        super().__init__(f"{where}: {reason}")
        self.object_ref = object_ref
        self.property = property
        self.reason = reason


class InvalidPattern(InvalidInput):
    """A STIX pattern that does not follow the STIX 2.1 patterning grammar."""


class ImportRejected(InvalidInput):
    """An import rejected one or more objects or rows; nothing was written."""

    def __init__(self, source: str, rejected: list[InvalidObject]) -> None:
        first = "; ".join(str(r) for r in rejected[:5])
        more = f" (and {len(rejected) - 5} more)" if len(rejected) > 5 else ""
        super().__init__(
            f"{source}: {len(rejected)} object(s) rejected, nothing imported: {first}{more}"
        )
        self.source = source
        self.rejected = rejected


class StoreError(CirxError):
    """The database could not do what was asked (connection, migration, integrity)."""

    http_status = 503
    title = "Storage error"


class FetchError(CirxError):
    """A dataset could not be downloaded or failed its integrity check."""

    http_status = 502
    title = "Fetch error"
