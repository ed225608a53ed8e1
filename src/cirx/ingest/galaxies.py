"""MISP galaxies from the ``pymispgalaxies`` package, and helpers shared by the
knowledge-base converters (:mod:`cirx.ingest.knowledge`).

Galaxies are read from the JSON files the package ships, one file at a time
and only when asked (``pymispgalaxies.Clusters()`` parses all 90-odd galaxies,
which takes seconds).  Nothing is read at import time.

Identifiers and timestamps are fixed so that importing the same package
version twice yields the same objects:

- ids are UUIDv5 of the galaxy and the galaxy value's own uuid
  (:func:`galaxy_id`);
- ``created`` is :data:`KB_CREATED` for every object;
- ``modified`` is :data:`KB_CREATED` plus one second per version of every
  galaxy the object was made from, plus one day per revision of cirx's
  converter (:func:`stamp`), so a newer galaxy release or a changed converter
  gives a strictly later ``modified`` and the same release gives the same one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from cirx.errors import ConfigurationError
from cirx.model.ids import deterministic_id, stix_timestamp

KB_CREATED = "2026-11-22T00:00:00.000Z"
# Bump when the converters change what they make from the same galaxies.
CONVERTER_REVISION = 1

ATTACK_ID = re.compile(r"^(?:G|S|C|TA|M|DS)\d{4}$|^T\d{4}(?:\.\d{3})?$")
_NAME_AND_ID = re.compile(r"^(?P<name>.+?) - (?P<id>(?:G|S|C)\d{4}|T\d{4}(?:\.\d{3})?)$")


@dataclass(frozen=True)
class Galaxy:
    """One MISP galaxy cluster file: its name (file stem), type, uuid, version and values."""

    name: str
    type: str
    uuid: str
    version: int
    values: list[dict[str, Any]] = field(default_factory=list)


GalaxyLoader = Callable[[str], "Galaxy | None"]


def load_galaxy(name: str) -> Galaxy | None:
    """The galaxy ``name`` (e.g. ``"threat-actor"``) shipped by pymispgalaxies, or None if absent."""
    try:
        root = resources.files("pymispgalaxies") / "data" / "misp-galaxy" / "clusters"
    except ModuleNotFoundError as exc:
        raise ConfigurationError("the knowledge base needs the 'pymispgalaxies' package") from exc
    source = root / f"{name}.json"
    if not source.is_file():
        return None
    data = json.loads(source.read_text(encoding="utf-8"))
    return galaxy_from_dict(name, data)


def galaxy_from_dict(name: str, data: dict[str, Any]) -> Galaxy:
    """A :class:`Galaxy` from a cluster file's parsed JSON."""
    values = [v for v in data.get("values") or [] if isinstance(v, dict)]
    return Galaxy(
        name=name,
        type=str(data.get("type") or name),
        uuid=str(data.get("uuid") or ""),
        version=int(data.get("version") or 0),
        values=values,
    )


def stamp(*versions: int) -> str:
    """The ``modified`` timestamp of an object made from galaxies of these versions."""
    start = datetime.strptime(KB_CREATED, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return stix_timestamp(start + timedelta(days=CONVERTER_REVISION - 1, seconds=sum(versions)))


def galaxy_id(stix_type: str, galaxy: str, uuid: str) -> str:
    """The STIX id of the object of ``stix_type`` made from a galaxy value."""
    return deterministic_id(stix_type, f"misp-galaxy:{galaxy}", uuid)


def galaxy_ref(galaxy: str, uuid: str) -> dict[str, str]:
    """The external reference naming a galaxy value by its uuid."""
    return {"source_name": f"misp-galaxy:{galaxy}", "external_id": uuid}


def attack_ref(attack_id: str) -> dict[str, str]:
    """The ``mitre-attack`` external reference for an ATT&CK id (G0007, T1566.001, S0002, C0028)."""
    kind = {"G": "groups", "S": "software", "C": "campaigns", "T": "techniques"}[attack_id[0]]
    path = attack_id.replace(".", "/")
    return {
        "source_name": "mitre-attack",
        "external_id": attack_id,
        "url": f"https://attack.mitre.org/{kind}/{path}",
    }


def split_attack_name(value: str) -> tuple[str, str | None]:
    """``"APT28 - G0007"`` -> ``("APT28", "G0007")``; a value without an id -> ``(value, None)``."""
    match = _NAME_AND_ID.match(value.strip())
    if match:
        return match.group("name").strip(), match.group("id")
    return value.strip(), None


def url_refs(urls: Iterable[Any], *, skip_attack: bool = True) -> list[dict[str, str]]:
    """External references for a value's ``refs`` (source name = the site's host)."""
    refs: list[dict[str, str]] = []
    seen: set[str] = set()
    for url in urls:
        if not isinstance(url, str):
            continue
        url = url.strip()
        host = urlsplit(url).hostname
        if not host or url in seen:
            continue
        if skip_attack and host == "attack.mitre.org":
            continue
        seen.add(url)
        refs.append({"source_name": host.removeprefix("www."), "url": url})
    return refs


def meta_strings(meta: dict[str, Any], key: str) -> list[str]:
    """A meta field as a list of non-empty strings (galaxies use both str and list)."""
    raw = meta.get(key)
    items = raw if isinstance(raw, list) else [raw]
    out: list[str] = []
    for item in items:
        if isinstance(item, (str, int, float)) and str(item).strip() and str(item).strip() not in out:
            out.append(str(item).strip())
    return out


def related(value: dict[str, Any], *types: str) -> list[str]:
    """The dest-uuids of a value's ``related`` entries of the given types, in order."""
    out: list[str] = []
    for rel in value.get("related") or []:
        if isinstance(rel, dict) and rel.get("type") in types and isinstance(rel.get("dest-uuid"), str):
            out.append(rel["dest-uuid"])
    return out
