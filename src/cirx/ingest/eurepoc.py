"""Import the European Repository of Cyber Incidents (EuRepoC) v1.1.

Three CSV tables: the global database (one row per incident, list-valued cells
written as Python literals such as ``"['Armenia']"`` or ``"[['A', 'B']]"``),
the attribution table (one row per attributing actor x attributed initiator of
each attribution) and the receiver table (one row per receiver x category).
The global table is streamed; the two side tables are small and are read into
dicts keyed by incident id first.

Mapping: ``initiator_country`` / ``receiver_country`` of the global row give the
ISO codes (regions, "Unknown", "Not available" and organisations give none and
stay in ``original_values``); the receiver table gives receiver categories and
sectors; the attribution table gives the attribution claims; the intensity is
``weighted_cyber_intensity``.  Row numbers in rejections count the header as
row 1, as a spreadsheet shows them.  The helpers at the end are shared with the
CFR and DCID importers.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cirx.errors import InvalidObject, NotFound
from cirx.ingest.report import ImportReport
from cirx.model.countries import to_iso2
from cirx.model.incident import INITIATOR_CATEGORIES, make_incident
from cirx.model.vocab import (
    attribution_basis_from,
    attribution_kind_from,
    effects_from,
    incident_types_from,
    initiator_category_from,
    receiver_categories_from,
    sectors_from,
)

SOURCE = "eurepoc"
# EuRepoC v1.1, Zenodo record 7848941 (April 2023; incidents to March 2023).
EUREPOC_RELEASE = "2023-04-20T00:00:00.000Z"
REQUIRED = ("ID", "name", "start_date", "end_date", "incident_type", "receiver_country",
            "initiator_country", "initiator_category")
_CURRENCIES = {"euro": "EUR", "eur": "EUR", "dollar": "USD", "usd": "USD"}
# Columns kept in original_values besides the mapped ones: responses and conflict context.
_KEPT = (
    "incident_type", "start_date", "end_date", "receiver_country", "receiver_category",
    "receiver_category_subcode", "initiator_name", "initiator_country", "initiator_category",
    "initiator_category_subcode", "attribution_type", "attribution_basis", "attributing_actor",
    "attributing_country", "attributed_initiator", "attributed_initiator_country",
    "attributed_initiator_category", "MITRE_impact", "data_theft", "disruption", "hijacking",
    "physical_effects_spatial", "physical_effects_temporal", "weighted_cyber_intensity", "economic_impact",
    "economic_impact_exact_value", "economic_impact_currency", "inclusion_criteria",
    "source_incident_detection_disclosure", "cyber_conflict_issue", "offline_conflict_issue",
    "offline_conflict_name_HIIK", "offline_conflict_intensity", "political_response_date",
    "political_response_type", "political_response_type_subcode", "political_response_country",
    "political_response_actor", "legal_response_date", "legal_response_type", "legal_response_type_subcode",
    "legal_response_country", "legal_response_actor", "state_responsibility_indicator",
    "IL_breach_indicator",
)
_LISTS = {"receiver_country", "receiver_category", "receiver_category_subcode", "initiator_name",
          "initiator_country", "initiator_category", "initiator_category_subcode"}
_NA = {"", "not available", "unknown", "none", "nan", "n/a"}


class RowError(Exception):
    """A row that cannot become an incident: the column at fault and why."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def read_eurepoc(path: Path, report: ImportReport) -> Iterator[dict[str, Any]]:
    """Yield one STIX 2.1 incident (dict) per row of EuRepoC's global database.

    ``path`` is the folder holding the three CSVs or the global CSV itself (the
    side tables are then looked for beside it).  Bad rows are rejected on
    ``report`` (naming the row, the ID and the column) and skipped.
    """
    global_csv, attribution_csv, receiver_csv = _locate(Path(path))
    claims = _read_attributions(attribution_csv, report) if attribution_csv else {}
    receivers = _read_receivers(receiver_csv) if receiver_csv else {}
    if attribution_csv is None:
        report.note("eurepoc: no attribution table found; incidents carry no attribution claims")
    if receiver_csv is None:
        report.note("eurepoc: no receiver table found; categories come from the global table")
    unmapped: dict[str, Counter[str]] = defaultdict(Counter)
    seen: dict[str, int] = {}
    with global_csv.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            report.reject(InvalidObject(global_csv.name, missing[0],
                                        f"column(s) {', '.join(missing)} missing from the header"))
            return
        for number, row in enumerate(reader, start=2):
            ident = (row.get("ID") or "").strip()
            try:
                incident = _incident(row, number, seen, claims, receivers, unmapped)
            except RowError as problem:
                report.read += 1  # rejected rows count here; the writer counts the yielded ones
                report.reject(InvalidObject(f"eurepoc row {number} (ID {ident or '?'})",
                                            problem.column, problem.reason))
                continue
            yield incident
    note_unmapped(report, SOURCE, unmapped)


def _locate(path: Path) -> tuple[Path, Path | None, Path | None]:
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        found = sorted(folder.glob("*[Gg]lobal*.csv"))
        if not found:
            raise NotFound(f"{path}: no EuRepoC global database CSV (*Global*.csv) in this folder")
        global_csv = found[0]
    elif path.is_file():
        global_csv = path
    else:
        raise NotFound(f"{path}: no such file or folder")
    attribution = sorted(folder.glob("*[Aa]ttribution*.csv"))
    receiver = sorted(folder.glob("*[Rr]eceiver*.csv"))
    return global_csv, next(iter(attribution), None), next(iter(receiver), None)


def _incident(row: dict[str, str], number: int, seen: dict[str, int],
              claims: dict[str, list[dict[str, Any]]],
              receivers: dict[str, list[tuple[str, str]]],
              unmapped: dict[str, Counter[str]]) -> dict[str, Any]:
    ident = (row.get("ID") or "").strip()
    if not re.fullmatch(r"\d+(\.0)?", ident):
        raise RowError("ID", f"{ident!r} is not an incident number")
    ident = ident.removesuffix(".0")
    if ident in seen:
        raise RowError("ID", f"ID {ident} repeats row {seen[ident]}")
    seen[ident] = number
    name = (row.get("name") or "").strip()
    if not name:
        raise RowError("name", "the incident has no name")
    values = {col: parse_list(row.get(col) or "") if col in _LISTS else (row.get(col) or "").strip()
              for col in _KEPT if (row.get(col) or "").strip()}
    ir: dict[str, Any] = {
        "initiator_countries": iso_codes(flatten(values.get("initiator_country", []))),
        "receiver_countries": iso_codes(flatten(values.get("receiver_country", []))),
        "start_date": iso_date(row.get("start_date"), "start_date"),
        "end_date": iso_date(row.get("end_date"), "end_date"),
    }
    ir["initiator_category"] = _initiator_category(values, unmapped)
    categories, sectors = _receiver_terms(ident, values, receivers, unmapped)
    ir["receiver_categories"], ir["sectors"] = categories, sectors
    types: list[str] = []
    for value in split(row.get("incident_type")):
        types += mapped(incident_types_from, SOURCE, value, unmapped, "incident_type")
    for value in split(row.get("MITRE_impact")):
        if value.lower() not in _NA:
            types += mapped(incident_types_from, "attack-impact", value, unmapped, "MITRE_impact")
    ir["incident_types"] = unique(types)
    effects: list[str] = []
    for column in ("disruption", "data_theft", "physical_effects_spatial",
                   "physical_effects_temporal", "MITRE_impact"):
        for value in split(row.get(column)) if column == "MITRE_impact" else [row.get(column) or ""]:
            effects += effects_from(SOURCE, value, column)
    ir["effects"] = unique(effects)
    intensity = to_number(row.get("weighted_cyber_intensity"), "weighted_cyber_intensity")
    if intensity is not None:
        ir["intensity"] = {"value": intensity, "scale": "eurepoc-weighted-cyber-intensity"}
    ir["estimated_cost"] = _cost(row)
    urls = flatten(parse_list(row.get("sources_url") or ""))
    urls += flatten(parse_list(row.get("sources_attribution") or ""))
    ir["sources"] = url_sources(urls)
    ir["attribution_claims"] = claims.get(ident, [])
    ir["actors"] = unique(primary_name(n) for n in flatten(values.get("initiator_name", []))
                          if n.lower() not in _NA)
    ir["original_values"] = {SOURCE: values}
    return make_incident(source=SOURCE, external_id=ident, name=name, modified=EUREPOC_RELEASE,
                         description=(row.get("description") or "").strip() or None,
                         ir=compact(ir))


def _initiator_category(values: dict[str, Any], unmapped: dict[str, Counter[str]]) -> str | None:
    # one category (and subcode, possibly empty) per initiator: keep the empties to stay aligned
    categories = flatten(values.get("initiator_category", []), keep_empty=True)
    subcodes = flatten(values.get("initiator_category_subcode", []), keep_empty=True)
    found = set()
    for i, category in enumerate(categories):
        subcode = subcodes[i] if i < len(subcodes) else None
        if not category:
            continue
        try:
            found.add(initiator_category_from(SOURCE, category, subcode))
        except LookupError:
            unmapped["initiator_category"][category] += 1
    return next((c for c in INITIATOR_CATEGORIES if c in found), None)


def _receiver_terms(ident: str, values: dict[str, Any],
                    receivers: dict[str, list[tuple[str, str]]],
                    unmapped: dict[str, Counter[str]]) -> tuple[list[str], list[str]]:
    pairs = receivers.get(ident)
    if pairs is None:  # not in the receiver table: the global table's nested lists
        pairs = [(c, "") for c in flatten(values.get("receiver_category", []))]
        pairs += [("", s) for s in flatten(values.get("receiver_category_subcode", []))]
    categories: list[str] = []
    sectors: list[str] = []
    for category, subcode in pairs:
        for value in (category, subcode):
            if value and value.lower() not in _NA:
                found = receiver_categories_from(SOURCE, value) + sectors_from(SOURCE, value)
                if not found and value.lower() not in ("other", "critical infrastructure") \
                        and not value.lower().startswith("corporate targets"):
                    unmapped["receiver_category"][value] += 1
        categories += receiver_categories_from(SOURCE, category)
        if subcode.lower() == "military":
            categories.append("military")
        sectors += sectors_from(SOURCE, subcode) if subcode else sectors_from(SOURCE, category)
    return unique(categories), unique(sectors)


def _cost(row: dict[str, str]) -> dict[str, Any] | None:
    amount = to_number(row.get("economic_impact_exact_value"), "economic_impact_exact_value")
    if not amount or amount <= 0:
        return None
    currency = (row.get("economic_impact_currency") or "").strip().lower()
    if currency not in _CURRENCIES:
        raise RowError("economic_impact_currency", f"unknown currency {currency!r}")
    return {"amount": amount, "currency": _CURRENCIES[currency], "source": SOURCE}


def _read_receivers(path: Path) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            ident = (row.get("ID") or "").strip().removesuffix(".0")
            pair = ((row.get("receiver_category") or "").strip(),
                    (row.get("receiver_category_subcode") or "").strip())
            if ident and pair not in found[ident]:
                found[ident].append(pair)
    return dict(found)


def _read_attributions(path: Path, report: ImportReport) -> dict[str, list[dict[str, Any]]]:
    """Attribution claims by incident id (one per attribution, attributing state, target)."""
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            ident = (row.get("incident_ID") or "").strip().removesuffix(".0")
            try:
                row["attribution_date"] = iso_date(row.get("attribution_date"),
                                                   "attribution_date") or ""
            except RowError as problem:  # the store then refuses the whole import
                report.reject(InvalidObject(f"eurepoc attribution row {number} (ID {ident})",
                                            problem.column, problem.reason))
                continue
            group = (row.get("attribution_ID") or "").strip() or f"row{number}"
            groups[(ident, group)].append(row)
    claims: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for (ident, _), rows in groups.items():
        countries = {to_iso2(r.get("attributing_country") or "") for r in rows} - {None}
        for row in rows:
            claim = _claim(row, joint=len(countries) > 1)
            if not claim.get("attributed_to"):
                continue  # says nothing about who did it
            names = claim["attributed_by"].pop("name", None)
            key = json.dumps(claim, sort_keys=True)
            kept = claims[ident].setdefault(key, claim)
            if names:
                both = sorted({*kept["attributed_by"].get("name", "").split("; "), names} - {""})
                kept["attributed_by"]["name"] = "; ".join(both)
    return {ident: sorted(found.values(), key=lambda c: json.dumps(c, sort_keys=True))
            for ident, found in claims.items()}


def _claim(row: dict[str, str], joint: bool) -> dict[str, Any]:
    basis_text, type_text = (row.get("attribution_basis") or ""), (row.get("attribution_type") or "")
    kind = attribution_kind_from(SOURCE, basis_text, type_text)
    if kind == "government" and joint:
        kind = "governments-jointly"
    by: dict[str, Any] = {"kind": kind}
    name = next((v.strip() for v in (row.get("attributing_actor"), row.get("attribution_it_company"))
                 if v and v.strip().lower() not in _NA), None)
    country = to_iso2(row.get("attributing_country") or "")
    by.update(compact({"name": name, "country": country}))
    group = (row.get("attributed_initiator") or "").strip()
    category_text = (row.get("attributed_initiator_category") or "").strip()
    try:
        category = initiator_category_from(SOURCE, category_text) if category_text else None
    except LookupError:
        category = None
    category = None if category == "unknown" else category  # the claim names the state or group
    target = compact({"group": primary_name(group) if group.lower() not in _NA else None,
                      "state": to_iso2(row.get("attributed_initiator_country") or ""),
                      "category": category})
    basis = unique(attribution_basis_from(SOURCE, basis_text) +
                   attribution_basis_from(SOURCE, type_text))
    confidence = ("low" if {"contested", "anonymous-sources"} & set(basis)
                  else "high" if "legal-action" in basis else None)
    return compact({"attributed_by": by, "attributed_to": target,
                    "date": row.get("attribution_date") or None, "basis": basis,
                    "confidence": confidence})


# --- helpers shared with the CFR and DCID importers --------------------------------------

def parse_list(text: str) -> list[Any]:
    """A Python-literal list cell (``"['A', 'B']"``, ``"[['A']]"``) as a list; plain text as [text].

    Falls back to the quoted items (or the comma-separated text) when the cell
    is not a valid literal, so a damaged cell never stops an import.
    """
    text = text.strip()
    if not text:
        return []
    if not text.startswith(("[", "(")):
        return [text]
    try:
        found = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        quoted = re.findall(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", text)
        if quoted:
            return [a or b for a, b in quoted]
        return [p.strip() for p in text.strip("[]()").split(",") if p.strip()]
    return list(found) if isinstance(found, list | tuple) else [found]


def flatten(values: Iterable[Any], keep_empty: bool = False) -> list[str]:
    """Nested lists flattened to their (non-empty, unless ``keep_empty``) strings, in order."""
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            out += flatten(value, keep_empty)
        elif keep_empty or (value is not None and str(value).strip()):
            out.append("" if value is None else str(value).strip())
    return out


def split(text: str | None, separator: str = ";") -> list[str]:
    """The non-empty, stripped parts of a separated cell."""
    return [part.strip() for part in (text or "").split(separator) if part.strip()]


def unique(values: Iterable[Any]) -> list[Any]:
    """Values without repeats and without empties, in first-seen order."""
    return [v for v in dict.fromkeys(values) if v not in (None, "")]


def iso_codes(names: Iterable[Any]) -> list[str]:
    """ISO alpha-2 codes of the values that name a country: deduplicated, sorted."""
    return sorted({code for code in (to_iso2(str(n)) for n in names) if code})


def iso_date(value: str | None, column: str) -> str | None:
    """``YYYY-MM-DD`` (a time part is dropped) or None; raises RowError on anything else."""
    text = (value or "").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?",
                         text)
    try:
        if not match:
            raise ValueError(text)
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        raise RowError(column, f"{text!r} is not a date (YYYY-MM-DD)") from None


def to_number(value: str | None, column: str) -> float | None:
    """A decimal number or None when empty / not available; raises RowError otherwise."""
    text = (value or "").strip()
    if text.lower() in _NA:
        return None
    try:
        found = float(text)
    except ValueError:
        raise RowError(column, f"{text!r} is not a number") from None
    if found != found or found in (float("inf"), float("-inf")):
        raise RowError(column, f"{text!r} is not a finite number")
    return found


_URL = re.compile(r"https?://[^\s;,'\"<>]+[^\s;,'\"<>.)]")


def url_sources(urls: Iterable[str], **grade: str) -> list[dict[str, str]]:
    """``sources`` entries (host name and URL) for each URL found in the texts, deduplicated."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for text in urls:
        for url in _URL.findall(text or ""):
            if url not in seen:
                seen.add(url)
                host = urlsplit(url).hostname or url
                found.append({"name": host.removeprefix("www."), "url": url, **grade})
    return found


def primary_name(text: str) -> str:
    """The first of a group's aliases: "Fancy Bear/APT28/... (GRU ...)" -> "Fancy Bear"."""
    name = re.split(r"\s*[(<]|/", text.replace("\xa0", " "), maxsplit=1)[0]
    return re.sub(r"\s+", " ", name).strip(" .,;?")


def mapped(function: Any, source: str, value: str, unmapped: dict[str, Counter[str]],
           column: str) -> list[str]:
    """``function(source, value)``; values that map to nothing are counted in ``unmapped``."""
    found: list[str] = function(source, value)
    if not found:
        unmapped[column][value] += 1
    return found


def note_unmapped(report: ImportReport, source: str, unmapped: dict[str, Counter[str]]) -> None:
    """One note per column listing the values that mapped to no common term."""
    for column, counts in sorted(unmapped.items()):
        listed = ", ".join(f"{v!r} ({n})" for v, n in counts.most_common(10))
        more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
        report.note(f"{source}: {column}: value(s) with no common term, kept in "
                    f"original_values: {listed}{more}")


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """The entries whose value is not None, empty or an empty list/dict."""
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}
