"""Responses to incidents: derived from EuRepoC, DCID and attribution claims, placed on the ladder.

Every function here is pure: an incident in, response records out.  A record
is a plain dict: ``id`` (stable), ``incident``, ``type`` and ``rank`` (the
ladder, ``responses.yaml``), ``label``, ``legal_category``, ``date``,
``actor``, ``actor_country``, ``target_country``, ``outcome``, ``source``,
``note``.  EuRepoC's response columns are read from ``original_values`` (they
are the record of what States did, not a legal judgement); its legal coding
columns are not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from cirx.analysis.norms import frameworks
from cirx.model.countries import to_iso2
from cirx.model.incident import ir_properties

_MISSING = {"", "n", "nat", "nan", "not available", "none"}


def record(*, incident: str | None, type_id: str, source: str, key: str, date_: str | None = None,
           actor: str | None = None, actor_country: str | None = None, target_country: str | None = None,
           outcome: str | None = None, note: str | None = None, **extra: Any) -> dict[str, Any]:
    """A response record with its ladder rank; ``key`` makes its id stable."""
    rung = frameworks.response_type(type_id)
    digest = hashlib.sha1(f"{source}|{incident}|{key}".encode()).hexdigest()[:20]
    return {"id": f"{source}-{digest}", "incident": incident, "type": rung.id, "rank": rung.rank,
            "label": rung.label, "legal_category": rung.legal_category, "date": date_, "actor": actor,
            "actor_country": actor_country, "target_country": target_country, "outcome": outcome,
            "source": source, "note": note, **extra}


def derived(incident: dict[str, Any]) -> list[dict[str, Any]]:
    """Every response an imported incident records: EuRepoC, DCID, official attributions."""
    return [*eurepoc(incident), *dcid(incident), *attributions(incident)]


def _parts(text: Any) -> list[str]:
    """The items of a ``;``-separated EuRepoC column; a ``;`` inside brackets is part of an item
    ("Marise Payne (Minister for Foreign Affairs; Minister for Women, AUS)")."""
    parts, depth, start, value = [], 0, 0, str(text or "")
    for i, char in enumerate(value):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        elif char == ";" and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    return [*parts, value[start:].strip()]


def _date(text: str | None) -> str | None:
    value = (text or "").strip()[:10]
    if value.lower() in _MISSING or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def eurepoc(incident: dict[str, Any]) -> list[dict[str, Any]]:
    """EuRepoC's political and legal responses (parallel ``;``-separated columns)."""
    ir = ir_properties(incident)
    values = (ir.get("original_values") or {}).get("eurepoc") or {}
    if not values:
        return []
    mapping = frameworks.load("responses")["eurepoc"]
    target = next(iter(ir.get("initiator_countries") or ()), None)
    found = []
    for kind in ("political", "legal"):
        types = _parts(values.get(f"{kind}_response_type"))
        subcodes, dates = _parts(values.get(f"{kind}_response_type_subcode")), _parts(values.get(f"{kind}_response_date"))
        countries, actors = _parts(values.get(f"{kind}_response_country")), _parts(values.get(f"{kind}_response_actor"))
        for i, text in enumerate(types):
            subcode = subcodes[i] if i < len(subcodes) else ""
            type_id = _eurepoc_type(kind, text, subcode, mapping)
            if type_id is None:
                continue
            country = countries[i] if i < len(countries) else ""
            actor = actors[i] if i < len(actors) else ""
            found.append(record(
                incident=incident["id"], type_id=type_id, source="eurepoc", key=f"{kind}:{i}",
                date_=_date(dates[i] if i < len(dates) else None), actor=actor or country or None,
                actor_country=to_iso2(country) if country else None, target_country=target,
                note=f"EuRepoC {kind} response: {text}" + (f" ({subcode})" if subcode else "")))
    return found


def _eurepoc_type(kind: str, text: str, subcode: str, mapping: dict[str, Any]) -> str | None:
    key, sub = text.lower().strip(), subcode.lower().strip()
    if key in _MISSING:
        return None
    if kind == "political":
        found = mapping["political_subcode"].get(sub) or mapping["political_kind"].get(key.split(":")[-1].strip())
        return str(found) if found else None
    found = mapping["legal_subcode"].get(sub) or mapping["legal_type"].get(key)
    if not found:
        found = next((v for k, v in mapping["legal_type_contains"].items() if k in key), None)
    return str(found) if found else None


def dcid(incident: dict[str, Any]) -> list[dict[str, Any]]:
    """DCID's Feb 2023 codes: conventional reactions (negative D/E/M codes) and a cyber reaction.

    The conventional codes are read from the response row when the import kept
    them, else from the incident row (the reaction period as DCID pairs it);
    they are dated at the response row, else at the incident.  The receiver is
    taken as the reacting State and the initiator as its target.
    """
    ir = ir_properties(incident)
    pair = ((ir.get("original_values") or {}).get("dcid") or {}).get("feb2023") or {}
    if not pair:
        return []
    mapping = frameworks.load("responses")["dcid"]
    response = pair.get("response") or {}
    codes = response if any(c in response for c in mapping["codes"]) else pair.get("incident") or {}
    actor = next(iter(ir.get("receiver_countries") or ()), None)
    target = next(iter(ir.get("initiator_countries") or ()), None)
    when = _date(response.get("interactionstartdate")) or ir.get("start_date")
    found = []
    for code, type_id in mapping["codes"].items():
        try:
            present = float(codes.get(code) or 0) != 0
        except ValueError:
            present = False
        if present:
            found.append(record(incident=incident["id"], type_id=type_id, source="dcid", key=code, date_=when,
                                actor=actor, actor_country=actor, target_country=target,
                                note=f"DCID Feb 2023 code {code}"))
    name = str(response.get("Name") or "").strip()
    method = str(response.get("method") or "0").strip()
    if name and name.lower() != "no cyber" and method not in ("", "0", "0.0"):
        found.append(record(incident=incident["id"], type_id=mapping["cyber_response"], source="dcid",
                            key="cyber", date_=when, actor=to_iso2(response.get("initiator")) or actor,
                            actor_country=to_iso2(response.get("initiator")) or actor,
                            target_country=to_iso2(response.get("target")) or target,
                            note=f"DCID Feb 2023 response: {name}"))
    return found


def attributions(incident: dict[str, Any]) -> list[dict[str, Any]]:
    """Official attributions as responses: by a government, several, or an international organisation."""
    ir = ir_properties(incident)
    mapping = frameworks.load("responses")["attribution_claims"]
    found = []
    for i, claim in enumerate(ir.get("attribution_claims") or ()):
        by, to = claim.get("attributed_by") or {}, claim.get("attributed_to") or {}
        type_id = mapping["legal-action"] if "legal-action" in (claim.get("basis") or ()) else None
        type_id = type_id or mapping.get(by.get("kind") or "")
        if not type_id:
            continue
        found.append(record(incident=incident["id"], type_id=type_id, source="attribution", key=str(i),
                            date_=claim.get("date"), actor=by.get("name") or by.get("country"),
                            actor_country=by.get("country"), target_country=to.get("state"),
                            note=f"attribution to {to.get('group') or to.get('state') or 'an actor'}"))
    return found


def timeline(responses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Responses oldest first (undated last), most escalatory first on the same day."""
    return sorted(responses, key=lambda r: (r.get("date") is None, r.get("date") or "", -int(r["rank"]), r["id"]))


def within(incident_date: str | None, response_date: str | None, days: int) -> bool | None:
    """Whether a response falls within ``days`` after the incident started; None when either is undated."""
    start, end = _date(incident_date), _date(response_date)
    if start is None or end is None:
        return None
    return start <= end <= (date.fromisoformat(start) + timedelta(days=days)).isoformat()
