"""EuRepoC, CFR and DCID importers against the real datasets and against small broken files.

The real data lives in ``../shared/data`` beside the checkout; the tests that need it skip
when it is absent.  The acceptance check is :func:`test_dyad_counts_match_the_source`:
per (initiator, receiver) counts from the yielded objects equal counts made here straight
from the CSV files with a separate, deliberately simple parser.
"""

from __future__ import annotations

import csv
import inspect
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from cirx.ingest.cfr import affiliation_actors, external_id, read_cfr, repair_shift, victim_countries
from cirx.ingest.dcid import read_dcid
from cirx.ingest.eurepoc import parse_list, primary_name, read_eurepoc
from cirx.ingest.report import ImportReport
from cirx.model.countries import to_iso2
from cirx.model.incident import IR_EXTENSION_ID, IR_SCHEMA, ir_properties


def shared_data() -> Path:
    """``../shared/data`` beside the checkout (this file is tests/unit/ in the checkout)."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


DATA = shared_data()
EUREPOC = DATA / "eurepoc"
CFR = DATA / "cfr-cyber-operations-tracker"
DCID = DATA / "dcid"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared datasets not found at {DATA}")
Reader = Callable[[Path, ImportReport], Iterable[dict[str, Any]]]
READERS: dict[str, tuple[Reader, Path]] = {"eurepoc": (read_eurepoc, EUREPOC), "cfr": (read_cfr, CFR),
                                           "dcid": (read_dcid, DCID)}


@cache
def imported(name: str) -> tuple[list[dict[str, Any]], ImportReport]:
    reader, path = READERS[name]
    report = ImportReport(name)
    return list(reader(path, report)), report


def pair_counts(pairs: Iterable[tuple[Iterable[str | None], Iterable[str | None]]]) -> Counter[Any]:
    """Count each distinct (initiator, receiver) pair once per incident; a missing side is None."""
    counts: Counter[Any] = Counter()
    for initiators, receivers in pairs:
        counts.update(set(product(list(initiators) or [None], list(receivers) or [None])))
    return counts


def object_pairs(objects: list[dict[str, Any]]) -> Counter[Any]:
    return pair_counts((ir_properties(o).get("initiator_countries", []),
                        ir_properties(o).get("receiver_countries", [])) for o in objects)


# --- independent counting straight from the files ---------------------------------------------

def _quoted(cell: str) -> list[str]:
    return [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", cell)]


def _codes(names: Iterable[str]) -> set[str]:
    return {code for code in map(to_iso2, names) if code}


def eurepoc_pairs_from_csv() -> Counter[Any]:
    with (EUREPOC / "EuRepoC_Global_Database_1.1.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        initiator, receiver = header.index("initiator_country"), header.index("receiver_country")
        return pair_counts((_codes(_quoted(r[initiator])), _codes(_quoted(r[receiver]))) for r in rows)


# The seven rows of the CFR CSV whose cells a lost closing quote moved: Sponsor and Victims as
# read by eye from the raw file.
CFR_SHIFTED = {
    "Targeting of Indian government and military officials": ("Pakistan",
                                                              "Indian government and military officials"),
    "Targeting of Hungary's foreign ministry networks": ("Russian Federation",
                                                         "Hungary's foreign ministry networks"),
    "Targeting of the Norwegian parliament?? email system": ("Russian Federation",
                                                            "Norwegian politicians and parliament employees"),
    "Targeting of cloud computing servers in brute force attacks": (
        "Russian Federation", "Cloud and enterprise computing companies and government agencies"),
    "Targeting of classified government data in Ukraine": ("Russian Federation",
                                                          "highest institutions of state power in Ukraine"),
    "Targeting of Poland?? War Studies University": ("Russian Federation", "Poland War Studies University"),
    "Chrysene": ("", "Iraq, Pakistan, Israel, United Kingdom"),
}


def cfr_pairs_from_csv() -> Counter[Any]:
    pairs = []
    with (CFR / "cfr_cyber_operations_tracker_coded.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        title, sponsor, victims = (header.index(c) for c in ("Title", "Sponsor", "Victims"))
        for row in rows:
            found = CFR_SHIFTED.get(row[title], (row[sponsor], row[victims]))
            pairs.append((_codes(found[0].split(",")), victim_countries(found[1])))
    return pair_counts(pairs)


def dcid_pairs_from_csv() -> Counter[Any]:
    with (DCID / "dcid_2.0_update_feb2023.csv").open(encoding="utf-8", errors="replace") as handle:
        update: dict[tuple[str, str], str] = {}
        for row in csv.DictReader(handle):
            update.setdefault((row["Dyadpair"], row["Name"].strip().lower()), row["initiator"])
    pairs = []
    with (DCID / "dcid_2.0_release_june2020_incidents.csv").open(encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            states = {to_iso2(row["StateA"]), to_iso2(row["StateB"])}
            initiator = to_iso2(row["initiator"])
            if initiator not in states:  # the Feb 2023 update corrects a few
                initiator = to_iso2(update.get((row["Dyadpair"], row["Name"].strip().lower()), ""))
            if initiator not in states and row["Name"].strip() == "BlockBuster Sequel China-South Korea":
                initiator = "CN"  # coded 731 (North Korea) in both files; read by hand: "China targets ..."
            receivers = states - {initiator} if initiator in states else set()
            pairs.append(({initiator} if initiator else set(), receivers))
    return pair_counts(pairs)


# --- the real datasets --------------------------------------------------------------------------

@needs_data
@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "count"), [("eurepoc", 1643), ("cfr", 713), ("dcid", 429)])
def test_one_incident_per_row_and_no_rejection(name: str, count: int) -> None:
    objects, report = imported(name)
    assert report.rejected == [] and report.read == 0  # read counts rejected rows; the writer the rest
    assert len(objects) == count
    assert len({o["id"] for o in objects}) == count
    assert all(o["external_references"][0]["source_name"] == name for o in objects)
    assert all(o["spec_version"] == "2.1" and o["type"] == "incident" for o in objects)


@needs_data
@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["eurepoc", "cfr", "dcid"])
def test_reading_twice_gives_identical_objects(name: str) -> None:
    reader, path = READERS[name]
    first = list(reader(path, ImportReport(name)))
    again = list(reader(path, ImportReport(name)))
    assert first == again
    created = {o["created"] for o in first}
    assert len(created) == 1 and created == {o["modified"] for o in first}


@needs_data
@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "independent"), [("eurepoc", eurepoc_pairs_from_csv),
                                                   ("cfr", cfr_pairs_from_csv),
                                                   ("dcid", dcid_pairs_from_csv)])
def test_dyad_counts_match_the_source(name: str, independent: Callable[[], Counter[Any]]) -> None:
    objects, _ = imported(name)
    assert object_pairs(objects) == independent()


@needs_data
@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("name", ["eurepoc", "cfr", "dcid"])
def test_objects_are_valid_stix_and_match_the_ir_schema(name: str) -> None:
    from stix2validator import ValidationOptions, validate_instance

    objects, _ = imported(name)
    options = ValidationOptions(version="2.1")
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is a dev dependency
        jsonschema = None
    schema = jsonschema.Draft202012Validator(IR_SCHEMA) if jsonschema else None
    for incident in objects:
        result = validate_instance(incident, options)
        assert result.errors == [], (incident["name"], [str(e) for e in result.errors])
        extension = incident["extensions"][IR_EXTENSION_ID]
        if schema is not None:
            problems = [e.message for e in schema.iter_errors(extension)]
            assert problems == [], (incident["name"], problems)
        else:  # pragma: no cover
            assert set(extension) <= set(IR_SCHEMA["properties"])


@needs_data
@pytest.mark.shared_data
def test_eurepoc_details() -> None:
    objects, report = imported("eurepoc")
    by_id = {o["external_references"][0]["external_id"]: ir_properties(o) for o in objects}
    first = by_id["2"]
    assert first["initiator_countries"] == ["AZ"] and first["receiver_countries"] == ["AM"]
    assert first["initiator_category"] == "hacktivist"
    assert first["incident_types"] == ["disruption"] and first["effects"] == ["disruption"]
    assert first["intensity"] == {"value": 1.0, "scale": "eurepoc-weighted-cyber-intensity"}
    assert first["original_values"]["eurepoc"]["initiator_country"] == ["Azerbaijan"]
    joint = [c for c in by_id["1493"]["attribution_claims"] if c["attributed_by"]["kind"] == "governments-jointly"]
    assert {c["attributed_by"]["country"] for c in joint} == {"AU", "CA", "GB", "US"}
    assert {c["attributed_to"]["state"] for c in joint} == {"IR"}
    regions = [p for p in by_id.values() if "EU (region)" in str(p["original_values"]["eurepoc"].get(
        "receiver_country"))]
    assert regions and all("receiver_countries" not in p or "EU" not in p["receiver_countries"]
                           for p in regions)
    costs = [p["estimated_cost"] for p in by_id.values() if "estimated_cost" in p]
    assert len(costs) == 4 and {c["currency"] for c in costs} <= {"EUR", "USD"}
    assert not [n for n in report.notes if "no common term" in n]


@needs_data
@pytest.mark.shared_data
def test_cfr_details_and_xlsx() -> None:
    objects, report = imported("cfr")
    flame = next(ir_properties(o) for o in objects if o["name"] == "Flame")
    assert flame["initiator_countries"] == ["IL", "US"] and "IR" in flame["receiver_countries"]
    assert flame["disclosure_date"] == "2012-05-28" and flame["incident_types"] == ["data-destruction"]
    assert {c["attributed_to"]["state"] for c in flame["attribution_claims"]} == {"IL", "US"}
    assert all(c["attributed_by"]["kind"] == "researcher" for c in flame["attribution_claims"])
    assert next(o for o in objects if o["name"] == "Flame")["external_references"][0]["external_id"] == \
        external_id("Flame", "2012-05-28")
    assert sum("put back in their columns" in n for n in report.notes) == 7
    from_xlsx = list(read_cfr(CFR / "cfr_attacker_coded.xlsx", ImportReport("cfr")))
    assert sorted(from_xlsx, key=lambda o: o["id"]) == sorted(objects, key=lambda o: o["id"])


@needs_data
@pytest.mark.shared_data
def test_dcid_details_and_update() -> None:
    objects, report = imported("dcid")
    by_id = {o["external_references"][0]["external_id"]: ir_properties(o) for o in objects}
    regin = by_id["1"]
    assert regin["initiator_countries"] == ["US"] and regin["receiver_countries"] == ["RU"]
    assert regin["intensity"] == {"value": 4.0, "scale": "dcid-severity"}
    update = regin["original_values"]["dcid"]["feb2023"]
    assert update["incident"]["target"] == "365" and update["response"]["Name"] == "Duke Series"
    assert sum("feb2023" in p["original_values"]["dcid"] for p in by_id.values()) == 428
    corrected = [n for n in report.notes if "update's" in n]
    assert len(corrected) == 3
    assert any("'AE'" in n and "not imported" in n for n in report.notes)
    only_release = list(read_dcid(DCID / "dcid_2.0_release_june2020_incidents.csv", ImportReport("dcid")))
    assert len(only_release) == 429 and all(o["modified"] == "2020-06-01T00:00:00.000Z" for o in only_release)
    refused = ImportReport("dcid")
    assert list(read_dcid(DCID / "dcid_2.0_update_feb2023.csv", refused)) == []
    assert refused.rejected and "update" in refused.rejected[0].reason


# --- small broken files (no shared data needed) ------------------------------------------------------

EUREPOC_HEADER = ["ID", "name", "description", "start_date", "end_date", "incident_type", "receiver_country",
                  "receiver_category", "initiator_country", "initiator_category", "weighted_cyber_intensity",
                  "sources_url"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_eurepoc_bad_rows_are_rejected_naming_row_and_column(tmp_path: Path) -> None:
    good = ["7", "Good", "", "2021-03-01", "", "Disruption", "['Estonia']", "[['Media']]", "['Russia']",
            "['State']", "2.0", "['https://example.org/a']"]
    _write(tmp_path / "EuRepoC_Global_Database_test.csv", EUREPOC_HEADER, [
        good,
        ["8", "Bad date", "", "2021-13-45", "", "Disruption", "['Estonia']", "", "", "", "", ""],
        ["7", "Repeated", "", "", "", "", "", "", "", "", "", ""],
        ["9", "Bad intensity", "", "", "", "", "", "", "", "", "high", ""],
        ["10", "Damaged list", "", "", "", "Data theft", "['Latvia', 'Lithu", "", "[['Not available']]",
         "", "", ""],
    ])
    report = ImportReport("eurepoc")
    objects = list(read_eurepoc(tmp_path, report))
    assert [o["name"] for o in objects] == ["Good", "Damaged list"]
    assert [(r.object_ref, r.property) for r in report.rejected] == [
        ("eurepoc row 3 (ID 8)", "start_date"), ("eurepoc row 4 (ID 7)", "ID"),
        ("eurepoc row 5 (ID 9)", "weighted_cyber_intensity")]
    assert ir_properties(objects[0])["receiver_countries"] == ["EE"]
    assert ir_properties(objects[1])["receiver_countries"] == ["LV"]  # fallback parse of the damaged cell
    assert any("no attribution table" in n for n in report.notes)


def test_cfr_bad_rows_are_rejected_naming_row_and_column(tmp_path: Path) -> None:
    header = ["Title", "Date", "Affiliations", "Description", "Response", "Victims", "Sponsor", "Type",
              "Category", "Sources_1", "Sources_2", "Sources_3"]
    _write(tmp_path / "tracker.csv", header, [
        ["Good", "2020-01-02", "APT 28", "d", "", "Germany", "Russian Federation", "Espionage", "Government",
         "https://example.org/x", "", ""],
        ["Shifted", "2020-01-03", "", "d", "Russia", "Espionage", "Government", "https://example.org/y", "",
         "", "", ""],
        ["Bad date", "03/01/2020", "", "", "", "", "", "", "", "", "", ""],
        ["", "2020-01-04", "", "", "", "", "", "", "", "", "", ""],
    ])
    report = ImportReport("cfr")
    objects = list(read_cfr(tmp_path, report))
    assert [o["name"] for o in objects] == ["Good"]
    good = ir_properties(objects[0])
    assert good["initiator_countries"] == ["RU"] and good["receiver_countries"] == ["DE"]
    assert good["actors"] == ["APT 28"]
    assert [(r.object_ref, r.property) for r in report.rejected] == [
        ("cfr row 3 (Shifted)", "Type"), ("cfr row 4 (Bad date)", "Date"), ("cfr row 5 (untitled)", "Title")]


def test_dcid_bad_rows_are_rejected_naming_row_and_column(tmp_path: Path) -> None:
    header = ["Cyberincidentnum", "Dyadpair", "StateA", "StateB", "Name", "interactionstartdate",
              "interactionenddate", "method", "targettype", "initiator", "cyber_objective", "severity",
              "3rdpartyinitiator", "Sources1"]
    _write(tmp_path / "dcid_2.0_release_june2020_incidents.csv", header, [
        ["1", "2365", "US", "Russia", "Good", "2008-02-01", "2011-03-01", "3.0", "2", "365", "3", "4", "0",
         "https://example.org/z"],
        ["2", "2365", "US", "Atlantis", "No state", "2008-02-01", "", "3.0", "2", "2", "3", "4", "0", ""],
        ["3", "2365", "US", "Russia", "No code", "2008-02-01", "", "3.0", "2", "Moscow", "3", "4", "0", ""],
        ["4", "2365", "US", "Russia", "Bad end", "2008-02-01", "someday", "3.0", "2", "2", "3", "4", "0", ""],
    ])
    report = ImportReport("dcid")
    objects = list(read_dcid(tmp_path, report))
    assert [o["name"] for o in objects] == ["Good"]
    good = ir_properties(objects[0])
    assert good["initiator_countries"] == ["RU"] and good["receiver_countries"] == ["US"]
    assert good["initiator_category"] == "state"
    assert [(r.object_ref, r.property) for r in report.rejected] == [
        ("dcid row 3 (Cyberincidentnum 2)", "StateB"), ("dcid row 4 (Cyberincidentnum 3)", "initiator"),
        ("dcid row 5 (Cyberincidentnum 4)", "interactionenddate")]


def test_readers_stream() -> None:
    assert all(inspect.isgeneratorfunction(f) for f in (read_eurepoc, read_cfr, read_dcid))


@pytest.mark.parametrize(("cell", "expected"), [
    ("['Armenia']", ["Armenia"]),
    ("[['A', 'B'], ['C']]", [["A", "B"], ["C"]]),
    ('["Korea, Democratic People\'s Republic of"]', ["Korea, Democratic People's Republic of"]),
    ("['Latvia', 'Lithu", ["Latvia"]),
    ("Russia", ["Russia"]),
    ("", []),
])
def test_parse_list(cell: str, expected: list[Any]) -> None:
    assert parse_list(cell) == expected


def test_repair_of_a_row_shifted_by_a_lost_quote() -> None:
    row = ["Chrysene", "2018-05-17", "Believed to be linked to OilRig", "Targets oil.??,,Iraq", "Pakistan",
           "Israel", ' United Kingdom"', "", "Espionage", "Private sector", "https://dragos.com/x", "",
           "200", "COLUMN_SHIFT_FIX"]
    fixed = repair_shift(row)
    assert fixed is not None
    assert fixed[3:9] == ["Targets oil.", "", "Iraq,Pakistan,Israel, United Kingdom", "", "Espionage",
                          "Private sector"]
    assert fixed[9] == "https://dragos.com/x" and fixed[12:] == ["200", "COLUMN_SHIFT_FIX"]
    assert repair_shift(["Flame", "2012-05-28", "", "d", "", "Iran", "United States", "Espionage", "", "",
                         "", ""]) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Iran, Israel, Palestine, Sudan", ["IL", "IR", "PS", "SD"]),
    ("U.S. Department of State", ["US"]),
    ("Ukrainian government agencies", ["UA"]),
    ("South Korean journalists and North Korean defectors", ["KP", "KR"]),
    ("Republic of Korea, Japan, Vietnam", ["JP", "KR", "VN"]),
    ("Hungary's foreign ministry networks", ["HU"]),
    ("IT sectors and UN officials", []),
    ("Jeff Bezos", []),
])
def test_victim_countries(text: str, expected: list[str]) -> None:
    assert victim_countries(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Believed to be the work of APT 28", ["APT 28"]),
    ("Believed to be the work of?APT 28", ["APT 28"]),
    ("Believed to be the work of Sednit, also known as APT 28, Fancy Bear, and Strontium.", ["Sednit"]),
    ("Believed to be the work of TempTick?and Turla", ["TempTick", "Turla"]),
    ("Believed to be the work of Russia's government", []),
    ("Government of China", []),
    ("Iran, APT 35", ["APT 35"]),
    ("Russian military intelligence agency, known as GRU", ["GRU"]),
    ("Lazarus Group", ["Lazarus Group"]),
    ("", []),
])
def test_affiliation_actors(text: str, expected: list[str]) -> None:
    assert affiliation_actors(text) == expected


def test_primary_name() -> None:
    assert primary_name("Fancy Bear/APT28/Sofacy (GRU, Unit 26165)") == "Fancy Bear"
    assert primary_name("APT41/BARIUM/Wicked Panda/G0096 (Chengdu 404) <\xa0Winnti Umbrella") == "APT41"
    assert primary_name("Syrian Electronic Army") == "Syrian Electronic Army"
