"""Reading STIX 2.1 property extensions (cirx's incident, actor and country extensions)."""

from __future__ import annotations

from typing import Any


def property_extension(obj: dict[str, Any], extension_id: str) -> dict[str, Any]:
    """The properties an object carries under ``extensions[extension_id]`` (empty when none)."""
    found = (obj.get("extensions") or {}).get(extension_id)
    return found if isinstance(found, dict) else {}
