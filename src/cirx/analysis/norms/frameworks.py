"""The frameworks as data: UN norms, international-law rules, Budapest Convention, ICD 203, responses.

Each framework lives in a versioned YAML file under ``data/`` with its sources;
this module reads them on first use (never at import) and hands out small
immutable records.  Ids are stable: analyst judgements are stored under them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from cirx.errors import InvalidInput

STATUSES = ("implicated", "not_implicated", "cannot_tell")
JUSTIFICATIONS = ("countermeasures", "retorsion", "none", "cannot_tell")


@dataclass(frozen=True)
class Norm:
    """One of the 11 norms of the 2015 GGE report (A/70/174 para 13)."""

    id: str
    letter: str
    short_name: str
    kind: str
    summary: str
    state_conduct: bool
    cues: tuple[str, ...] = ()
    cue_patterns: tuple[str, ...] = ()
    capacity_threshold: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LegalRule:
    """A rule of international law an incident can engage (sovereignty, intervention...)."""

    id: str
    name: str
    summary: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    """An article of the Budapest Convention (offence or co-operation)."""

    id: str
    article: int
    title: str
    summary: str = ""
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Party:
    """A Party to the Budapest Convention and when the Convention entered into force for it."""

    iso2: str
    name: str
    in_force: str | None
    source: str
    verified: bool


@dataclass(frozen=True)
class ResponseType:
    """A rung of the response ladder."""

    id: str
    rank: int
    label: str
    legal_category: str


@dataclass(frozen=True)
class Likelihood:
    """An ICD 203 likelihood term."""

    id: str
    rank: int
    term: str
    min_pct: int
    max_pct: int


@functools.cache
def load(name: str) -> dict[str, Any]:
    """One framework file (``norms``, ``attribution``, ``budapest``, ``responses``) as plain data."""
    if not re.fullmatch(r"[a-z]+", name):
        raise InvalidInput(f"no framework file {name!r}")
    try:
        text = resources.files("cirx.analysis.norms").joinpath("data", f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no framework file {name!r}") from None
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def versions() -> dict[str, str]:
    """The version of each framework file, for stamping assessments."""
    return {name: str(load(name)["meta"]["version"]) for name in ("norms", "attribution", "budapest", "responses")}


@functools.cache
def norms() -> tuple[Norm, ...]:
    """The 11 GGE 2015 norms, 13(a) to 13(k)."""
    return tuple(
        Norm(id=n["id"], letter=n["letter"], short_name=n["short_name"], kind=n["kind"], summary=n["summary"],
             state_conduct=bool(n["state_conduct"]), cues=tuple(n.get("cues", ())),
             cue_patterns=tuple(n.get("cue_patterns", ())), capacity_threshold=dict(n.get("capacity_threshold") or {}))
        for n in load("norms")["norms"])


def norm(norm_id: str) -> Norm:
    """One norm by id (``gge2015-13f``) or letter (``f``)."""
    for found in norms():
        if norm_id in (found.id, found.letter):
            return found
    raise InvalidInput(f"no norm {norm_id!r}; ids run from gge2015-13a to gge2015-13k")


@functools.cache
def legal_rules() -> tuple[LegalRule, ...]:
    """The rules of international law cirx assesses, in output order."""
    return tuple(LegalRule(id=r["id"], name=r["name"], summary=r["summary"], sources=tuple(r["sources"]))
                 for r in load("norms")["international_law"])


@functools.cache
def offences() -> tuple[Article, ...]:
    """Budapest Convention offence articles 2 to 11."""
    return tuple(Article(id=a["id"], article=a["article"], title=a["title"], summary=a.get("summary", ""),
                         cues=tuple(a.get("cues", ()))) for a in load("budapest")["offences"])


def offence(article_id: str) -> Article:
    """One offence article by id (``art5``)."""
    for found in offences():
        if found.id == article_id:
            return found
    raise InvalidInput(f"no offence article {article_id!r}; ids run from art2 to art11")


@functools.cache
def cooperation_articles() -> tuple[Article, ...]:
    """The co-operation articles (23-35) open between two Parties."""
    return tuple(Article(id=a["id"], article=a["article"], title=a["title"]) for a in load("budapest")["cooperation"])


@functools.cache
def parties() -> dict[str, Party]:
    """Budapest Convention Parties by ISO code."""
    return {p["iso2"]: Party(iso2=p["iso2"], name=p["name"], in_force=p.get("in_force"), source=p["source"],
                             verified=bool(p["verified"])) for p in load("budapest")["parties"]}


def budapest_status(iso2: str, on: str | None = None) -> dict[str, Any]:
    """A country's status under the Convention, on a date (``YYYY-MM-DD``) or today.

    ``status``: ``party`` (in force for it on that date), ``party-later`` (it
    became a Party after the date), ``signatory`` or ``not-party``.
    """
    party = parties().get(iso2)
    if party is None:
        return {"status": "signatory" if iso2 in _signatories() else "not-party", "in_force": None}
    found: dict[str, Any] = {"in_force": party.in_force, "source": party.source, "verified": party.verified}
    if on and party.in_force and on[:10] < party.in_force:
        return {"status": "party-later", **found}
    return {"status": "party", **found}


@functools.cache
def _signatories() -> frozenset[str]:
    return frozenset(s["iso2"] for s in load("budapest")["signatories_not_ratified"])


@functools.cache
def ladder() -> dict[str, ResponseType]:
    """The response ladder by id, least escalatory first."""
    rungs = [ResponseType(id=r["id"], rank=int(r["rank"]), label=r["label"], legal_category=r["legal_category"])
             for r in load("responses")["ladder"]]
    return {r.id: r for r in sorted(rungs, key=lambda r: (r.rank, r.id))}


def response_type(type_id: str) -> ResponseType:
    """A rung of the ladder by id (``resp-10-targeted-sanctions``) or by its short id (``resp-10``)."""
    rungs = ladder()
    if type_id in rungs:
        return rungs[type_id]
    for rung in rungs.values():
        if rung.id.startswith(f"{type_id}-"):
            return rung
    raise InvalidInput(f"no response type {type_id!r}; see `cirx responses types`")


@functools.cache
def likelihoods() -> tuple[Likelihood, ...]:
    """ICD 203 likelihood terms, least likely first."""
    return tuple(Likelihood(id=t["id"], rank=int(t["rank"]), term=t["term"], min_pct=int(t["min_pct"]),
                            max_pct=int(t["max_pct"])) for t in load("attribution")["likelihood"])


def likelihood(term: str | int) -> Likelihood:
    """An ICD 203 term by id, words (``very likely``) or rank (clamped to 1-7)."""
    terms = likelihoods()
    if isinstance(term, int):
        return terms[min(max(term, 1), len(terms)) - 1]
    key = term.strip().lower().replace(" ", "-")
    for found in terms:
        if key == found.id:
            return found
    raise InvalidInput(f"no ICD 203 likelihood {term!r}; choose one of {', '.join(t.id for t in terms)}")
