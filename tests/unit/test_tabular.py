"""The CSV/XLSX importer: mapping files, value maps, rejected rows, determinism."""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import types
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cirx.errors import InvalidInput
from cirx.ingest.mapping import MappingSpec, load_mapping, parse_mapping
from cirx.ingest.report import ImportReport
from cirx.ingest.tabular import read_table
from cirx.model.ids import deterministic_id
from cirx.model.incident import IR_EXTENSION_ID, IR_SCHEMA, ir_properties
from cirx.model.stix import check_and_upgrade

HEADER = ["Ticket", "Title", "Detected", "Attacker", "Victims", "Category", "Damage", "Links"]
ROWS = [
    ["INC-1", "Ministry defacement", "03/02/2021", "Russia", "Estonia; Latvia", "Defacement", "1200.50",
     "https://example.org/a https://example.org/b"],
    ["INC-2", "Hospital ransomware", "15/11/2022", "", "EE", "Ransomware;Data leak", "", ""],
]
MAPPING: dict[str, Any] = {
    "_comment": "a CERT spreadsheet",
    "source": "cert-ee",
    "release": "2024-06-30",
    "id_column": "Ticket",
    "fields": {
        "name": "Title",
        "start_date": {"column": "Detected", "date_format": "%d/%m/%Y"},
        "initiator_countries": {"column": "Attacker", "split": ";"},
        "receiver_countries": {"column": "Victims", "split": ";", "strict": True},
        "incident_types": {"column": "Category", "split": ";",
                           "map": {"defacement": "defacement", "Ransomware": "ransomware",
                                   "Data leak": ["data-theft", "doxing"]}},
        "estimated_cost.amount": {"column": "Damage"},
        "estimated_cost.currency": {"default": "EUR"},
        "sources": {"column": "Links", "split": " "},
        "initiator_category": {"column": "Attacker", "map": {"Russia": "state"}, "default": "unknown"},
    },
}


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_mapping(path: Path, mapping: dict[str, Any]) -> Path:
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def read(path: Path, mapping: dict[str, Any] = MAPPING) -> tuple[list[dict[str, Any]], ImportReport]:
    report = ImportReport(source=str(path))
    return list(read_table(path, parse_mapping(mapping, "mapping.json"), report)), report


def test_csv_rows_become_incidents_with_mapped_ir_properties(tmp_path: Path) -> None:
    incidents, report = read(write_csv(tmp_path / "data.csv", ROWS))
    assert report.ok and report.notes == []
    first, second = incidents
    assert first["type"] == "incident" and first["name"] == "Ministry defacement"
    assert first["id"] == deterministic_id("incident", "cert-ee", "INC-1")
    assert first["created"] == first["modified"] == "2024-06-30T00:00:00.000Z"
    assert first["external_references"] == [{"source_name": "cert-ee", "external_id": "INC-1"}]
    ir = ir_properties(first)
    assert ir["start_date"] == "2021-02-03"
    assert ir["initiator_countries"] == ["RU"]
    assert ir["receiver_countries"] == ["EE", "LV"]
    assert ir["incident_types"] == ["defacement"]  # value map matched ignoring case
    assert ir["initiator_category"] == "state"
    assert ir["estimated_cost"] == {"amount": 1200.5, "currency": "EUR"}
    assert ir["sources"] == [{"url": "https://example.org/a"}, {"url": "https://example.org/b"}]
    assert ir["original_values"]["cert-ee"]["receiver_countries"] == "Estonia; Latvia"
    ir2 = ir_properties(second)
    assert ir2["incident_types"] == ["ransomware", "data-theft", "doxing"]  # one value to several
    assert ir2["initiator_category"] == "unknown"  # default for an empty cell
    assert "initiator_countries" not in ir2 and "estimated_cost" not in ir2
    for incident in incidents:
        check_and_upgrade(incident, max_bytes=1 << 20)
        jsonschema.validate(incident["extensions"][IR_EXTENSION_ID], IR_SCHEMA)


def test_xlsx_sheet_gives_the_same_incidents_as_csv(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Incidents")
    sheet.append(["Ticket", "Title", "Detected", "Victims", "Damage"])
    sheet.append([101, "Power outage", datetime(2021, 2, 3), "Ukraine", 5000])
    sheet.append([None, None, None, None, None])  # blank rows are skipped
    sheet.append([102.0, "Leak", "2022-01-05", "Poland", 12.25])
    workbook.save(tmp_path / "data.xlsx")
    mapping = {"source": "cert-ee", "release": "2024-06-30", "id_column": "Ticket", "sheet": "Incidents",
               "fields": {"name": "Title", "start_date": "Detected", "receiver_countries": "Victims",
                          "intensity": {"column": "Damage", "scale": "damage-eur"}}}
    incidents, report = read(tmp_path / "data.xlsx", mapping)
    assert report.ok
    assert [i["external_references"][0]["external_id"] for i in incidents] == ["101", "102"]
    assert ir_properties(incidents[0])["start_date"] == "2021-02-03"
    assert ir_properties(incidents[0])["intensity"] == {"value": 5000, "scale": "damage-eur"}
    assert ir_properties(incidents[1])["receiver_countries"] == ["PL"]
    write_csv(tmp_path / "data.csv", [["101", "Power outage", "2021-02-03", "Ukraine", "5000"]],
              header=["Ticket", "Title", "Detected", "Victims", "Damage"])
    from_csv, _ = read(tmp_path / "data.csv", {**mapping, "sheet": None})
    assert from_csv[0] == incidents[0]


def test_missing_sheet_and_missing_column_are_clear_errors(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["Ticket"])
    workbook.save(tmp_path / "data.xlsx")
    with pytest.raises(InvalidInput, match="no sheet 'Incidents'"):
        read(tmp_path / "data.xlsx", {**MAPPING, "sheet": "Incidents"})
    with pytest.raises(InvalidInput, match=r"'Title'.* not in the header"):
        read(tmp_path / "data.xlsx", MAPPING)


def test_bad_rows_are_rejected_by_row_and_column_and_the_rest_imported(tmp_path: Path) -> None:
    rows = [
        ["INC-1", "ok", "03/02/2021", "", "EE", "", "", ""],
        ["INC-2", "bad date", "2021-02-03", "", "EE", "", "", ""],
        ["", "no id", "03/02/2021", "", "EE", "", "", ""],
        ["INC-1", "repeated id", "03/02/2021", "", "EE", "", "", ""],
        ["INC-5", "strict country", "03/02/2021", "", "Narnia", "", "", ""],
        ["INC-6", "bad amount", "03/02/2021", "", "EE", "", "a lot", ""],
        ["INC-7", "negative", "03/02/2021", "", "EE", "", "-3", ""],
    ]
    incidents, report = read(write_csv(tmp_path / "data.csv", rows))
    assert [i["name"] for i in incidents] == ["ok"]
    found = {(r.object_ref, r.property) for r in report.rejected}
    assert found == {("data.csv row 3", "Detected"), ("data.csv row 4", "Ticket"), ("data.csv row 5", "Ticket"),
                     ("data.csv row 6", "Victims"), ("data.csv row 7", "Damage"), ("data.csv row 8", "Damage")}
    reasons = {r.object_ref: r.reason for r in report.rejected}
    assert "'2021-02-03' is not a date in the form %d/%m/%Y" in reasons["data.csv row 3"]
    assert "repeats row 2" in reasons["data.csv row 5"]
    assert "'Narnia' does not name a country" in reasons["data.csv row 6"]
    assert report.read == 6  # the rejected rows; the writer counts the yielded ones


def test_unresolved_values_are_left_out_and_noted_when_not_strict(tmp_path: Path) -> None:
    rows = [["INC-1", "x", "03/02/2021", "Atlantis;China", "EE", "Phishing", "", ""]]
    incidents, report = read(write_csv(tmp_path / "data.csv", rows))
    assert report.ok
    ir = ir_properties(incidents[0])
    assert ir["initiator_countries"] == ["CN"]
    assert "incident_types" not in ir  # 'Phishing' is no cirx incident type
    assert ir["original_values"]["cert-ee"]["initiator_countries"] == "Atlantis;China"
    assert any("initiator_countries" in n and "'Atlantis' (row 2)" in n for n in report.notes)
    assert any("incident_types" in n and "'Phishing'" in n for n in report.notes)


def test_id_columns_and_an_end_before_the_start(tmp_path: Path) -> None:
    header = ["Country", "Year", "From", "To"]
    rows = [["Estonia", "2020", "2020-01-01", "2020-02-01"], ["Estonia", "2021", "2021-05-01", "2021-01-01"]]
    mapping = {"source": "gci", "release": "2021-06-29T00:00:00Z", "id_columns": ["Country", "Year"],
               "fields": {"receiver_countries": "Country", "start_date": "From", "end_date": "To"}}
    incidents, report = read(write_csv(tmp_path / "gci.csv", rows, header), mapping)
    assert incidents[0]["external_references"][0]["external_id"] == "Estonia|2020"
    assert incidents[0]["name"] == "gci Estonia|2020"
    assert incidents[0]["modified"] == "2021-06-29T00:00:00Z"
    assert report.ok
    assert "end_date" not in ir_properties(incidents[1])  # left out, kept in original_values, noted
    assert ir_properties(incidents[1])["original_values"]["gci"]["end_date"] == "2021-01-01"
    assert report.notes == ["gci.csv: end_date: 1 distinct value(s) left out, being before start_date: '2021-01-01' (row 3)"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "data.csv", ROWS)
    first, _ = read(path)
    again, _ = read(path)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)


def test_cost_without_currency_is_rejected(tmp_path: Path) -> None:
    fields = {k: v for k, v in MAPPING["fields"].items() if k != "estimated_cost.currency"}
    _, report = read(write_csv(tmp_path / "data.csv", ROWS), {**MAPPING, "fields": fields})
    assert [(r.object_ref, r.property) for r in report.rejected] == [("data.csv row 2", "Damage")]
    assert "no currency" in report.rejected[0].reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields": {"receiver_countries": {"colum": "Victims"}}},
         "mapping.json: fields.receiver_countries: unknown key 'colum' (did you mean 'column'?)"),
        ({"fields": {"reciever_countries": "Victims"}},
         "mapping.json: fields: unknown field 'reciever_countries' (did you mean 'receiver_countries'?)"),
        ({"source": ""}, "mapping.json: source: must be a non-empty string"),
        ({"release": "last year"}, "mapping.json: release: 'last year' is not a date"),
        ({"id_columns": ["A"]}, "mapping.json: give exactly one of id_column or id_columns"),
        ({"fields": {}}, "mapping.json: fields: must be a non-empty object"),
        ({"fields": {"name": {"column": "Title", "split": ";"}}}, "fields.name: split: only list fields"),
        ({"fields": {"sectors": {"column": "S", "map": {"a": 1}}}}, "fields.sectors: map: must map"),
        ({"fields": {"sectors": {"column": "S", "vocabulary": "country"}}}, "'country' only applies"),
        ({"fields": {"start_date": {"date_format": "%Y"}}}, "fields.start_date: needs a column"),
        ({"fields": {"sectors": {"column": "S", "strict": "yes"}}}, "strict: must be true or false"),
        ({"strict": 1}, "mapping.json: strict: must be true or false"),
        ({"delimiter": ";;"}, "delimiter: must be one character"),
        ({"sheets": "x"}, "mapping.json: unknown key 'sheets' (did you mean 'sheet'?)"),
    ],
)
def test_mapping_errors_name_the_key(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    path = write_mapping(tmp_path / "mapping.json", {**MAPPING, **change})
    with pytest.raises(InvalidInput) as caught:
        load_mapping(path)
    assert message in str(caught.value)


def test_mapping_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    path.write_text('{"source": ', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"mapping\.json: bad JSON at line 1"):
        load_mapping(path)


def test_documented_example_mapping_loads() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "mapping-example.json"
    spec = load_mapping(example)
    assert isinstance(spec, MappingSpec) and spec.source == "cert-ee-incidents"
    assert {f.name for f in spec.fields} >= {"receiver_countries", "incident_types", "estimated_cost.currency"}


def test_semicolon_csv_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("\ufeffTicket;Title;Victims\n7;DDoS on banks;Lithuania\n", encoding="utf-8")
    mapping = {"source": "s", "release": "2024-01-01", "id_column": "Ticket", "delimiter": ";",
               "fields": {"name": "Title", "receiver_countries": "Victims"}}
    incidents, report = read(path, mapping)
    assert report.ok and ir_properties(incidents[0])["receiver_countries"] == ["LT"]


def test_yaml_mapping_tab_delimiter_and_list_literal_cells(tmp_path: Path) -> None:
    (tmp_path / "mapping.yaml").write_text(
        "source: eurepoc-copy\nrelease: 2023-04-20\nid_column: ID\nfields:\n"
        "  receiver_countries: {column: receiver_country, split: '[]'}\n"
        "  actors: {column: initiator_name, split: '[]'}\n", encoding="utf-8")
    path = tmp_path / "data.tsv"
    path.write_text("ID\treceiver_country\tinitiator_name\n"
                    "9\t['United States', \"Korea, Republic of\"]\t[unbalanced\n", encoding="utf-8")
    report = ImportReport(source="t")
    (incident,) = read_table(path, load_mapping(tmp_path / "mapping.yaml"), report)
    assert ir_properties(incident)["receiver_countries"] == ["US", "KR"]
    assert ir_properties(incident)["actors"] == ["[unbalanced"]  # not a list literal: one item


def test_named_vocabulary_calls_cirx_model_vocab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vocab = types.ModuleType("cirx.model.vocab")
    calls: list[tuple[str, str]] = []

    def incident_types_from(source: str, value: str) -> list[str]:
        calls.append((source, value))
        return {"DoS": ["ddos"], "Malicious code": ["malware"]}.get(value, [])

    vocab.incident_types_from = incident_types_from  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cirx.model.vocab", vocab)
    mapping = {"source": "s", "release": "2024-01-01", "id_column": "Ticket",
               "fields": {"incident_types": {"column": "Category", "split": ";", "vocabulary": "rsit"}}}
    rows = [["1", "", "", "", "", "DoS;Malicious code;Spam", "", ""]]
    incidents, report = read(write_csv(tmp_path / "data.csv", rows), mapping)
    assert ir_properties(incidents[0])["incident_types"] == ["ddos", "malware"]
    assert calls == [("rsit", "DoS"), ("rsit", "Malicious code"), ("rsit", "Spam")]
    assert any("'Spam'" in note for note in report.notes)
    with pytest.raises(InvalidInput, match=r"needs cirx\.model\.vocab\.effects_from"):
        parse_mapping({**mapping, "fields": {"effects": {"column": "Impact", "vocabulary": "x"}}})


CELLS = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["", "Russia", "EE", "03/02/2021", "31/02/2021", "1e400", "nan", "-1", "12", ";;",
                     "Data leak", "https://x.org", "Narnia"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(CELLS, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=6))
def test_random_cells_never_crash_only_rejections(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder) / "random.csv", rows)
        incidents, report = read(path)
    non_blank = sum(any(cell.strip() for cell in row) for row in rows)
    assert len(incidents) + len(report.rejected) == non_blank  # every row imported or rejected
    for incident in incidents:
        check_and_upgrade(incident, max_bytes=1 << 20)
        jsonschema.validate(incident["extensions"][IR_EXTENSION_ID], IR_SCHEMA)
        json.dumps(incident)
    for rejection in report.rejected:
        assert rejection.object_ref.startswith("random.csv row ")
