"""Import the Dyadic Cyber Incident and Dispute Dataset (DCID) 2.0.

Two files.  The June 2020 release (``dcid_2.0_release_june2020_incidents.csv``)
lists the 429 incidents, one row each, between the states of 40 rival dyads:
``StateA``/``StateB`` are the dyad, ``initiator`` is the COW code of the state
that acted and the receiver is the other state of the pair.

The February 2023 update (``dcid_2.0_update_feb2023.csv``) is not a new list of
incidents but an action-reaction panel built on them: 431 numbered pairs of
rows, the first an incident (428 of the 429 of 2020 by dyad and name; OnionDog
is missing) and the second the other state's next move -- another cyber
incident or "No Cyber" -- each with an explicit ``target`` code, a
``Cyber_escalation`` flag and diplomatic (D*), economic (E*) and military (M*)
response codes, negative (-) and positive (+), summed in ``Conv_escalation`` /
``Conv_descalation``.  Its numbering follows the 2020 one up to pair 88 and
then drifts, so rows are matched by dyad and name, not by number.

What is imported: one incident per 2020 row (``external_id`` = its
``Cyberincidentnum``); the update's pair (its codes and the response row) goes
to ``original_values["dcid"]["feb2023"]`` for the responses feature.  The
update also corrects three initiators that the 2020 release codes outside the
dyad (Turkish DNS attack-Iraq, Loggerhead DNS attack-Syria, Operation
Sidecopy_A); the corrected code is used and the 2020 one kept.  One more,
"BlockBuster Sequel China-South Korea", is coded 731 (North Korea) in both files
though its dyad, name and political objective ("China targets South Korean
companies") all say China: where the code is outside the dyad and the row's name
(and its objective, where it names either state) names one of the dyad's states
first, that state is used, with a note.  Incidents that
appear only in the update (as responses: "AE", "BR", "NFPC"...) are noted, not
imported: they have no sources, no end date and unstable names.
"""

from __future__ import annotations

import copy
import csv
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cirx.errors import InvalidObject, NotFound
from cirx.ingest.eurepoc import (
    RowError,
    compact,
    iso_date,
    mapped,
    note_unmapped,
    to_number,
    unique,
    url_sources,
)
from cirx.ingest.report import ImportReport
from cirx.model.countries import countries_in, to_iso2
from cirx.model.incident import make_incident
from cirx.model.vocab import (
    effects_from,
    incident_types_from,
    initiator_category_from,
    receiver_categories_from,
    sectors_from,
)

SOURCE = "dcid"
CLAIMANT = "DCID 2.0 (Maness, Valeriano, Hedgecock, Jensen)"
RELEASE_2020 = "2020-06-01T00:00:00.000Z"  # DCID 2.0 public release, June 2020
RELEASE_2023 = "2023-02-01T00:00:00.000Z"  # its update of February 2023
REQUIRED = ("Cyberincidentnum", "Dyadpair", "StateA", "StateB", "Name", "interactionstartdate",
            "method", "targettype", "initiator", "severity")
_KEPT = ("Dyadpair", "StateA", "StateB", "interactionstartdate", "interactionenddate", "method",
         "targettype", "initiator", "cyber_objective", "information_operation",
         "objective_achievement", "Concession", "3rdpartyinitiator", "severity", "damage type",
         "Crit Inf", "Supply Ch", "Ransomware")
_UPDATE_ROW = ("Name", "interactionstartdate", "method", "targettype", "initiator", "target",
               "cyber_objective", "severity")
_OFFICIAL = ("Justice", "Cert", "FBI")  # columns of US government publications


def read_dcid(path: Path, report: ImportReport) -> Iterator[dict[str, Any]]:
    """Yield one STIX 2.1 incident (dict) per incident of the DCID 2.0 June 2020 release.

    ``path``: the DCID folder (the release and, when present, the Feb 2023
    update are read) or the release CSV alone.  Bad rows are rejected on
    ``report`` and skipped.
    """
    release, update = _locate(Path(path), report)
    if release is None:
        return
    pairs = _read_update(update, report) if update else {}
    modified = RELEASE_2023 if update else RELEASE_2020
    unmapped: dict[str, Counter[str]] = defaultdict(Counter)
    seen: dict[str, int] = {}
    matched: set[tuple[str, str]] = set()
    with release.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or ()]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            report.reject(InvalidObject(release.name, missing[0],
                                        f"column(s) {', '.join(missing)} missing from the header"))
            return
        reader.fieldnames = header
        for number, row in enumerate(reader, start=2):
            ident = (row.get("Cyberincidentnum") or "").strip()
            try:
                incident = _incident(row, number, seen, pairs, matched, modified, unmapped, report)
            except RowError as problem:
                report.read += 1  # rejected rows count here; the writer counts the yielded ones
                report.reject(InvalidObject(f"dcid row {number} (Cyberincidentnum {ident or '?'})",
                                            problem.column, problem.reason))
                continue
            yield incident
    left = sorted(k for k in pairs if k not in matched)
    if left:
        report.note(f"dcid: {len(left)} incident(s) of the Feb 2023 update are not in the June "
                    f"2020 release and were not imported: "
                    + ", ".join(f"{pairs[k]['incident']['Name']!r} (dyad {k[0]})" for k in left))
    note_unmapped(report, SOURCE, unmapped)


def name_key(dyad: str, name: str) -> tuple[str, str]:
    """How a 2023 update row is matched to a 2020 incident: the dyad and the normalised name."""
    return dyad.strip().removesuffix(".0"), " ".join(name.lower().split())


def _incident(row: dict[str, str], number: int, seen: dict[str, int],
              pairs: dict[tuple[str, str], dict[str, Any]], matched: set[tuple[str, str]],
              modified: str, unmapped: dict[str, Counter[str]],
              report: ImportReport) -> dict[str, Any]:
    ident = (row.get("Cyberincidentnum") or "").strip().removesuffix(".0")
    if not ident.isdigit():
        raise RowError("Cyberincidentnum", f"{ident!r} is not an incident number")
    if ident in seen:
        raise RowError("Cyberincidentnum", f"{ident} repeats row {seen[ident]}")
    seen[ident] = number
    name = (row.get("Name") or "").strip()
    if not name:
        raise RowError("Name", "the incident has no name")
    dyad: list[str] = []
    for column in ("StateA", "StateB"):
        code = to_iso2((row.get(column) or "").strip())
        if code is None:
            raise RowError(column, f"{row.get(column)!r} names no state")
        dyad.append(code)
    initiator = _cow(row, "initiator")
    key = name_key(row.get("Dyadpair") or "", name)
    pair = pairs.get(key)
    if pair is not None:
        matched.add(key)
        corrected = to_iso2(pair["incident"].get("initiator") or "")
        if initiator not in dyad and corrected in dyad:
            report.note(f"dcid row {number} ({name!r}): initiator {row.get('initiator')} is not in "
                        f"the dyad; the Feb 2023 update's {pair['incident']['initiator']} is used")
            initiator = corrected
    if initiator not in dyad:
        named = _named_actor(dyad, name, row.get("Political Objective") or "")
        if named is not None:
            report.note(f"dcid row {number} ({name!r}): initiator {row.get('initiator')} is not in the "
                        f"dyad; the row's name and political objective name {named} as the state that "
                        "acted, so it is used (the code is kept in the original values)")
            initiator = named
    receivers = [code for code in dyad if code != initiator] if initiator in dyad else []
    if initiator not in dyad:
        report.note(f"dcid row {number} ({name!r}): initiator {row.get('initiator')} is not one "
                    "of the dyad's states; no receiver recorded")
    severity = to_number(row.get("severity"), "severity")
    method, objective = (row.get("method") or "").strip(), (row.get("cyber_objective") or "").strip()
    types = mapped(incident_types_from, SOURCE, method, unmapped, "method")
    types += mapped(incident_types_from, "dcid-objective", objective, unmapped, "cyber_objective")
    if (row.get("Ransomware") or "").strip() == "1":
        types.append("ransomware")
    if (row.get("information_operation") or "").strip() == "1":
        types.append("information-operation")
    target = (row.get("targettype") or "").strip()
    critical = (row.get("Crit Inf") or "").strip()
    try:
        category = initiator_category_from(SOURCE, (row.get("3rdpartyinitiator") or "0").strip())
    except LookupError:
        raise RowError("3rdpartyinitiator", f"{row.get('3rdpartyinitiator')!r} is not 0 or 1") from None
    official = [row.get(c) or "" for c in _OFFICIAL]
    sources = url_sources([row.get(f"Sources{i}") or "" for i in range(1, 6)] + official)
    official_urls = {s["url"] for s in url_sources(official)}
    for source in sources:
        # DCID singles these out as US government publications: graded B (usually reliable)
        if source["url"] in official_urls and source["name"].endswith((".gov", ".mil")):
            source["reliability"] = "B"
    original: dict[str, Any] = {c: (row.get(c) or "").strip() for c in _KEPT if (row.get(c) or "").strip()}
    if pair is not None:
        original["feb2023"] = copy.deepcopy(pair)  # each incident owns its values
    ir = {
        "initiator_countries": [initiator] if initiator else [],
        "receiver_countries": receivers,
        "initiator_category": category,
        "receiver_categories": receiver_categories_from(SOURCE, target),
        "sectors": unique(sectors_from(SOURCE, target)
                          + sectors_from("dcid-critical-infrastructure", critical)),
        "incident_types": unique(types),
        "effects": unique(effects_from("dcid-objective", objective)
                          + effects_from(SOURCE, row.get("information_operation") or "",
                                         "information_operation")),
        "start_date": iso_date(row.get("interactionstartdate"), "interactionstartdate"),
        "end_date": iso_date(row.get("interactionenddate"), "interactionenddate"),
        "intensity": {"value": severity, "scale": "dcid-severity"} if severity is not None else None,
        "sources": sources,
        "attribution_claims": [{"attributed_by": {"kind": "researcher", "name": CLAIMANT},
                                "attributed_to": {"state": initiator, "category": category}}]
        if initiator else [],
        "original_values": {SOURCE: original},
    }
    return make_incident(source=SOURCE, external_id=ident, name=name, modified=modified,
                         description=(row.get("Political Objective") or "").strip() or None,
                         ir=compact(ir))


def _named_actor(dyad: list[str], name: str, objective: str) -> str | None:
    """The dyad state that the incident's name (and its political objective, where it names one)
    names first, as in "BlockBuster Sequel China-South Korea"; None when they disagree or name none."""
    firsts = [next(iter(_dyad_states_named(text, dyad)), None) for text in (name, objective)]
    named = {state for state in firsts if state}
    return named.pop() if len(named) == 1 and firsts[0] else None


def _dyad_states_named(text: str, dyad: list[str]) -> Iterator[str]:
    """The dyad's states in the order the text names them ("China-South Korea": words split at hyphens)."""
    return (state for state in countries_in(text, word=_UNHYPHENATED) if state in dyad)


_UNHYPHENATED = re.compile(r"[A-Za-z][A-Za-z'’.&]*")


def _cow(row: dict[str, str], column: str) -> str | None:
    text = (row.get(column) or "").strip()
    if not re.fullmatch(r"\d+(\.0)?", text):
        raise RowError(column, f"{text!r} is not a Correlates-of-War state code")
    code = to_iso2(text)
    if code is None:
        raise RowError(column, f"{text!r} is not a Correlates-of-War state code cirx knows")
    return code


def _read_update(path: Path, report: ImportReport) -> dict[tuple[str, str], dict[str, Any]]:
    """The Feb 2023 pairs by (dyad, incident name): the incident row's codes and the response row."""
    numbered: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [h.strip() for h in reader.fieldnames or ()]
        for row in reader:
            number = (row.get("Cyberincidentnum") or "").strip()
            if number:
                numbered[number].append(row)
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for number, rows in numbered.items():
        first = rows[0]
        codes = {k: (v or "").strip() for k, v in first.items() if k and (v or "").strip()}
        entry: dict[str, Any] = {"pair": number, "incident": codes}
        if len(rows) > 1:
            entry["response"] = {k: (rows[1].get(k) or "").strip() for k in _UPDATE_ROW
                                 if (rows[1].get(k) or "").strip()}
        key = name_key(first.get("Dyadpair") or "", first.get("Name") or "")
        if key in pairs:
            report.note(f"dcid update: {first.get('Name')!r} opens pairs {pairs[key]['pair']} and "
                        f"{number}; the first is used")
            continue
        pairs[key] = entry
    return pairs


def _locate(path: Path, report: ImportReport) -> tuple[Path | None, Path | None]:
    if path.is_dir():
        release = sorted(path.glob("*release*incidents*.csv")) or sorted(path.glob("*2020*.csv"))
        update = sorted(path.glob("*update*.csv"))
        if not release:
            raise NotFound(f"{path}: no DCID June 2020 release CSV (*release*incidents*.csv)")
        return release[0], next(iter(update), None)
    if not path.is_file():
        raise NotFound(f"{path}: no such file or folder")
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), [])
    if "target" in header and "interactionenddate" not in header:
        report.reject(InvalidObject(path.name, None, "this is the Feb 2023 update, which only "
                                    "re-codes the June 2020 incidents: import the DCID folder or "
                                    "the June 2020 release CSV"))
        return None, None
    return path, None
