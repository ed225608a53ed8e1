"""Budapest Convention: which offence articles (2-11) an incident's conduct fits, and who is a Party.

The Convention criminalises conduct of persons under each Party's law; whether
it applies depends on the States involved being Parties on the incident's date,
which also decides whether the co-operation articles (extradition, mutual
assistance, preservation, the 24/7 network) are open between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.features import Features, cue_hits

Finding = tuple[str, list[str]]


def _cues(f: Features, article: str) -> list[str]:
    return cue_hits(f, frameworks.offence(article).cues)


def _types(f: Features, wanted: set[str]) -> list[str]:
    return sorted(f.types & wanted)


def art2(f: Features) -> Finding:
    """Illegal access."""
    if f.access:
        return "implicated", [f"systems entered without right ({', '.join(_types(f, set(f.types)))})"]
    if not f.types:
        return "cannot_tell", ["no incident type recorded"]
    return "not_implicated", [f"{', '.join(sorted(f.types))} enters no system"]


def art3(f: Features) -> Finding:
    """Illegal interception."""
    cues = _cues(f, "art3")
    if cues:
        return "implicated", [f"transmissions intercepted (description: {', '.join(cues)})"]
    if f.espionage:
        return "cannot_tell", ["data taken; whether in transmission (interception) or stored is not recorded"]
    return "not_implicated", ["no data taken in transmission"]


def art4(f: Features) -> Finding:
    """Data interference."""
    found = _types(f, {"ransomware", "defacement", "sabotage", "data-destruction"})
    if found or f.destructive:
        return "implicated", [f"data deleted, altered or suppressed ({', '.join(found or ['destruction'])})"]
    if "disruption" in f.types and not f.types & {"ddos"}:
        return "cannot_tell", ["disruption recorded; whether data were altered is not"]
    return "not_implicated", ["no data altered, deleted or suppressed"]


def art5(f: Features) -> Finding:
    """System interference."""
    found = _types(f, {"ddos", "disruption", "sabotage", "ransomware"})
    if found or "disruption" in f.effects:
        return "implicated", [f"systems seriously hindered ({', '.join(found or ['disruption'])})"]
    return "not_implicated", ["no hindering of systems recorded"]


def art6(f: Features) -> Finding:
    """Misuse of devices."""
    found = _types(f, {"malware", "ransomware", "ddos", "data-destruction"})
    if found:
        return "implicated", [f"tools made for offences under arts 2-5 were used, so possessed ({', '.join(found)})"]
    if f.access:
        return "cannot_tell", ["access gained; the tools or credentials used are not recorded"]
    return "not_implicated", ["no offensive tools or access credentials used"]


def art7(f: Features) -> Finding:
    """Computer-related forgery."""
    cues = _cues(f, "art7")
    if cues or "fraud" in f.types:
        return "implicated", [f"inauthentic data made to pass as authentic ({', '.join(cues or ['fraud'])})"]
    if "doxing" in f.types and f.information_operation:
        return "cannot_tell", ["leaked data used in an influence operation; alteration not recorded"]
    return "not_implicated", ["no inauthentic data created"]


def art8(f: Features) -> Finding:
    """Computer-related fraud."""
    found = _types(f, {"financial-theft", "fraud", "ransomware"})
    cues = _cues(f, "art8")
    if found or cues:
        return "implicated", [f"economic gain by manipulating data or systems ({', '.join(found + cues)})"]
    if f.initiator_category == "criminal" and f.espionage:
        return "cannot_tell", ["criminal data theft; whether it served an economic gain is not recorded"]
    return "not_implicated", ["no economic gain sought by manipulating data or systems"]


def art9(f: Features) -> Finding:
    """Child sexual abuse material."""
    cues = _cues(f, "art9")
    if cues:
        return "implicated", [f"child sexual abuse material ({', '.join(cues)})"]
    return "not_implicated", ["no child sexual abuse material involved"]


def art10(f: Features) -> Finding:
    """Copyright infringement at commercial scale."""
    cues = _cues(f, "art10")
    if cues:
        return "implicated", [f"commercial-scale infringement ({', '.join(cues)})"]
    return "not_implicated", ["no copyright infringement involved"]


def art11(f: Features, found: dict[str, str]) -> Finding:
    """Attempt, and aiding or abetting offences under arts 2-10."""
    offences = sorted(a for a, s in found.items() if s == "implicated")
    cues = _cues(f, "art11")
    if cues:
        return "implicated", [f"an attempt ({', '.join(cues)})"]
    if offences and f.initiator_category == "state-affiliated" and f.attribution.state:
        return "implicated", [f"a State ({f.attribution.state}) reportedly supports the operators: aiding or "
                              f"abetting {', '.join(offences)}"]
    return "not_implicated", ["no attempt or third-party support recorded"]


RULES: dict[str, Callable[[Features], Finding]] = {
    "art2": art2, "art3": art3, "art4": art4, "art5": art5, "art6": art6, "art7": art7, "art8": art8,
    "art9": art9, "art10": art10,
}


def assess_offences(f: Features) -> dict[str, dict[str, Any]]:
    """``{"art2": {"status", "because"}, ..., "art11": ...}``."""
    results = {article: rule(f) for article, rule in RULES.items()}
    results["art11"] = art11(f, {a: s for a, (s, _) in results.items()})
    return {a: {"status": s, "because": b} for a, (s, b) in results.items()}


def parties(f: Features) -> dict[str, Any]:
    """Each state's Budapest status on the incident's date, and whether co-operation is open."""
    on = f.start_date
    status = {c: frameworks.budapest_status(c, on) for c in dict.fromkeys(f.initiators + f.receivers)}
    is_party = {c for c, s in status.items() if s["status"] == "party"}
    origin = f.foreign_origin
    if not origin or not f.receivers:
        cooperation: dict[str, Any] = {"available": None, "because": ["origin or receiver state not recorded"]}
    else:
        pairs = [(a, b) for a in origin for b in f.receivers if a in is_party and b in is_party]
        cooperation = {
            "available": bool(pairs),
            "articles": [a.id for a in frameworks.cooperation_articles()] if pairs else [],
            "because": [f"{a} and {b} are both Parties on {on or 'today'}" for a, b in pairs]
            or [f"not both Parties on {on or 'today'}: "
                + ", ".join(f"{c} {status[c]['status']}" for c in (*origin, *f.receivers))],
        }
    return {"states": status, "cooperation": cooperation}
