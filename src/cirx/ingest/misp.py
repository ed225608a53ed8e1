"""Import MISP events, converted to STIX 2.1 by misp-stix (the MISP project's own converter).

A file holds one event as MISP exports it (``{"Event": {...}}``), a restSearch
response (``{"response": [{"Event": ...}, ...]}``) or a list of events; a folder
(a MISP feed) is read file by file, ``manifest.json`` left out.  MISP's JSON
has no streaming form and misp-stix converts whole events, so a file is read
whole.  The objects then go through the STIX import path, all or nothing per
file.

Three things are settled here rather than left to misp-stix:

* Determinism.  misp-stix names objects after MISP uuids and dates them from
  MISP timestamps, but where a record lacks one, pymisp or misp-stix fill in a
  random ``uuid4`` or the current time, and a re-import would add a second
  copy.  :func:`_pinned` fills those gaps first, from the event itself.
* Markings.  misp-stix writes an event's ``tlp:*`` tag on the report alone and
  an attribute's on its indicator and observed-data, not on the observables
  inside, and it only knows lower-case tag names.  :func:`_mark` gives every
  object of an event at least the event's level (an attribute's tag can narrow
  its audience, never widen it) and every observable the level of the
  observed-data holding it, in TLP 2.0 marking references.
* Provenance: the report (or grouping, for an unpublished event) keeps the
  event's uuid as an external reference (``source_name`` ``misp``).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cirx.access.tlp import ACCEPTED_MARKINGS, RANK, level_of, parse_level, with_level
from cirx.errors import ImportRejected, InvalidInput, InvalidObject
from cirx.ingest.report import ImportReport
from cirx.model.ids import CIRX_NAMESPACE, stix_timestamp

MISP_SOURCE = "misp"
_NAMESPACE = uuid.uuid5(CIRX_NAMESPACE, "misp")
# A feed folder's index of its events, not an event.
FEED_INDEX = "manifest.json"
# Records whose uuid, when missing, pymisp replaces with a random one; and the ones dated by ``timestamp``.
_RECORDS = ("Attribute", "Object", "ObjectReference", "EventReport", "Sighting", "Galaxy", "GalaxyCluster",
            "Note", "Opinion", "Relationship")
_STAMPED = ("Attribute", "Object", "ObjectReference", "EventReport")
_ANALYST_DATA = ("Note", "Opinion", "Relationship")
_TIME_PROPERTIES = ("created", "modified", "valid_from", "first_observed", "last_observed")


def read_misp(path: Path, report: ImportReport) -> list[dict[str, Any]]:
    """The STIX 2.1 objects of every event in one MISP JSON file.

    Raises :class:`InvalidInput` for a file that is not JSON or not MISP
    events, and :class:`ImportRejected` listing every attribute or object
    misp-stix could not convert (or pymisp dropped as invalid), per event.
    """
    objects: list[dict[str, Any]] = []
    for event in _events(path):
        objects += _convert(event, str(path), report)
    if report.rejected:
        raise ImportRejected(report.source, report.rejected)
    if not objects:
        report.note("no MISP events in this file")
    return objects


def _events(path: Path) -> list[dict[str, Any]]:
    """The events of a file, each the inside of its ``{"Event": ...}``."""
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not valid JSON: {exc}") from exc
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read: {exc.strerror}") from exc
    expected = 'expected a MISP event ({"Event": {...}}), a restSearch response or a list of events'
    if isinstance(document, dict) and "response" in document:
        items = document["response"]
        if not isinstance(items, list):
            raise InvalidInput(f"{path}: a restSearch response without a list of events "
                               f"(attributes are not imported: search events instead)")
    elif isinstance(document, list):
        items = document
    else:
        items = [document]
    events = []
    for index, item in enumerate(items):
        event = item.get("Event") if isinstance(item, dict) and "Event" in item else item
        if not (isinstance(event, dict) and isinstance(event.get("info", ""), str)
                and any(key in event for key in ("info", "Attribute", "Object"))):
            where = "the document" if item is document else f"item {index + 1}"
            hint = " (it looks like a STIX bundle: use cirx import stix)" if _is_bundle(item) else ""
            raise InvalidInput(f"{path}: {where} is not a MISP event{hint}; {expected}")
        events.append(event)
    return events


def _is_bundle(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "bundle"


def _event_name(event: dict[str, Any]) -> str:
    info = event.get("info")
    return f"MISP event {event.get('uuid') or '(no uuid)'}" + (f" ({info!r})" if info else "")


def _convert(raw_event: dict[str, Any], label: str, report: ImportReport) -> list[dict[str, Any]]:
    """One event's STIX objects as they are stored; rejections go to ``report``."""
    from misp_stix_converter import MISPtoSTIX21Parser

    # pymisp logs each attribute it drops; cirx reports them instead (a handler stops Python's stderr one).
    pymisp_logger = logging.getLogger("pymisp")
    if not pymisp_logger.handlers:
        pymisp_logger.addHandler(logging.NullHandler())
    name = _event_name(raw_event)
    event = _pinned(raw_event, name, label)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    parser = MISPtoSTIX21Parser()
    try:
        parser.parse_misp_event({"Event": event})
        objects: list[dict[str, Any]] = orjson.loads(parser.bundle.serialize())["objects"]
    except Exception as exc:  # misp-stix, pymisp or stix2 gave up: say which event, not their traceback
        reason = _message(f"{type(exc).__name__}: {exc}")
        raise InvalidInput(f"{label}: {name}: misp-stix cannot convert it: {reason}") from exc
    for messages in parser.errors.values():
        for message in messages:
            if "Orgc" in message:  # no creator organisation: the objects lack created_by_ref, nothing is lost
                report.note(f"{name}: {_message(message)}")
            else:
                report.reject(InvalidObject(name, None, _message(message)))
    for messages in parser.warnings.values():
        for message in messages:
            if message.startswith("Failed validation"):  # pymisp left the record out of the event
                report.reject(InvalidObject(name, None, _message(message) + " (the record would be lost)"))
            else:
                report.note(f"{name}: {_message(message)}")
    container = next((obj for obj in objects if obj["id"] in (f"report--{event['uuid']}",
                                                               f"grouping--{event['uuid']}")), None)
    if container is None:
        if not report.rejected:
            report.reject(InvalidObject(name, None, "misp-stix made no report of it"))
        return []
    _keep_clock(objects, started, stix_timestamp(datetime.fromtimestamp(int(event["timestamp"]), UTC)))
    references = container.setdefault("external_references", [])
    if not any(ref.get("source_name") == MISP_SOURCE for ref in references):
        references.append({"source_name": MISP_SOURCE, "external_id": event["uuid"]})
    return _mark(objects, container)


def _message(text: str) -> str:
    """A misp-stix or pymisp message on one line, without the traceback misp-stix puts in some."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(" ")]
    return " ".join(lines)


def _pinned(raw_event: dict[str, Any], name: str, label: str) -> dict[str, Any]:
    """A copy of the event with every uuid and timestamp misp-stix needs, and canonical TLP tags.

    Determinism: where MISP left out a uuid or a timestamp, pymisp would make
    a random uuid4 and misp-stix take the current time, so importing the same
    file twice would store two versions (or two objects).  The gaps are filled
    from the event instead: uuids are UUIDv5 of the event's uuid and the
    record's place and value; timestamps the event's.  An event without a uuid
    gets the UUIDv5 of its content.
    """
    event: dict[str, Any] = orjson.loads(orjson.dumps(raw_event))
    if not isinstance(event.get("uuid"), str) or not event["uuid"]:
        digest = hashlib.sha256(orjson.dumps(raw_event, option=orjson.OPT_SORT_KEYS)).hexdigest()
        event["uuid"] = str(uuid.uuid5(_NAMESPACE, f"event:{digest}"))
    event["timestamp"] = _event_timestamp(event, name, label)
    orgc = event.get("Orgc")
    if isinstance(orgc, dict) and isinstance(orgc.get("name"), str) and not orgc.get("uuid"):
        orgc["uuid"] = str(uuid.uuid5(_NAMESPACE, f"orgc:{orgc['name']}"))
    elif isinstance(orgc, dict) and not isinstance(orgc.get("name"), str):
        del event["Orgc"]  # misp-stix fails on an Orgc without a name; without one it notes the absence
    namespace = uuid.uuid5(_NAMESPACE, event["uuid"])
    _pin_records(event, namespace, event["timestamp"], "Event")
    return event


def _event_timestamp(event: dict[str, Any], name: str, label: str) -> str:
    """When the event last changed (epoch seconds): its ``timestamp``, else the nearest thing to it."""
    for candidate in (event.get("timestamp"), event.get("publish_timestamp")):
        if _epoch(candidate) is not None:
            return str(_epoch(candidate))
    stamps = [_epoch(record.get("timestamp")) for key in ("Attribute", "Object")
              for record in event.get(key) or () if isinstance(record, dict)]
    if known := [stamp for stamp in stamps if stamp is not None]:
        return str(max(known))
    if isinstance(event.get("date"), str):
        try:
            return str(int(datetime.fromisoformat(event["date"][:10]).replace(tzinfo=UTC).timestamp()))
        except ValueError:
            pass
    raise InvalidInput(f"{label}: {name}: no timestamp, publish_timestamp or date, so the same event "
                       "could not be recognised on a second import")


def _epoch(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        return None


def _pin_records(record: dict[str, Any], namespace: uuid.UUID, stamp: str, path: str) -> None:
    """Fill missing uuids and timestamps of ``record``'s sub-records, recursively; canonical TLP tags."""
    for tag in record.get("Tag") or ():
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            tag["name"] = canonical_tag(tag["name"])
    moment = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d %H:%M:%S")
    for key in _RECORDS:
        children = record.get(key)
        if isinstance(children, dict):
            children = [children]
        if not isinstance(children, list):
            continue
        for index, child in enumerate(children):
            if not isinstance(child, dict):
                continue
            where = f"{path}/{key}/{index}"
            if not child.get("uuid"):
                seed = f"{where}:{child.get('type')}:{child.get('value')}"
                child["uuid"] = str(uuid.uuid5(namespace, seed))
            if key in _STAMPED and not child.get("timestamp"):
                child["timestamp"] = stamp
            elif key == "Sighting" and not child.get("date_sighting"):
                child["date_sighting"] = stamp
            elif key in _ANALYST_DATA:
                for field in ("created", "modified"):
                    child.setdefault(field, moment)
            _pin_records(child, namespace, stamp, where)


def canonical_tag(name: str) -> str:
    """A MISP tag with a TLP level spelled the way misp-stix knows it (``TLP:AMBER`` -> ``tlp:amber``).

    misp-stix matches tag names exactly; an upper-case TLP tag would otherwise
    become a label and the object fall back to the importer's default marking.
    """
    if not name.strip().lower().startswith("tlp:"):
        return name
    try:
        return f"tlp:{parse_level(name)}"
    except InvalidInput:
        return name  # tlp:ex:chr, tlp:unclear: not TLP 2.0 levels, kept as labels


def _keep_clock(objects: list[dict[str, Any]], started: str, event_stamp: str) -> None:
    """Date anything stamped with the clock during the conversion as the event instead.

    Determinism, second line: :func:`_pinned` leaves misp-stix no record
    without a timestamp, but should a version of it still date an object
    ``now``, a re-import would store it again.  A time at or after the start of
    the conversion cannot come from an event last changed before it.
    """
    if event_stamp[:19] >= started:
        return
    for obj in objects:
        for field in _TIME_PROPERTIES:
            value = obj.get(field)
            if isinstance(value, str) and value[:19] >= started:
                obj[field] = event_stamp


def _mark(objects: list[dict[str, Any]], container: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects with their TLP 2.0 levels (see the module docstring), without misp-stix's TLP definitions."""
    event_level = level_of(container.get("object_marking_refs"))
    levels = {obj["id"]: _highest(level_of(obj.get("object_marking_refs")), event_level) for obj in objects
              if obj["type"] != "marking-definition"}
    for obj in objects:
        if obj["type"] == "observed-data":
            for ref in obj.get("object_refs") or ():
                if ref in levels:
                    levels[ref] = _highest(levels[ref], levels[obj["id"]])
    for obj in objects:
        ends = [obj.get(key) for key in ("source_ref", "target_ref", "sighting_of_ref")]
        ends += obj.get("observed_data_refs") or []
        for end in ends:
            if isinstance(end, str) and end in levels and obj["id"] in levels:
                levels[obj["id"]] = _highest(levels[obj["id"]], levels[end])
    marked = []
    for obj in objects:
        if obj["type"] == "marking-definition":
            if obj["id"] not in ACCEPTED_MARKINGS:  # cirx holds its own TLP 2.0 definitions
                marked.append(obj)
            continue
        level = levels[obj["id"]]
        if level is not None:
            obj["object_marking_refs"] = with_level(obj.get("object_marking_refs"), level)
        marked.append(obj)
    return marked


def _highest(*levels: str | None) -> str | None:
    known = [level for level in levels if level is not None]
    return max(known, key=RANK.__getitem__) if known else None
