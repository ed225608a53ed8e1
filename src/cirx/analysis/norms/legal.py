"""International law: which rules an incident engages, and which responses that justifies.

Each rule returns ``(status, because)``: ``implicated``, ``not_implicated`` or
``cannot_tell``, with the incident features that led there.  The rules judge
the conduct; whether it is a State's is the attribution's question, and the
two together give the response justification (EuRepoC's logic).
"""

from __future__ import annotations

from collections.abc import Callable

from cirx.analysis.norms.features import EXTRA_CUES, Features, cue_hits

Finding = tuple[str, list[str]]
PERSONAL_DATA = EXTRA_CUES


def sovereignty(f: Features) -> Finding:
    """Tallinn 2.0 rule 4: interference with systems on another State's territory."""
    if not f.receivers:
        return "cannot_tell", ["no receiver state recorded: no territory to assess"]
    if f.domestic:
        return "not_implicated", [f"initiators ({', '.join(f.initiators)}) act inside their own state: "
                                  "sovereignty is owed between states"]
    where = ", ".join(f.receivers)
    if f.access or f.disruptive:
        what = "disrupted or damaged systems" if f.disruptive else "entered systems without right"
        origin = f"from {', '.join(f.foreign_origin)}" if f.foreign_origin else "from an unrecorded origin"
        return "implicated", [f"the operation {what} in {where} {origin}",
                              "any unauthorised intrusion counts (France 2019); the UK reads sovereignty "
                              "as no stand-alone rule"]
    if f.information_operation:
        return "cannot_tell", ["an influence operation without recorded intrusion or disruption"]
    return "cannot_tell", ["no intrusion, disruption or damage recorded"]


def prohibition_of_intervention(f: Features) -> Finding:
    """ICJ Nicaragua / Tallinn 2.0 rule 66: coercion in a State's domaine réservé."""
    if not f.receivers or f.domestic:
        return "not_implicated", ["no foreign state's choices at stake (domestic or no receiver state)"]
    political = sorted(f.sectors & {"elections", "political-party", "legislature"})
    if political and (f.disruptive or "doxing" in f.types or f.information_operation):
        return "implicated", [f"the political system was hit ({', '.join(political)}): elections and political "
                              "choices are the core of the domaine réservé"]
    if f.destructive and (f.public_ci or f.government):
        hit = sorted(f.public_ci | f.government)
        return "implicated", [f"destructive effects on {', '.join(hit)}: coercive pressure on the state"]
    if f.disruptive and f.government:
        return "cannot_tell", [f"disruption of government ({', '.join(sorted(f.government))}); coercion of a "
                               "sovereign choice is not evident from the record"]
    if f.espionage and not f.disruptive:
        return "not_implicated", ["espionage without coercive effect (Tallinn 2.0 rule 32)"]
    return "not_implicated", ["no coercive effect on a sovereign choice recorded"]


def due_diligence(f: Features) -> Finding:
    """Tallinn 2.0 rules 6-7: a State must stop serious harm from its territory once it knows."""
    category = f.initiator_category or "unknown"
    if f.initiator_category == "state":
        return "not_implicated", ["the initiator is coded as a state: its own conduct, not due diligence"]
    origin = f.foreign_origin
    if not origin:
        why = "domestic operation" if f.domestic else "no territory of origin recorded"
        return "not_implicated", [f"{why}: no other state's due-diligence obligation is engaged on this record"]
    if f.disruptive or f.physical:
        return "implicated", [f"{category} operators acting from {', '.join(origin)} caused disruptive effects "
                              f"in {', '.join(f.receivers) or 'another state'}",
                              "the territorial state must take feasible measures once it knows"]
    return "not_implicated", [f"{category} operators from {', '.join(origin)}, but no serious adverse "
                              "consequences (disruption, damage) recorded"]


def human_rights(f: Features) -> Finding:
    """ICCPR arts 17, 19, 25 and ICESCR art 12, online."""
    because: list[str] = []
    if f.civil_society:
        because.append(f"civil society or individuals targeted ({', '.join(sorted(f.civil_society))}): "
                       "privacy and expression (ICCPR 17, 19)")
    personal = cue_hits(f, PERSONAL_DATA)
    if personal and (f.espionage or "doxing" in f.types):
        because.append(f"personal data taken or published ({', '.join(personal)}): privacy (ICCPR 17)")
    if "political-opposition" in f.sectors or "elections" in f.sectors:
        because.append("political participation at stake (ICCPR 25)")
    if "health" in f.sectors and (f.disruptive or f.espionage):
        because.append("health services disrupted or health data taken: right to health (ICESCR 12)")
    if f.media and (f.disruptive or "doxing" in f.types):
        because.append("media disrupted or exposed: freedom of expression (ICCPR 19)")
    if because:
        return "implicated", because
    return "not_implicated", ["no individuals, civil society, media or health services affected on the record"]


def use_of_force(f: Features) -> Finding:
    """UN Charter art 2(4); Tallinn 2.0 rules 68-69 (scale and effects)."""
    if f.physical and (f.destructive or "sabotage" in f.types):
        return "implicated", ["physical damage from a destructive operation: scale and effects comparable to "
                              "a kinetic attack"]
    if f.physical:
        return "cannot_tell", ["physical effects recorded; whether their scale compares to a kinetic attack "
                               "is not on the record"]
    if f.destructive and len(f.public_ci) >= 2:
        return "cannot_tell", [f"destruction across critical infrastructure ({', '.join(sorted(f.public_ci))}) "
                               "without recorded physical damage"]
    return "not_implicated", ["no death, injury or physical destruction recorded"]


RULES: dict[str, Callable[[Features], Finding]] = {
    "sovereignty": sovereignty,
    "prohibition_of_intervention": prohibition_of_intervention,
    "due_diligence": due_diligence,
    "human_rights": human_rights,
    "use_of_force": use_of_force,
}


def breach(statuses: dict[str, str]) -> bool | None:
    """Whether the findings show a breach: True, False, or None when they cannot tell."""
    if "implicated" in statuses.values():
        return True
    if "cannot_tell" in statuses.values():
        return None
    return False


def justification(state_attributed: bool, breached: bool | None) -> Finding:
    """EuRepoC's logic: attribution and breach -> countermeasures; one -> retorsion; neither -> none."""
    if breached is None:
        return "cannot_tell", ["whether international law was breached cannot be told from the record"]
    who = "attributed to a State" if state_attributed else "not attributed to a State"
    what = "breaches international law" if breached else "shows no breach of international law"
    if state_attributed and breached:
        return "countermeasures", [f"conduct {who} that {what}: proportionate countermeasures are open "
                                   "(ARSIWA arts 22, 49-54)"]
    if state_attributed or breached:
        return "retorsion", [f"conduct {who} that {what}: only unfriendly but lawful acts (retorsion)"]
    return "none", [f"conduct {who} that {what}: no response is justified under international law"]
