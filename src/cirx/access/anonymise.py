"""Anonymised contributions: strip the victim's identity before anyone else sees it.

A contributor may submit an incident with the victim withheld.  What is
stored (and therefore indexed, searched, exported and shared) is the redacted
object: victim names and identifying fields are removed, the contributor is
shown as its pseudonymous identity, and the sector and country of the
victim stay so that statistics still count it.  The link to the true
contributor is kept only in the ``owner_org`` column, which no read path shows
to anyone but platform administrators.
"""

from __future__ import annotations

from typing import Any

from cirx.model.incident import IR_EXTENSION_ID

# Victim-identifying identity classes: dropped from an anonymised submission.
VICTIM_IDENTITY_CLASSES = frozenset({"individual", "organization", "group", "system", "unknown"})
# IR properties that name sources or carry free text from the contributor.
_IR_DROPPED = ("sources", "original_values", "actors")
_TOP_DROPPED = ("description", "external_references", "x_cirx_victim", "labels")


def is_victim_identity(obj: dict[str, Any]) -> bool:
    """True for an identity that names a victim (anything but a sector class)."""
    return obj.get("type") == "identity" and obj.get("identity_class", "unknown") in VICTIM_IDENTITY_CLASSES


def redact(obj: dict[str, Any], pseudonym_ref: str, dropped: set[str]) -> dict[str, Any] | None:
    """The anonymised form of ``obj``, or None when the whole object identifies the victim.

    ``dropped`` collects the ids of objects left out, so that relationships and
    sightings pointing at them are cleaned too.
    """
    if obj.get("id") == pseudonym_ref:
        return obj  # the contributor's pseudonymous identity is what others are meant to see
    if is_victim_identity(obj):
        dropped.add(obj["id"])
        return None
    if obj.get("type") == "relationship" and (obj.get("source_ref") in dropped or obj.get("target_ref") in dropped):
        dropped.add(obj["id"])
        return None
    redacted = {key: value for key, value in obj.items() if key not in _TOP_DROPPED}
    if "created_by_ref" in obj or obj.get("type") not in ("marking-definition",):
        redacted["created_by_ref"] = pseudonym_ref
    if obj.get("type") == "sighting" and obj.get("where_sighted_refs"):
        redacted["where_sighted_refs"] = [ref for ref in obj["where_sighted_refs"] if ref not in dropped]
        if not redacted["where_sighted_refs"]:
            del redacted["where_sighted_refs"]
    if obj.get("type") == "incident":
        extension = dict((obj.get("extensions") or {}).get(IR_EXTENSION_ID) or {})
        for key in _IR_DROPPED:
            extension.pop(key, None)
        for claim in extension.get("attribution_claims") or ():
            claim.pop("source_url", None)
        sectors = ", ".join(extension.get("sectors") or []) or "unknown sector"
        countries = ", ".join(extension.get("receiver_countries") or []) or "unknown country"
        redacted["name"] = f"Anonymised incident ({sectors}; {countries})"
        redacted["extensions"] = {**(obj.get("extensions") or {}), IR_EXTENSION_ID: extension}
    return redacted


def pseudonym_identity(ref: str, pseudonym: str) -> dict[str, Any]:
    """The STIX identity that stands for an anonymous contributor."""
    return {
        "type": "identity", "spec_version": "2.1", "id": ref,
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "name": pseudonym, "identity_class": "organization",
        "description": "An organisation contributing anonymously through cirx.",
    }
