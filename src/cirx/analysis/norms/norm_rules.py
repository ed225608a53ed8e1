"""The 11 GGE 2015 norms: for each, implicated / not implicated / cannot tell, and why.

A norm about State conduct (13 a, e, f, i, j, k) is implicated only when the
conduct fits and the incident is attributed to a State at the context's
threshold (an ICD 203 term); the conduct alone gives "cannot_tell".  Norms 13
c, d, g and h turn on what other States did: they read the incident's recorded
responses (a request refused or left unanswered) and the receivers' capacity
scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.features import Features, cue_hits

Finding = tuple[str, list[str]]
REQUEST_TYPES = ("resp-02-cert-cooperation", "resp-03-private-demarche", "resp-08-law-enforcement-disruption")
FAILED = ("refused", "unanswered")


@dataclass(frozen=True)
class Context:
    """What an assessment needs besides the incident: the attribution bar and other States' conduct."""

    threshold: str = "likely"
    responses: tuple[Mapping[str, Any], ...] = ()
    capacity: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def _state_conduct(f: Features, ctx: Context, conduct: list[str], absent: str) -> Finding:
    if not conduct:
        return "not_implicated", [absent]
    attribution = f.attribution
    bar = frameworks.likelihood(ctx.threshold).term
    if attribution.meets(ctx.threshold):
        return "implicated", [*conduct, f"attributed to {attribution.state} "
                                        f"({frameworks.likelihood(attribution.rank).term}; bar: {bar})"]
    return "cannot_tell", [*conduct, f"a norm on State conduct: no State attribution at '{bar}' or above",
                           *attribution.because]


def _cues(f: Features, norm_id: str) -> list[str]:
    norm = frameworks.norm(norm_id)
    return cue_hits(f, norm.cues, norm.cue_patterns)


def _requests(ctx: Context, to: tuple[str, ...]) -> list[Mapping[str, Any]]:
    """Recorded requests (CERT, diplomatic, law enforcement) addressed to one of the states ``to``."""
    return [r for r in ctx.responses if r.get("type") in REQUEST_TYPES and r.get("outcome")
            and (not to or r.get("target_country") in to)]


def norm_13a(f: Features, ctx: Context) -> Finding:
    """Harmful practices: indiscriminate, self-propagating operations across many states."""
    conduct: list[str] = []
    cues = _cues(f, "gge2015-13a")
    if f.disruptive and (cues or (len(f.receivers) >= 5 and f.types & {"malware", "ransomware", "data-destruction"})):
        conduct.append(f"indiscriminate disruptive effects in {len(f.receivers)} states"
                       + (f" (description: {', '.join(cues)})" if cues else ""))
    return _state_conduct(f, ctx, conduct, "no indiscriminate or self-propagating effects recorded")


def norm_13b(f: Features, ctx: Context) -> Finding:
    """All relevant information considered before attributing or responding."""
    official = [c for c in f.claims if (c.get("attributed_by") or {}).get("kind") in
                ("government", "governments-jointly", "international-organisation")]
    if not official:
        return "not_implicated", ["no State or international organisation attributed the incident"]
    bare = [c for c in official if not c.get("basis") and not c.get("confidence")]
    if bare:
        who = ", ".join(sorted({str((c.get("attributed_by") or {}).get("name") or
                                    (c.get("attributed_by") or {}).get("country") or "a government")
                                for c in bare}))
        return "implicated", [f"official attribution by {who} states neither basis nor confidence"]
    dates = sorted(str(c["date"]) for c in official if c.get("date"))
    early = [r for r in ctx.responses if int(r.get("rank") or 0) >= 7 and r.get("date") and dates
             and str(r["date"]) < dates[0]]
    if early:
        return "implicated", [f"{early[0]['type']} on {early[0]['date']} came before the first attribution "
                              f"({dates[0]})"]
    return "not_implicated", ["official attributions state their basis or confidence"]


def norm_13c(f: Features, ctx: Context) -> Finding:
    """Territory not knowingly used for wrongful acts by others."""
    origin = f.foreign_origin
    if f.initiator_category == "state":
        return "not_implicated", ["the initiator is a State itself: see the norms on State conduct"]
    if not origin:
        return "not_implicated", ["no foreign territory of origin recorded"]
    failed = [r for r in _requests(ctx, origin) if r.get("outcome") in FAILED]
    if failed:
        return "implicated", [f"operators act from {', '.join(origin)}; a request to {failed[0]['target_country']} "
                              f"was {failed[0]['outcome']}"]
    if f.initiator_category == "state-affiliated":
        return "implicated", [f"state-affiliated operators act from {', '.join(origin)}: at least tolerated "
                              "(state-encouraged or above on the spectrum of State responsibility)"]
    if f.disruptive or f.espionage:
        return "cannot_tell", [f"{f.initiator_category or 'unknown'} operators act from {', '.join(origin)}; "
                               "whether that State knew is not recorded"]
    return "not_implicated", ["no harmful activity from a foreign territory recorded"]


def norm_13d(f: Features, ctx: Context) -> Finding:
    """Co-operation against criminal use of ICTs."""
    criminal = f.initiator_category == "criminal" or bool(f.types & {"financial-theft", "fraud"})
    if not criminal:
        return "not_implicated", ["no criminal use of ICTs recorded"]
    origin = f.foreign_origin
    if not origin:
        return "not_implicated", ["no foreign state to co-operate with on the record"]
    asked = _requests(ctx, origin)
    failed = [r for r in asked if r.get("outcome") in FAILED]
    if failed:
        return "implicated", [f"criminal operators in {', '.join(origin)}; a request to {failed[0]['target_country']} "
                              f"({failed[0]['type']}) was {failed[0]['outcome']}"]
    helped = [r for r in asked if r.get("outcome") == "granted"]
    acted = [r for r in ctx.responses if r.get("actor_country") in origin and r.get("type") in
             ("resp-07-indictment", "resp-08-law-enforcement-disruption")]
    if helped or acted:
        return "not_implicated", [f"{', '.join(origin)} co-operated or acted against the operators"]
    return "cannot_tell", [f"criminal operators in {', '.join(origin)}; no request or co-operation recorded"]


def norm_13e(f: Features, ctx: Context) -> Finding:
    """Human rights and privacy respected."""
    conduct = []
    if f.civil_society:
        conduct.append(f"civil society or individuals targeted ({', '.join(sorted(f.civil_society))})")
    if f.media and (f.disruptive or f.espionage or "doxing" in f.types):
        conduct.append("media targeted")
    cues = _cues(f, "gge2015-13e")
    if cues:
        conduct.append(f"description mentions {', '.join(cues)}")
    return _state_conduct(f, ctx, conduct, "no journalists, dissidents, civil society or individuals targeted")


def norm_13f(f: Features, ctx: Context) -> Finding:
    """No damage to critical infrastructure serving the public."""
    conduct = []
    if f.public_ci and (f.disruptive or f.physical):
        effects = sorted((f.effects & {"disruption", "destruction", "physical-damage"}) or
                         (f.types & {"disruption", "ddos", "sabotage", "ransomware", "data-destruction"}))
        conduct.append(f"critical infrastructure serving the public ({', '.join(sorted(f.public_ci))}) "
                       f"impaired: {', '.join(effects)}")
    absent = ("critical infrastructure entered but not impaired (espionage)" if f.public_ci
              else "no critical infrastructure serving the public hit")
    return _state_conduct(f, ctx, conduct, absent)


def norm_13g(f: Features, ctx: Context) -> Finding:
    """Own critical infrastructure protected (a capacity question, not wrongdoing)."""
    if not f.public_ci:
        return "not_implicated", ["no critical infrastructure hit"]
    threshold = frameworks.norm("gge2015-13g").capacity_threshold
    index, below = str(threshold.get("index", "gci")), float(threshold.get("below", 20.0))
    scores = {c: ctx.capacity.get(c, {}).get(index) for c in f.receivers}
    low = {c: s for c, s in scores.items() if s is not None and s < below}
    if low:
        return "implicated", [f"critical infrastructure hit in {c}, whose {index.upper()} score {s:g} is below "
                              f"{below:g}: a capacity gap" for c, s in sorted(low.items())]
    if not scores or None in scores.values():
        return "cannot_tell", [f"critical infrastructure hit; no {index.upper()} score for "
                               f"{', '.join(c for c, s in scores.items() if s is None) or 'the receiver'}"]
    return "not_implicated", [f"{index.upper()} scores of {', '.join(f'{c} {s:g}' for c, s in sorted(scores.items()))}"
                              f" show protective capacity"]


def norm_13h(f: Features, ctx: Context) -> Finding:
    """Appropriate requests for assistance answered."""
    if not f.public_ci:
        return "not_implicated", ["no critical infrastructure attacked"]
    asked = _requests(ctx, ())
    failed = [r for r in asked if r.get("outcome") in FAILED]
    if failed:
        return "implicated", [f"critical infrastructure attacked; a request for assistance to "
                              f"{failed[0].get('target_country') or 'another state'} was {failed[0]['outcome']}"]
    if [r for r in asked if r.get("outcome") == "granted"]:
        return "not_implicated", ["requests for assistance were answered"]
    return "cannot_tell", ["critical infrastructure attacked; no request for assistance recorded"]


def norm_13i(f: Features, ctx: Context) -> Finding:
    """Supply-chain integrity."""
    cues = _cues(f, "gge2015-13i")
    conduct = ["supply chain compromised" + (f" (description: {', '.join(cues)})" if cues else "")] \
        if cues or "supply-chain" in f.vectors else []
    return _state_conduct(f, ctx, conduct, "no supply-chain compromise recorded")


def norm_13j(f: Features, ctx: Context) -> Finding:
    """Responsible reporting of vulnerabilities."""
    cues = _cues(f, "gge2015-13j")
    conduct = ["undisclosed vulnerabilities exploited" + (f" (description: {', '.join(cues)})" if cues else "")] \
        if cues or "zero-day" in f.vectors else []
    return _state_conduct(f, ctx, conduct, "no zero-day or leaked exploit recorded")


def norm_13k(f: Features, ctx: Context) -> Finding:
    """No harm to CERTs/CSIRTs."""
    conduct = ["a CERT/CSIRT was targeted"] if _cues(f, "gge2015-13k") or "cert" in f.sectors else []
    return _state_conduct(f, ctx, conduct, "no CERT or CSIRT targeted")


RULES: dict[str, Callable[[Features, Context], Finding]] = {
    "gge2015-13a": norm_13a, "gge2015-13b": norm_13b, "gge2015-13c": norm_13c, "gge2015-13d": norm_13d,
    "gge2015-13e": norm_13e, "gge2015-13f": norm_13f, "gge2015-13g": norm_13g, "gge2015-13h": norm_13h,
    "gge2015-13i": norm_13i, "gge2015-13j": norm_13j, "gge2015-13k": norm_13k,
}
