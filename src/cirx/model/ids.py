"""STIX identifiers and timestamps.

Objects cirx makes from rows of a dataset get deterministic identifiers
(UUIDv5 of the source and its own id), so re-importing the same dataset
yields the same objects and adds nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

# Namespace for every identifier cirx derives (a fixed random UUID).
CIRX_NAMESPACE = uuid.UUID("6b1c7f0e-2a39-4d8f-9d64-5f0c2b7c1e4a")

IDENTIFIER = re.compile(
    r"^([a-z][a-z0-9-]+[a-z0-9])--"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def deterministic_id(stix_type: str, source: str, key: str) -> str:
    """A stable STIX id for the object of ``stix_type`` a source calls ``key``."""
    return f"{stix_type}--{uuid.uuid5(CIRX_NAMESPACE, f'{source}:{stix_type}:{key}')}"


_KNOWN_IDENTIFIERS: set[str] = set()


def is_identifier(value: object, stix_type: str | None = None) -> bool:
    """True when ``value`` is a well-formed STIX identifier (of ``stix_type``)."""
    if not isinstance(value, str):
        return False
    if stix_type is None and value in _KNOWN_IDENTIFIERS:
        return True
    match = IDENTIFIER.match(value)
    if match is None:
        return False
    if len(_KNOWN_IDENTIFIERS) > 200_000:
        _KNOWN_IDENTIFIERS.clear()
    _KNOWN_IDENTIFIERS.add(value)
    return stix_type is None or match.group(1) == stix_type


def is_timestamp(value: object) -> bool:
    """True when ``value`` is a STIX timestamp (RFC 3339, UTC, ``Z``) that exists."""
    if not isinstance(value, str) or not TIMESTAMP.match(value):
        return False
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def stix_timestamp(moment: datetime) -> str:
    """Format a datetime as a STIX timestamp with millisecond precision."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def date_timestamp(day: str) -> str:
    """Turn ``YYYY-MM-DD`` (or a longer ISO date-time) into a STIX timestamp at midnight."""
    return f"{day[:10]}T00:00:00.000Z"


def now_timestamp() -> str:
    """The current time as a STIX timestamp."""
    return stix_timestamp(datetime.now(UTC))
