"""An incident's assessment under international law, the UN norms and the Budapest Convention.

:func:`assess` is pure: an incident (STIX dict with cirx's IR extension) and a
:class:`Context` in, JSON-ready data out, in the shape ``cirx assess --json``
prints.  :func:`apply_judgements` lays analysts' confirmations and overrides
over it, keeping each one's author and the computed value it replaced.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from cirx.analysis.norms import frameworks, legal, norm_rules, offences
from cirx.analysis.norms.features import Features, features
from cirx.analysis.norms.norm_rules import Context
from cirx.errors import InvalidInput

__all__ = ["Context", "apply_judgements", "assess", "assess_features", "check_judgement", "subjects"]


def assess(incident: dict[str, Any], context: Context | None = None) -> dict[str, Any]:
    """The assessment of one incident (see :func:`assess_features`)."""
    return assess_features(features(incident), context or Context())


def assess_features(f: Features, ctx: Context) -> dict[str, Any]:
    """International law, response justification, the 11 norms and offence articles 2-11, each with its reasons."""
    il = {rule.id: legal.RULES[rule.id](f) for rule in frameworks.legal_rules()}
    attributed = f.attribution.meets(ctx.threshold)
    justification, why = legal.justification(attributed, legal.breach({k: s for k, (s, _) in il.items()}))
    norms = {}
    for norm in frameworks.norms():
        status, because = norm_rules.RULES[norm.id](f, ctx)
        norms[norm.id] = {"status": status, "because": because, "state_conduct": norm.state_conduct}
    return {
        "incident": f.incident_id,
        "name": f.name,
        "external_ids": list(f.external_ids),
        "start_date": f.start_date,
        "attribution": {**f.attribution.as_dict(), "threshold": ctx.threshold, "state_attributed": attributed},
        "international_law": {k: s for k, (s, _) in il.items()},
        "international_law_because": {k: b for k, (_, b) in il.items()},
        "response_justification": justification,
        "response_justification_because": why,
        "norms": norms,
        "budapest": offences.assess_offences(f),
        "budapest_parties": offences.parties(f),
        "overrides": [],
        "frameworks": frameworks.versions(),
    }


def subjects() -> dict[str, tuple[str, ...]]:
    """Every judgement subject an analyst can confirm or override, with its allowed values."""
    found: dict[str, tuple[str, ...]] = {f"international_law.{r.id}": frameworks.STATUSES
                                         for r in frameworks.legal_rules()}
    found["response_justification"] = frameworks.JUSTIFICATIONS
    found.update({f"norms.{n.id}": frameworks.STATUSES for n in frameworks.norms()})
    found.update({f"budapest.{a.id}": frameworks.STATUSES for a in frameworks.offences()})
    return found


def check_judgement(subject: str, status: str) -> tuple[str, str]:
    """``(subject, status)`` normalised (``13f`` -> ``norms.gge2015-13f``); raises InvalidInput otherwise."""
    subject = subject.strip()
    known = subjects()
    if subject not in known:
        for prefix in ("norms.", "norms.gge2015-", "international_law.", "budapest."):
            if prefix + subject in known:
                subject = prefix + subject
                break
        else:
            raise InvalidInput(f"nothing to judge called {subject!r}; choose one of: {', '.join(known)}")
    status = status.strip().lower().replace("-", "_").replace(" ", "_")
    if status not in known[subject]:
        raise InvalidInput(f"{subject} takes one of {', '.join(known[subject])}, not {status!r}")
    return subject, status


def _value(result: dict[str, Any], subject: str) -> str:
    if subject == "response_justification":
        return str(result[subject])
    section, key = subject.split(".", 1)
    value = result[section][key]
    return str(value["status"] if isinstance(value, dict) else value)


def _set(result: dict[str, Any], subject: str, status: str) -> None:
    if subject == "response_justification":
        result[subject] = status
        return
    section, key = subject.split(".", 1)
    if isinstance(result[section][key], dict):
        result[section][key]["status"] = status
    else:
        result[section][key] = status


def apply_judgements(result: dict[str, Any], judgements: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The assessment with analysts' judgements applied (the latest per subject wins; oldest first in).

    Each judgement: ``subject``, ``status``, ``author``, optional ``reason`` and
    ``at``.  The result lists every applied one under ``overrides`` with the
    computed value, and marks the item itself with ``computed`` and ``judged_by``.
    An override of a rule of international law re-derives the response
    justification unless that is judged too.
    """
    latest: dict[str, Mapping[str, Any]] = {}
    for judgement in judgements:
        latest[str(judgement["subject"])] = judgement
    if not latest:
        return result
    out = copy.deepcopy(result)
    overrides = []
    for subject, judgement in latest.items():
        subject, status = check_judgement(subject, str(judgement["status"]))
        computed = _value(out, subject)
        _set(out, subject, status)
        section, _, key = subject.partition(".")
        item = out[section][key] if key and isinstance(out[section][key], dict) else None
        if item is not None:
            item.update({"computed": computed, "judged_by": judgement.get("author")})
        overrides.append({"subject": subject, "status": status, "computed": computed,
                          "kind": "confirmed" if status == computed else "overridden",
                          "author": judgement.get("author"), "reason": judgement.get("reason"),
                          "at": judgement.get("at")})
    if "response_justification" not in latest and any(s.startswith("international_law.") for s in latest):
        breached = legal.breach(out["international_law"])
        derived, why = legal.justification(bool(out["attribution"]["state_attributed"]), breached)
        if derived != out["response_justification"]:
            out["response_justification"] = derived
            out["response_justification_because"] = [*why, "re-derived after an analyst's judgement"]
    out["overrides"] = sorted(overrides, key=lambda o: o["subject"])
    return out
