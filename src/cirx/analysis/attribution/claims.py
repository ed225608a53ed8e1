"""Official attribution records: who attributed an incident to whom, when, on what basis, how sure.

Incidents carry ``attribution_claims`` in their IR extension
(:mod:`cirx.model.incident`; EuRepoC imports fill them).  :func:`records`
lists them oldest first with the named group resolved to a known actor, and
:func:`agreement` says where they agree and where they diverge, by state and
by group, and who (governments, companies, researchers) stands on each side.
Pure functions: the caller passes a name resolver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cirx.analysis.attribution.knowledge import Actor
from cirx.model.incident import ir_properties

Resolver = Callable[[str], Actor | None]


def records(incident: dict[str, Any], resolve_actor: Resolver) -> list[dict[str, Any]]:
    """The incident's attribution claims, oldest first, each group resolved to an actor where possible."""
    out = []
    for claim in ir_properties(incident).get("attribution_claims") or ():
        by = claim.get("attributed_by") or {}
        to = claim.get("attributed_to") or {}
        actor = None
        for name in (to.get("group_ref"), to.get("group")):
            if name and actor is None:
                actor = resolve_actor(str(name))
        state = to.get("state") or (actor.country if actor else None)
        out.append({
            "attributed_by": {"kind": by.get("kind"), "name": by.get("name"), "country": by.get("country")},
            "attributed_to": {"group": to.get("group"), "actor": actor.key if actor else None,
                              "actor_name": actor.name if actor else None, "state": state,
                              "state_basis": "claimed" if to.get("state") else "actor's state" if state else None,
                              "category": to.get("category")},
            "date": claim.get("date"), "basis": list(claim.get("basis") or ()),
            "confidence": claim.get("confidence"), "source_url": claim.get("source_url"),
        })
    return sorted(out, key=lambda r: (r["date"] or "9999", r["attributed_by"]["name"] or ""))


def _who(record: dict[str, Any]) -> str:
    by = record["attributed_by"]
    name = by.get("name") or by.get("kind") or "unknown"
    return f"{name} ({by['kind']})" if by.get("kind") and by.get("name") else name


def agreement(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the claims agree and diverge: per state and per actor, who says so and how sure."""
    def side(key: Callable[[dict[str, Any]], str | None]) -> list[dict[str, Any]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        for record in claims:
            value = key(record)
            if value:
                grouped.setdefault(value, []).append(record)
        return [{"value": value, "claims": len(found), "by": [_who(r) for r in found],
                 "governments": sum(1 for r in found if str(r["attributed_by"].get("kind", "")).startswith("government")),
                 "first": min((r["date"] for r in found if r["date"]), default=None),
                 "confidence": sorted({r["confidence"] for r in found if r["confidence"]})}
                for value, found in sorted(grouped.items(), key=lambda kv: -len(kv[1]))]

    states = side(lambda r: r["attributed_to"]["state"])
    actors = side(lambda r: r["attributed_to"]["actor"] or r["attributed_to"]["group"])
    if not claims:
        summary = "No attribution claims are recorded for this incident."
    elif len(states) == 1 and len(actors) <= 1:
        summary = f"All {len(claims)} claim(s) agree: {states[0]['value']}" + (
            f" ({actors[0]['value']})" if actors else "") + "."
    elif len(states) > 1:
        summary = "The claims diverge on the state: " + "; ".join(
            f"{s['value']} by {', '.join(s['by'])}" for s in states) + "."
    elif states:
        summary = f"The claims agree on {states[0]['value']} but name different actors: " + "; ".join(
            f"{a['value']} by {', '.join(a['by'])}" for a in actors) + "."
    else:
        summary = "The claims name no state."
    return {"states": states, "actors": actors, "agree": len(states) <= 1 and len(actors) <= 1,
            "summary": summary}
