"""The mapping file of the CSV/XLSX importer: its schema, loading and validation.

A national CERT's incident spreadsheet or a capacity index becomes one STIX
incident per row.  The mapping file (JSON, or YAML for a ``.yaml``/``.yml`` name)
says which column feeds which property::

    {
      "source": "cert-ee",              required: external references' source_name; seeds the ids
      "release": "2024-06-30",          required: the dataset's date, used as created/modified
      "id_column": "Ticket",            the row id, or
      "id_columns": ["Country", "Year"],   several columns, joined with "|"
      "sheet": "Incidents",             XLSX: the sheet (default: the first)
      "delimiter": ";",                 CSV: default "," (tab for .tsv)
      "encoding": "cp1252",             CSV: default "utf-8-sig"
      "strict": false,                  default of every field's "strict"
      "fields": {"receiver_countries": {"column": "Victim", "split": ";"}, "name": "Title", ...}
    }

``fields`` keys are core fields (``name``, ``description``, ``url``) or IR
properties: ``start_date``, ``end_date``, ``disclosure_date``,
``initiator_countries``, ``receiver_countries``, ``initiator_category``,
``receiver_categories``, ``sectors``, ``incident_types``, ``effects``,
``actors``, ``intensity``, ``estimated_cost.amount``,
``estimated_cost.currency``, ``sources`` (URLs; other text becomes a source's
name).  A spec is a column name or an object with:

``column``       the column header (required unless ``default`` is given)
``split``        separator of the items in a list field's cell; ``"[]"``: the cell
                 is a list literal, ``["a", "b"]`` or ``['a', 'b']``
``map``          ``{"cell value": "cirx value" | ["v1", "v2"] | null}`` per item
                 (exact match first, then ignoring case; null drops the item)
``vocabulary``   ``"country"`` (implied on country fields: names, codes, adjectives
                 to ISO alpha-2) or a source name such as ``"rsit"``, passed to
                 ``cirx.model.vocab.<field>_from(source, value)``
``date_format``  ``strptime`` format of a date field (default ``YYYY-MM-DD``)
``default``      raw value used when the cell is empty, read as if it were in the cell
``strict``       true: a value naming no country or no known term rejects the row;
                 false (default): it is left out (kept in original_values) and noted
``scale``        ``intensity`` only: the scale's name (default: ``source``)

Keys starting with ``_`` are comments.  A row with a missing or repeated id,
an unparseable date or number, a cost without currency or (strict) an
unresolved value is rejected, named by row (the header is row 1, as a
spreadsheet shows it) and column.  Each row's cells are kept under
``original_values[source]``.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cirx.errors import InvalidInput
from cirx.model.ids import date_timestamp, is_timestamp
from cirx.model.incident import EFFECTS, INCIDENT_TYPES, INITIATOR_CATEGORIES

TEXT_FIELDS = ("name", "description", "url")
DATE_FIELDS = ("start_date", "end_date", "disclosure_date")
COUNTRY_FIELDS = ("initiator_countries", "receiver_countries")
ENUMS: dict[str, tuple[str, ...]] = {
    "initiator_category": INITIATOR_CATEGORIES, "incident_types": INCIDENT_TYPES, "effects": EFFECTS}
LIST_FIELDS = (*COUNTRY_FIELDS, "receiver_categories", "sectors", "incident_types", "effects",
               "actors", "sources")
NUMBER_FIELDS = ("intensity", "estimated_cost.amount")
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, *LIST_FIELDS, "initiator_category", *NUMBER_FIELDS,
          "estimated_cost.currency")
TOP_KEYS = ("source", "release", "id_column", "id_columns", "sheet", "delimiter", "encoding", "strict", "fields")
SPEC_KEYS = ("column", "split", "map", "vocabulary", "date_format", "default", "strict", "scale")
LIST_LITERAL = "[]"

Vocabulary = Callable[[str, str], Any]


@dataclass(frozen=True)
class FieldSpec:
    """How one property is read from a row."""

    name: str
    column: str | None = None
    split: str | None = None
    value_map: Mapping[str, Any] = field(default_factory=dict)
    vocabulary: str | None = None
    date_format: str | None = None
    default: Any = None
    strict: bool = False
    scale: str | None = None

    def mapped(self, text: str) -> Any:
        """The value map's entry for ``text`` (exact, then ignoring case), else ``text``."""
        if text in self.value_map:
            return self.value_map[text]
        folded = text.casefold()
        return next((v for k, v in self.value_map.items() if k.casefold() == folded), text)


@dataclass(frozen=True)
class MappingSpec:
    """A validated mapping file: how the rows of one table become incidents."""

    source: str
    release: str
    id_columns: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8-sig"

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the mapping reads."""
        return tuple(dict.fromkeys([*self.id_columns, *(f.column for f in self.fields if f.column)]))

    def column_of(self, name: str) -> str | None:
        """The column that feeds field ``name``."""
        return next((f.column for f in self.fields if f.name == name), None)


def load_mapping(path: Path) -> MappingSpec:
    """Read and check a mapping file; raise :class:`InvalidInput` naming the bad key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: cannot read the mapping file: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path.name}: bad YAML: {exc}") from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: bad JSON at line {exc.lineno}: {exc.msg}") from exc
    return parse_mapping(data, path.name)


def parse_mapping(data: Any, label: str = "mapping") -> MappingSpec:
    """Check already-parsed mapping data (schema in the module docstring)."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{label}: must be an object with source, release, id_column and fields")
    _known_keys(data, TOP_KEYS, label)
    if isinstance(data.get("release"), date):  # YAML reads an unquoted date as a date
        data = {**data, "release": data["release"].isoformat()}
    for key in ("source", "release", "id_column", "sheet", "encoding"):
        _check_text(data, key, label, required=key in ("source", "release"))
    release = data["release"].strip()
    if not is_timestamp(release):
        try:
            release = date_timestamp(date.fromisoformat(release).isoformat())
        except ValueError:
            raise InvalidInput(f"{label}: release: {release!r} is not a date (YYYY-MM-DD)") from None
    if ("id_column" in data) == ("id_columns" in data):
        raise InvalidInput(f"{label}: give exactly one of id_column or id_columns")
    ids = [data["id_column"]] if "id_column" in data else data["id_columns"]
    if not isinstance(ids, list) or not ids or not all(isinstance(c, str) and c.strip() for c in ids):
        raise InvalidInput(f"{label}: id_columns: must be a non-empty list of column names")
    if data.get("delimiter") is not None and not (isinstance(data["delimiter"], str) and len(data["delimiter"]) == 1):
        raise InvalidInput(f"{label}: delimiter: must be one character, not {data['delimiter']!r}")
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise InvalidInput(f"{label}: strict: must be true or false")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise InvalidInput(f"{label}: fields: must be a non-empty object of field: spec")
    specs = tuple(_field_spec(name, spec, strict, label) for name, spec in fields.items() if not name.startswith("_"))
    return MappingSpec(source=data["source"].strip(), release=release, id_columns=tuple(c.strip() for c in ids),
                       fields=specs, sheet=data.get("sheet"), delimiter=data.get("delimiter"),
                       encoding=data.get("encoding") or "utf-8-sig")


def _check_text(data: dict[str, Any], key: str, where: str, required: bool = False) -> None:
    value = data.get(key)
    if (value is not None or required) and not (isinstance(value, str) and value.strip()):
        raise InvalidInput(f"{where}: {key}: {'is required and ' if value is None else ''}must be a non-empty string")


def _known_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str, what: str = "key") -> None:
    for key in data:
        if not key.startswith("_") and key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(allowed)}"
            raise InvalidInput(f"{where}: unknown {what} '{key}'{hint}")


def _field_spec(name: str, spec: Any, strict: bool, label: str) -> FieldSpec:
    _known_keys({name: None}, FIELDS, f"{label}: fields", "field")
    where = f"{label}: fields.{name}"
    spec = {"column": spec} if isinstance(spec, str) else spec
    if not isinstance(spec, dict):
        raise InvalidInput(f"{where}: must be a column name or an object with a column")
    _known_keys(spec, SPEC_KEYS, where)
    for key in ("column", "split", "vocabulary", "date_format", "scale"):
        if key in spec and not (isinstance(spec[key], str) and spec[key]):
            raise InvalidInput(f"{where}: {key}: must be a non-empty string")
    if "column" not in spec and "default" not in spec:
        raise InvalidInput(f"{where}: needs a column (or a default)")
    for key, allowed, what in (("split", LIST_FIELDS, "list fields are split"),
                               ("date_format", DATE_FIELDS, "date fields have one"),
                               ("scale", ("intensity",), "intensity has a scale")):
        if key in spec and name not in allowed:
            raise InvalidInput(f"{where}: {key}: only {what} ({', '.join(allowed)})")
    value_map = spec.get("map", {})
    if not isinstance(value_map, dict) or not all(isinstance(k, str) for k in value_map) or not all(
        v is None or isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
        for v in value_map.values()
    ):
        raise InvalidInput(f"{where}: map: must map cell values (strings; quote them in YAML) to a string, a list of strings or null")
    field_strict = spec.get("strict", strict)
    if not isinstance(field_strict, bool):
        raise InvalidInput(f"{where}: strict: must be true or false")
    vocabulary = spec.get("vocabulary")
    if name in COUNTRY_FIELDS:
        if vocabulary not in (None, "country"):
            raise InvalidInput(f"{where}: vocabulary: country fields use the 'country' vocabulary")
        vocabulary = "country"
    elif vocabulary == "country":
        raise InvalidInput(f"{where}: vocabulary: 'country' only applies to {' and '.join(COUNTRY_FIELDS)}")
    elif vocabulary is not None:
        _vocabulary(name, vocabulary, where)
    default = spec.get("default")
    if isinstance(default, bool) or not (
        default is None or isinstance(default, str | int | float)
        or (isinstance(default, list) and all(isinstance(i, str) for i in default))
    ):
        raise InvalidInput(f"{where}: default: must be a string, a number or a list of strings")
    return FieldSpec(name=name, column=spec["column"].strip() if "column" in spec else None,
                     split=spec.get("split"), value_map=value_map, vocabulary=vocabulary,
                     date_format=spec.get("date_format"), default=default, strict=field_strict,
                     scale=spec.get("scale"))


def _vocabulary(name: str, vocabulary: str, where: str = "mapping") -> Vocabulary:
    function_name = f"{name.replace('.', '_')}_from"
    try:
        function = getattr(importlib.import_module("cirx.model.vocab"), function_name, None)
    except ImportError:
        function = None
    if not callable(function):
        raise InvalidInput(f"{where}: vocabulary: {vocabulary!r} needs cirx.model.vocab.{function_name}, "
                           "which this cirx does not have")
    return function  # type: ignore[no-any-return]


