"""STIX 2.0/2.1 objects at the edge: check, upgrade, read bundles as a stream.

The checks here are the ones every stored object must pass, written for the
bulk-ingest hot path (the ``stix2`` object model is far too slow for a
million indicators).  Each failure raises :class:`InvalidObject` naming the
object and the property.  Full conformance checking of exports is left to
``stix2-validator`` in the tests.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Iterator
from typing import IO, Any

import ijson
import orjson

from cirx.errors import InvalidInput, InvalidObject
from cirx.model.ids import IDENTIFIER, is_identifier, is_timestamp
from cirx.model.pattern import pattern_error

SPEC_VERSIONS = ("2.0", "2.1")

# STIX 2.1 cyber-observable types: spec_version is optional on these, so an SCO
# without one is 2.1, while an SDO/SRO without one is a STIX 2.0 object.
SCO_TYPES = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
        "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
        "network-traffic", "process", "software", "url", "user-account",
        "windows-registry-key", "x509-certificate",
    }
)
# STIX 2.0 required ``labels`` on these; 2.1 moved them to ``<type>_types``.
_LABELS_TO_TYPES = {
    "malware": "malware_types",
    "tool": "tool_types",
    "indicator": "indicator_types",
    "threat-actor": "threat_actor_types",
    "report": "report_types",
}
_STRING_PROPERTIES = ("name", "description", "relationship_type", "pattern")
_LIST_OF_STRING_PROPERTIES = ("aliases", "labels", "x_mitre_aliases", "sectors")
_TIMESTAMP_PROPERTIES = ("created", "modified", "valid_from", "valid_until", "first_seen", "last_seen")


def _ref(obj: dict[str, Any]) -> str:
    ident = obj.get("id")
    return ident if isinstance(ident, str) else f"object of type {obj.get('type')!r}"


def check_and_upgrade(obj: Any, *, max_bytes: int, size: int | None = None,
                      validate_patterns: bool = True) -> dict[str, Any]:
    """Check one STIX object and return it as STIX 2.1 (upgrading a 2.0 object).

    Raises :class:`InvalidObject` naming the object and property on the first
    rule it breaks: not an object, missing or malformed ``type``/``id``, an
    unknown ``spec_version``, a timestamp that is not RFC 3339 UTC, a ``*_ref``
    or ``*_refs`` that is not a STIX identifier, a property of the wrong type,
    an indicator pattern that is not valid STIX patterning, or an object larger
    than ``max_bytes``.
    """
    if not isinstance(obj, dict):
        raise InvalidObject(f"bundle entry {str(obj)[:40]!r}", None, "is not a JSON object")
    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or not stix_type:
        raise InvalidObject(_ref(obj), "type", "missing or not a string")
    ident = obj.get("id")
    match = IDENTIFIER.match(ident) if isinstance(ident, str) else None
    if match is None:
        raise InvalidObject(_ref(obj), "id", f"{ident!r} is not a STIX identifier (type--UUID)")
    ident = str(ident)
    if match.group(1) != stix_type:
        raise InvalidObject(ident, "id", f"prefix does not match type {stix_type!r}")
    if size is not None and size > max_bytes:
        raise InvalidObject(ident, None, f"object is {size} bytes, over the limit of {max_bytes}")
    spec = obj.get("spec_version")
    if spec is None:
        if stix_type not in SCO_TYPES:
            _upgrade_from_20(obj)
    elif spec not in SPEC_VERSIONS:
        raise InvalidObject(ident, "spec_version", f"unknown spec_version {spec!r} (expected 2.0 or 2.1)")
    elif spec == "2.0":
        _upgrade_from_20(obj)
    if not _properties_pass(obj):
        _check_properties(obj, ident)  # raises, naming the first property at fault
    if stix_type not in SCO_TYPES and stix_type != "marking-definition" and "created" not in obj:
        raise InvalidObject(ident, "created", "is required")
    if stix_type == "relationship":
        for key in ("source_ref", "target_ref", "relationship_type"):
            if key not in obj:
                raise InvalidObject(ident, key, "is required on a relationship")
    elif stix_type == "sighting" and "sighting_of_ref" not in obj:
        raise InvalidObject(ident, "sighting_of_ref", "is required on a sighting")
    elif stix_type == "indicator":
        _check_indicator(obj, ident, validate_patterns)
    return obj


def _check_properties(obj: dict[str, Any], ident: str) -> None:
    """The property checks in order: raise :class:`InvalidObject` for the first one broken."""
    for key, value in obj.items():
        if key[-4:] == "_ref":
            if not is_identifier(value):
                raise InvalidObject(ident, key, f"{value!r} is not a STIX identifier")
        elif key[-5:] == "_refs" and (
                not isinstance(value, list) or not all(is_identifier(v) for v in value)):
            raise InvalidObject(ident, key, "must be a list of STIX identifiers")
    for key in _TIMESTAMP_PROPERTIES:
        value = obj.get(key)
        if value is not None and not is_timestamp(value):
            raise InvalidObject(ident, key, f"{value!r} is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    for key in _STRING_PROPERTIES:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidObject(ident, key, f"must be a string, not {type(value).__name__}")
    for key in _LIST_OF_STRING_PROPERTIES:
        value = obj.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise InvalidObject(ident, key, "must be a list of strings")
    if "revoked" in obj and not isinstance(obj["revoked"], bool):
        raise InvalidObject(ident, "revoked", "must be true or false")
    refs = obj.get("external_references")
    if refs is not None and not (isinstance(refs, list) and all(isinstance(r, dict) for r in refs)):
        raise InvalidObject(ident, "external_references", "must be a list of objects")


# What each property name is checked as (see _properties_pass), learnt as names are seen.
_REF, _REFS, _TIMESTAMP, _STRING, _STRINGS, _BOOL, _OBJECTS, _FREE = range(8)
_KINDS: dict[str, int] = {}
_GOOD_TIMESTAMPS: set[str] = set()  # timestamps already found valid (they repeat across objects)


def _kind(key: str) -> int:
    if key[-4:] == "_ref":
        kind = _REF
    elif key[-5:] == "_refs":
        kind = _REFS
    elif key in _TIMESTAMP_PROPERTIES:
        kind = _TIMESTAMP
    elif key in _STRING_PROPERTIES:
        kind = _STRING
    elif key in _LIST_OF_STRING_PROPERTIES:
        kind = _STRINGS
    elif key == "revoked":
        kind = _BOOL
    elif key == "external_references":
        kind = _OBJECTS
    else:
        kind = _FREE
    if len(_KINDS) < 65536:  # custom property names are unbounded
        _KINDS[key] = kind
    return kind


def _properties_pass(obj: dict[str, Any]) -> bool:
    """Whether every property passes the checks of :func:`_check_properties` (one pass, no messages)."""
    kinds = _KINDS
    for key, value in obj.items():
        kind = kinds.get(key)
        if kind is None:
            kind = _kind(key)
        if kind == _FREE:
            continue
        if kind == _REF:
            if not is_identifier(value):
                return False
        elif kind == _REFS:
            if value.__class__ is not list or not all(is_identifier(v) for v in value):
                return False
        elif value is None:
            if kind == _BOOL:
                return False
        elif kind == _TIMESTAMP:
            if value.__class__ is not str or value not in _GOOD_TIMESTAMPS:
                if not is_timestamp(value):
                    return False
                if len(_GOOD_TIMESTAMPS) > 100_000:
                    _GOOD_TIMESTAMPS.clear()
                _GOOD_TIMESTAMPS.add(value)
        elif kind == _STRING:
            if not isinstance(value, str):
                return False
        elif kind == _STRINGS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return False
        elif kind == _BOOL:
            if not isinstance(value, bool):
                return False
        elif not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
            return False
    return True


def _check_indicator(obj: dict[str, Any], ident: str, validate_patterns: bool) -> None:
    pattern = obj.get("pattern")
    if not isinstance(pattern, str):
        raise InvalidObject(ident, "pattern", "is required on an indicator")
    if obj.get("pattern_type", "stix") == "stix" and validate_patterns:
        problem = pattern_error(pattern)
        if problem is not None:
            raise InvalidObject(ident, "pattern", f"invalid STIX pattern: {problem}")


def _upgrade_from_20(obj: dict[str, Any]) -> None:
    """Rewrite a STIX 2.0 object as 2.1 in place."""
    obj["spec_version"] = "2.1"
    stix_type = obj["type"]
    types_key = _LABELS_TO_TYPES.get(stix_type)
    if types_key and types_key not in obj and isinstance(obj.get("labels"), list):
        obj[types_key] = list(obj["labels"])
    if stix_type == "malware" and "is_family" not in obj:
        obj["is_family"] = True
    elif stix_type == "indicator" and "pattern_type" not in obj:
        obj["pattern_type"] = "stix"


@functools.lru_cache(maxsize=8192)
def normalise_timestamp(value: str | None) -> str:
    """A fixed-width sortable form of a STIX timestamp (microseconds, ``Z``)."""
    if not value:
        return ""
    head, _, rest = value.partition(".")
    if not rest:
        return head.rstrip("Z") + ".000000Z"
    fraction = rest.rstrip("Z")
    return f"{head}.{fraction[:6].ljust(6, '0')}Z"


# A bundle file up to this size is parsed whole (orjson, several times faster than a streaming
# parse); a larger one is streamed, so that memory stays bounded whatever the file's size.
WHOLE_DOCUMENT_BYTES = 64 * 1024 * 1024


def iter_bundle(stream: IO[bytes], source: str) -> Iterator[tuple[dict[str, Any], int | None]]:
    """Yield ``(object, None)`` for each entry of a bundle's ``objects`` (a file up to
    ``WHOLE_DOCUMENT_BYTES`` is parsed whole, a larger one or a pipe is streamed).

    A single bare object (not a bundle) is accepted too.  Malformed JSON raises
    :class:`InvalidInput` naming the file and the byte where parsing failed;
    whatever was yielded before is to be discarded by the caller's transaction.
    """
    head = stream.read(1 << 16)
    start = head.lstrip()[:1]
    if start != b"{":
        raise InvalidInput(f"{source}: not a STIX bundle or object (does not start with '{{')")
    if b'"objects"' not in head and len(head) < (1 << 16):
        # Small document: a single object rather than a bundle.
        try:
            single = orjson.loads(head)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{source}: bad JSON: {exc}") from exc
        if single.get("type") != "bundle":
            yield single, len(head)
            return
        for obj in single.get("objects") or []:
            yield obj, None
        return
    if len(head) < (1 << 16) or _file_size(stream) <= WHOLE_DOCUMENT_BYTES:
        # The top-level ``objects`` array, as the streaming parse below reads it.
        try:
            objects = orjson.loads(head + stream.read() if len(head) == 1 << 16 else head).get("objects")
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"{source}: bad JSON near byte {exc.pos}: {exc}") from exc
        if objects is not None and not isinstance(objects, list):
            raise InvalidInput(f"{source}: the bundle's objects must be a list, not {type(objects).__name__}")
        for obj in objects or ():
            yield obj, None
        return
    chained = _Chained(head, stream)
    try:
        for obj in ijson.items(chained, "objects.item", use_float=True):
            yield obj, None
    except ijson.JSONError as exc:
        raise InvalidInput(f"{source}: bad JSON near byte {chained.position}: {exc}") from exc


def _file_size(stream: IO[bytes]) -> int:
    """The size of the regular file behind ``stream``; unbounded (a pipe, a socket) if unknown."""
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return sys.maxsize
    return info.st_size if stat.S_ISREG(info.st_mode) else sys.maxsize


class _Chained:
    """A file-like that replays the bytes already read, then the rest of a stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk, self._head = (self._head, b"") if size < 0 or size >= len(self._head) else (
                self._head[:size], self._head[size:])
        else:
            chunk = self._rest.read(size)
        self.position += len(chunk)
        return chunk
