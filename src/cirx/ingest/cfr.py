"""Import the Council on Foreign Relations Cyber Operations Tracker.

Columns: Title, Date, Affiliations, Description, Response, Victims, Sponsor,
Type, Category, Sources_1..3 (the copy in ``shared/data`` adds ``sponsor_cow``
and ``sponsor_flag``, a repository author's coding, kept in original_values
only).  CSV or XLSX (read-only mode); a folder holding one of them works too.

The tracker has no id column.  An incident's ``external_id`` is the first 16
hex digits of SHA-256 over ``Title + "\\n" + Date`` (both as in the file, the
date as ``YYYY-MM-DD`` or empty); when two rows share Title and Date (two pairs
in the 2022 snapshot), ``"\\n" + Affiliations`` is added to the hashed text of
both.  The ids therefore do not depend on row order.

A few rows of the published CSV lost a closing quote (a curly quote mangled to
``??``), so their cells moved left; :func:`repair_shift` puts them back and the
import notes each repaired row.  A row whose cells still hold URLs or type
names where a country or type belongs is rejected, naming the row and column.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cirx.errors import InvalidObject, NotFound
from cirx.ingest.eurepoc import (
    RowError,
    compact,
    iso_date,
    mapped,
    note_unmapped,
    split,
    unique,
    url_sources,
)
from cirx.ingest.report import ImportReport
from cirx.model.countries import countries_in, to_iso2
from cirx.model.incident import make_incident
from cirx.model.vocab import (
    effects_from,
    incident_types_from,
    receiver_categories_from,
    sectors_from,
)

SOURCE = "cfr"
# The tracker has no versions: this is the snapshot in the CSV (last entry 2022-12-24).
CFR_RELEASE = "2022-12-31T00:00:00.000Z"
CLAIMANT = "CFR Cyber Operations Tracker"
COLUMNS = ("Title", "Date", "Affiliations", "Description", "Response", "Victims", "Sponsor",
           "Type", "Category", "Sources_1", "Sources_2", "Sources_3")
_KEPT = ("Date", "Affiliations", "Response", "Victims", "Sponsor", "Type", "Category",
         "sponsor_cow", "sponsor_flag")
_TYPE_WORDS = {"espionage", "sabotage", "denial of service", "data destruction", "financial theft",
               "defacement", "doxing", "government", "military", "private sector", "civil society"}


def read_cfr(path: Path, report: ImportReport) -> Iterator[dict[str, Any]]:
    """Yield one STIX 2.1 incident (dict) per operation of the CFR tracker.

    ``path``: the CSV, the XLSX, or a folder holding one of them.  Rows that
    cannot become an incident are rejected on ``report`` and skipped.
    """
    file = _locate(Path(path))
    header = next(_rows(file))[1]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        report.reject(InvalidObject(file.name, missing[0],
                                    f"column(s) {', '.join(missing)} missing from the header"))
        return
    keys = Counter(_key(dict(zip(header, row, strict=False))) for _, row in _rows(file, skip=1))
    aligned = tuple(header[:len(COLUMNS)]) == COLUMNS
    unmapped: dict[str, Counter[str]] = defaultdict(Counter)
    for number, row in _rows(file, skip=1):
        row = row + [""] * (len(header) - len(row))
        cells = dict(zip(header, row, strict=False))
        if aligned:
            repaired = repair_shift(row)
            if repaired is not None:
                cells = dict(zip(header, repaired, strict=False))
                cells["_repaired"] = "1"
                report.note(f"cfr row {number} ({cells['Title']!r}): cells shifted by a broken "
                            "quote were put back in their columns")
        title = (cells.get("Title") or "").strip()
        try:
            incident = _incident(cells, keys, unmapped)
        except RowError as problem:
            report.read += 1  # rejected rows count here; the writer counts the yielded ones
            report.reject(InvalidObject(f"cfr row {number} ({title or 'untitled'})",
                                        problem.column, problem.reason))
            continue
        yield incident
    note_unmapped(report, SOURCE, unmapped)


def external_id(title: str, day: str, affiliations: str | None = None) -> str:
    """The stable id of a CFR operation (see the module docstring)."""
    text = f"{title}\n{day}" + (f"\n{affiliations}" if affiliations is not None else "")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _key(cells: dict[str, str]) -> tuple[str, str]:
    return (cells.get("Title") or "", (cells.get("Date") or "").strip()[:10])


def _incident(cells: dict[str, str], keys: Counter[tuple[str, str]],
              unmapped: dict[str, Counter[str]]) -> dict[str, Any]:
    title = (cells.get("Title") or "").strip()
    if not title:
        raise RowError("Title", "the operation has no title")
    day = iso_date(cells.get("Date"), "Date")
    for column in ("Sponsor", "Type", "Category", "Victims"):
        if re.search(r"https?://", cells.get(column) or ""):
            raise RowError(column, "holds a URL: the row's cells are shifted out of their columns")
    sponsors = split(cells.get("Sponsor"), ",")
    initiators: list[str] = []
    for sponsor in sponsors:
        code = to_iso2(sponsor)
        if code:
            initiators.append(code)
        elif sponsor.lower().strip('" ') in _TYPE_WORDS:
            raise RowError("Sponsor", f"{sponsor!r} is a type or category, not a state: "
                                      "the row's cells are shifted")
        else:
            unmapped["Sponsor"][sponsor] += 1
    types: list[str] = []
    effects: list[str] = []
    for value in split(cells.get("Type"), ","):
        types += mapped(incident_types_from, SOURCE, value, unmapped, "Type")
        effects += effects_from(SOURCE, value)
    categories: list[str] = []
    sectors: list[str] = []
    for value in split(cells.get("Category"), ","):
        found = receiver_categories_from(SOURCE, value)
        if not found:
            unmapped["Category"][value] += 1
        categories += found
        sectors += sectors_from(SOURCE, value)
    claims = [{"attributed_by": {"kind": "researcher", "name": CLAIMANT},
               "attributed_to": {"state": code, "category": "state"},
               **({"date": day} if day else {})} for code in sorted(set(initiators))]
    response = (cells.get("Response") or "").strip()
    sources = url_sources([cells.get(c) or "" for c in ("Sources_1", "Sources_2", "Sources_3")]
                          + [response])
    original = {c: (cells.get(c) or "").strip() for c in _KEPT if (cells.get(c) or "").strip()}
    if cells.get("_repaired"):
        original["repaired"] = "cells realigned after a broken quote"
    ir = {
        "initiator_countries": sorted(set(initiators)),
        "receiver_countries": victim_countries(cells.get("Victims") or ""),
        "initiator_category": "state",
        "receiver_categories": unique(categories), "sectors": unique(sectors),
        "incident_types": unique(types), "effects": unique(effects),
        "disclosure_date": day, "sources": sources, "attribution_claims": claims,
        "actors": affiliation_actors(cells.get("Affiliations") or ""),
        "original_values": {SOURCE: original},
    }
    key = _key(cells)
    ident = external_id(title, day or "", (cells.get("Affiliations") or "").strip()
                        if keys[key] > 1 else None)
    return make_incident(source=SOURCE, external_id=ident, name=title, modified=CFR_RELEASE,
                         description=(cells.get("Description") or "").strip() or None,
                         ir=compact(ir))


def repair_shift(row: list[str]) -> list[str] | None:
    """Put back the cells of a row whose closing quote was lost, or None if it needs no repair.

    In such a row one cell swallowed its neighbours: it holds ``text??,next,...``
    and a later cell ends with the stray ``"``.  The merged text is split again
    at the first ``??,`` and the cells after it move right; the twelve tracker
    columns are returned with any extra columns unchanged.  Returns None when no
    cell shows the pattern or the realigned row does not fit the columns.
    """
    width = len(COLUMNS)
    content, extra = list(row[:width]), list(row[width:])
    end = next((i for i in range(3, width) if content[i].endswith('"')), None)
    if end is None:
        return None
    start = next((i for i in range(end, 2, -1) if "??," in content[i]), None)
    if start is None:
        return None
    merged = ",".join(content[start:end + 1])[:-1]
    head, _, rest = merged.partition("??,")
    fixed = [*content[:start], head, *rest.split(",", 1), *content[end + 1:]]
    surplus = fixed[width:]
    if any(cell.strip() for cell in surplus):
        return None
    fixed = (fixed + [""] * width)[:width]
    return [cell.strip() if i >= 4 else cell for i, cell in enumerate(fixed)] + extra


def victim_countries(text: str) -> list[str]:
    """ISO codes of the states a CFR ``Victims`` text names (sorted, deduplicated; see
    :func:`cirx.model.countries.countries_in`)."""
    return sorted(set(countries_in(text)))


_NOT_A_GROUP = re.compile(r"\b(governments?|hackers?|authorities|agencies|officials|five eyes|"
                          r"state sponsor|threat actors?|same|partner|unknown)\b", re.IGNORECASE)
_CONNECTORS = {"of", "and", "the", "de"}


def affiliation_actors(text: str) -> list[str]:
    """Group names in a CFR ``Affiliations`` text ("Believed to be the work of APT 28" -> APT 28).

    Reads "... the work of / associated with / linked to X" and plain lists of
    names; drops states, governments and descriptions ("a Russian hacking group").
    """
    clean = re.sub(r"\s+", " ", re.sub(r"\?+", " ", text)).strip(" .")
    found = re.search(r"(?i)\b(?:work of|associated with|linked to|attributed to|believed to be"
                      r"(?! (?:the work|associated|linked|responsible|based|connected)))\s+(.+)", clean)
    body = found.group(1) if found else clean
    body = re.split(r"\. |,? also known as|,? aka\b|\. ?$", body, maxsplit=1)[0]
    names: list[str] = []
    for part in re.split(r",|\band\b", body):
        name = re.sub(r"^(?:the|a|an)\s+", "", part.strip(" .;"), flags=re.IGNORECASE)
        name = re.sub(r"^.*\b(?:group|known as)\s+(?=[A-Z])", "", name)
        name = re.sub(r"\s+(?:threat actor|group|hackers?)$", "", name)
        words = name.split()
        if not words or len(words) > 5 or len(name) > 40 or _NOT_A_GROUP.search(name):
            continue
        if any(not (w[0].isupper() or w[0].isdigit() or w in _CONNECTORS) for w in words):
            continue
        if words[0] in _CONNECTORS or to_iso2(name):
            continue
        names.append(name)
    return unique(names)


def _locate(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        for pattern in ("*cyber_operations*.csv", "*.csv", "*.xlsx"):
            found = sorted(path.glob(pattern))
            if found:
                return found[0]
        raise NotFound(f"{path}: no CFR tracker CSV or XLSX in this folder")
    raise NotFound(f"{path}: no such file or folder")


def _rows(path: Path, skip: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of a CSV or XLSX, the header being row 1; blank rows left out."""
    rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
    for number, row in enumerate(rows, start=1):
        if number > skip and (number == 1 or any(cell.strip() for cell in row)):
            yield number, row


def _csv_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle)


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            cells = [_cell(value) for value in row]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
