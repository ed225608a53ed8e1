"""Import a user's CSV or XLSX table of incidents, driven by a mapping file.

One STIX incident per row; the mapping file's schema is documented in
:mod:`cirx.ingest.mapping`.  A row with a bad value is reported (naming the row
and the column) and skipped, so the store writes nothing for the file.
"""

from __future__ import annotations

import ast
import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cirx.errors import InvalidInput, InvalidObject, NotFound
from cirx.ingest.mapping import (
    DATE_FIELDS,
    ENUMS,
    LIST_FIELDS,
    LIST_LITERAL,
    NUMBER_FIELDS,
    TEXT_FIELDS,
    FieldSpec,
    MappingSpec,
    Vocabulary,
    _vocabulary,
)
from cirx.ingest.report import ImportReport
from cirx.model.countries import to_iso2
from cirx.model.incident import make_incident


class _RowError(Exception):
    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason



@dataclass
class _Table:
    """What reading one table keeps across rows."""

    spec: MappingSpec
    vocabularies: dict[str, Vocabulary]
    seen: dict[str, int] = field(default_factory=dict)
    left_out: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def leave_out(self, name: str, why: str, value: str, number: int) -> None:
        self.left_out.setdefault((name, why), {}).setdefault(value, number)


def read_table(path: Path, spec: MappingSpec, report: ImportReport) -> Iterator[dict[str, Any]]:
    """Yield one STIX incident per row of a CSV/XLSX file; report and skip bad rows.

    Rows rejected here are counted in ``report.read`` (the writer counts the
    rows yielded).  A column named in the mapping but missing from the header
    raises :class:`InvalidInput`.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    rows = _xlsx_rows(path, spec) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path, spec)
    first = next(rows, None)
    if isinstance(first, _RowError):
        raise InvalidInput(f"{path.name}: cannot read the header row: {first.reason}")
    header = [_text(cell) for cell in first or ()]
    missing = [c for c in spec.columns if c not in header]
    if missing:
        raise InvalidInput(f"{path.name}: column(s) {', '.join(map(repr, missing))} named in the mapping "
                           f"are not in the header row (it has: {', '.join(map(repr, header))})")
    index = {name: header.index(name) for name in spec.columns}
    table = _Table(spec, {f.name: _vocabulary(f.name, str(f.vocabulary)) for f in spec.fields
                          if f.vocabulary not in (None, "country")})
    for number, row in enumerate(rows, start=2):
        try:
            if isinstance(row, _RowError):
                raise row
            if all(_text(value) == "" for value in row):
                continue  # a blank line
            yield _incident({name: row[i] if i < len(row) else None for name, i in index.items()}, table, number)
        except _RowError as problem:
            report.read += 1
            report.reject(InvalidObject(f"{path.name} row {number}", problem.column, problem.reason))
    for (name, why), values in table.left_out.items():
        listed = ", ".join(f"{v!r} (row {n})" for v, n in list(values.items())[:10])
        more = f" and {len(values) - 10} more" if len(values) > 10 else ""
        report.note(f"{path.name}: {name}: {len(values)} distinct value(s) left out, {why}: {listed}{more}")


def _csv_rows(path: Path, spec: MappingSpec) -> Iterator[Any]:
    delimiter = spec.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        handle = path.open(encoding=spec.encoding, newline="")
    except (OSError, LookupError) as exc:
        raise InvalidInput(f"{path.name}: cannot open as {spec.encoding} text: {exc}") from exc
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        while True:
            try:
                yield next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"{path.name}: not {spec.encoding} text near line {reader.line_num + 1}; "
                                   "set \"encoding\" in the mapping") from exc
            except csv.Error as exc:
                yield _RowError(None, f"unreadable CSV: {exc}")


def _xlsx_rows(path: Path, spec: MappingSpec) -> Iterator[Any]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors
        raise InvalidInput(f"{path.name}: not a readable XLSX workbook: {exc}") from exc
    try:
        if spec.sheet is not None and spec.sheet not in workbook.sheetnames:
            raise InvalidInput(f"{path.name}: no sheet {spec.sheet!r} (sheets: {', '.join(workbook.sheetnames)})")
        yield from (workbook[spec.sheet] if spec.sheet else workbook.worksheets[0]).iter_rows(values_only=True)
    finally:
        workbook.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _incident(cells: dict[str, Any], table: _Table, number: int) -> dict[str, Any]:
    spec = table.spec
    parts = [_text(cells[c]) for c in spec.id_columns]
    for column, part in zip(spec.id_columns, parts, strict=True):
        if not part:
            raise _RowError(column, "the row has no id")
    row_id = "|".join(parts)
    if row_id in table.seen:
        raise _RowError(spec.id_columns[0], f"id {row_id!r} repeats row {table.seen[row_id]}")
    table.seen[row_id] = number
    core: dict[str, str] = {}
    ir: dict[str, Any] = {}
    original: dict[str, str] = {}
    for fspec in spec.fields:
        raw = cells[fspec.column] if fspec.column else None
        if _text(raw) == "":
            if fspec.default is None:
                continue
            raw = fspec.default
        if fspec.name not in TEXT_FIELDS:
            original[fspec.name] = ", ".join(map(_text, raw)) if isinstance(raw, list) else _text(raw)
        values = _values(fspec, raw, table, number)
        if not values:
            continue
        if fspec.name in TEXT_FIELDS:
            core[fspec.name] = str(values[0])
        elif fspec.name == "sources":
            ir["sources"] = [{"url": v} if v.startswith(("http://", "https://")) else {"name": v} for v in values]
        elif fspec.name in LIST_FIELDS:
            ir[fspec.name] = values
        elif fspec.name == "intensity":
            ir["intensity"] = {"value": values[0], "scale": fspec.scale or spec.source}
        elif fspec.name.startswith("estimated_cost."):
            ir.setdefault("estimated_cost", {})[fspec.name.split(".")[1]] = values[0]
        else:
            ir[fspec.name] = values[0]
    cost = ir.get("estimated_cost", {})
    if cost and "amount" not in cost:
        del ir["estimated_cost"]  # a currency alone (often a default) says nothing
    elif cost and "currency" not in cost:
        raise _RowError(spec.column_of("estimated_cost.amount"), "estimated_cost.amount has no currency "
                        "(map estimated_cost.currency or give it a default)")
    if ir.get("end_date", "9999") < ir.get("start_date", ""):
        table.leave_out("end_date", "being before start_date", ir.pop("end_date"), number)
    if original:
        ir["original_values"] = {spec.source: original}
    return make_incident(source=spec.source, external_id=row_id, name=core.get("name") or f"{spec.source} {row_id}",
                         modified=spec.release, description=core.get("description"), url=core.get("url"), ir=ir)


def _values(fspec: FieldSpec, raw: Any, table: _Table, number: int) -> list[Any]:
    """The cell's final values for one field, in order and without repeats."""
    items = raw if isinstance(raw, list) else _split(fspec, raw) if fspec.split else [raw]
    values: list[Any] = []
    for item in items:
        text = _text(item)
        if not text:
            continue
        if fspec.value_map:
            mapped = fspec.mapped(text)
            candidates = [] if mapped is None else [mapped] if isinstance(mapped, str) else list(mapped)
        else:
            candidates = [item]
        for candidate in candidates:
            for value in _typed(fspec, candidate, table.vocabularies.get(fspec.name)):
                if value is None:
                    what = "a country" if fspec.vocabulary == "country" else "a known term"
                    if fspec.strict:
                        raise _RowError(fspec.column, f"{_text(candidate)!r} does not name {what}")
                    table.leave_out(fspec.name, f"naming no {what[2:]}", _text(candidate), number)
                elif value not in values:
                    values.append(value)
    return values


def _split(fspec: FieldSpec, raw: Any) -> list[Any]:
    text = _text(raw)
    if fspec.split != LIST_LITERAL:
        return text.split(fspec.split)
    if text.startswith("[") and text.endswith("]"):
        try:
            found = ast.literal_eval(text)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            found = None
        if isinstance(found, list | tuple):
            return [item for item in found if isinstance(item, str | int | float)]
    return [text]


def _typed(fspec: FieldSpec, value: Any, vocabulary: Vocabulary | None) -> list[Any]:
    """One value in the property's type; ``[None]`` when it names nothing known."""
    if fspec.name in DATE_FIELDS:
        return [_date(fspec, value)]
    if fspec.name in NUMBER_FIELDS:
        return [_number(fspec, value)]
    text = _text(value)
    if fspec.name == "estimated_cost.currency":
        if len(text) != 3 or not text.isalpha() or not text.isascii():
            raise _RowError(fspec.column, f"{text!r} is not a three-letter currency code")
        return [text.upper()]
    if fspec.vocabulary == "country":
        return [to_iso2(text)]
    terms: list[Any] = [text]
    if vocabulary is not None:
        try:
            found = vocabulary(str(fspec.vocabulary), text)
        except (LookupError, ValueError, InvalidInput):
            found = None
        terms = [None] if not found else [found] if isinstance(found, str) else list(found) or [None]
    allowed = ENUMS.get(fspec.name)
    return [t if allowed is None or t in allowed else None for t in terms]


def _date(fspec: FieldSpec, value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else value.isoformat()
    text = _text(value)
    try:
        if fspec.date_format:
            return datetime.strptime(text, fspec.date_format).date().isoformat()
        if len(text) == 10 or (len(text) > 10 and text[10] in " T"):
            return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        pass
    expected = fspec.date_format or "YYYY-MM-DD (set date_format in the mapping for other forms)"
    raise _RowError(fspec.column, f"{text!r} is not a date in the form {expected}")


def _number(fspec: FieldSpec, value: Any) -> float | int:
    text = _text(value)
    try:
        plain = isinstance(value, int | float) and not isinstance(value, bool)
        number = float(value) if plain else float(text.replace(" ", "").replace("\xa0", ""))
    except (ValueError, OverflowError):
        raise _RowError(fspec.column, f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise _RowError(fspec.column, f"{text!r} is not a finite number")
    if fspec.name == "estimated_cost.amount" and number < 0:
        raise _RowError(fspec.column, f"a cost cannot be negative ({text})")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
