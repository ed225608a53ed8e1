"""Cited reports: one key per report, its publication date, and the links its text states.

ATT&CK cites a report on every ``uses`` relationship (``external_references``:
``source_name``, ``description``, ``url``) and inside descriptions as
``(Citation: source_name)``.  :func:`report_key` gives one key per report, so
that two source names for the same URL are one report (a leave-one-report-out
evaluation must remove both).

Dates (:func:`citation_date`), first match wins:

1. the ``(YYYY, Month DD)`` of the citation text (``Author. (2020, June 25). Title.``);
2. a year in the source name (``Symantec WastedLocker June 2020``);
3. the ``Retrieved Month DD, YYYY`` of the citation text, an upper bound;
4. the ``created`` date of the relationship citing it (done by the caller), also an upper bound.

:func:`segments` splits a description into sentences with their citations,
and the ATT&CK ids (``S0154``, ``G0007``) each sentence links to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}
_PUBLISHED = re.compile(r"\((\d{4})(?:,\s*([A-Za-z]+)\.?(?:\s+(\d{1,2}))?)?\)")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_RETRIEVED = re.compile(r"Retrieved\s+([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")
_CITATION_RUN = re.compile(r"(?:\s*\(Citation:[^)]*\))+")
_CITATION = re.compile(r"\(Citation:\s*([^)]*?)\s*\)")
_SOFTWARE_LINK = re.compile(r"attack\.mitre\.org/software/(S\d{4})")
_GROUP_LINK = re.compile(r"attack\.mitre\.org/groups/(G\d{4})")


@dataclass(frozen=True)
class CitationDate:
    """When a report was published, as far as its citation tells."""

    iso: str
    year: float
    basis: str


def report_key(source_name: str, url: str | None) -> str:
    """One key per report: its normalised URL when it has one, else its source name."""
    if url:
        address = url.strip().lower().split("://", 1)[-1]
        address = address.removeprefix("www.").rstrip("/")
        if address:
            return f"url:{address}"
    return f"src:{' '.join(source_name.split()).casefold()}"


def _fraction(year: int, month: int = 1, day: int = 1) -> float:
    return year + (month - 1) / 12 + (min(max(day, 1), 31) - 1) / 372


def _iso(year: int, month: int | None, day: int | None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def citation_date(source_name: str, description: str | None) -> CitationDate | None:
    """The publication date of a cited report, or None when the citation does not give one."""
    text = description or ""
    found = _PUBLISHED.search(text)
    if found:
        year = int(found.group(1))
        month = MONTHS.get((found.group(2) or "").casefold())
        day = int(found.group(3)) if month and found.group(3) else None
        return CitationDate(_iso(year, month, day), _fraction(year, month or 1, day or 1), "citation")
    in_name = _YEAR.search(source_name)
    if in_name:
        year = int(in_name.group(1))
        month = next((MONTHS[w] for w in re.findall(r"[A-Za-z]+", source_name.casefold()) if w in MONTHS), None)
        return CitationDate(_iso(year, month, None), _fraction(year, month or 1), "source name")
    retrieved = _RETRIEVED.search(text)
    if retrieved and retrieved.group(1).casefold() in MONTHS:
        year, month, day = int(retrieved.group(3)), MONTHS[retrieved.group(1).casefold()], int(retrieved.group(2))
        return CitationDate(_iso(year, month, day), _fraction(year, month, day), "retrieved (upper bound)")
    return None


def created_date(timestamp: str) -> CitationDate | None:
    """A STIX timestamp as a date whose basis is the ATT&CK object's creation (an upper bound)."""
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", timestamp or "")
    if not found:
        return None
    year, month, day = (int(part) for part in found.groups())
    return CitationDate(_iso(year, month, day), _fraction(year, month, day), "ATT&CK created (upper bound)")


@dataclass(frozen=True)
class Segment:
    """A stretch of description text, the citations that close it and the ATT&CK ids it links to."""

    citations: tuple[str, ...]
    software: tuple[str, ...]
    groups: tuple[str, ...]


def segments(description: str | None) -> list[Segment]:
    """The cited sentences of a description (text after the last citation is uncited and left out)."""
    found = []
    text = description or ""
    start = 0
    for run in _CITATION_RUN.finditer(text):
        sentence = text[start:run.start()]
        names = tuple(name for name in _CITATION.findall(run.group(0)) if name)
        found.append(Segment(names, tuple(dict.fromkeys(_SOFTWARE_LINK.findall(sentence))),
                             tuple(dict.fromkeys(_GROUP_LINK.findall(sentence)))))
        start = run.end()
    return found
