"""Entities: store names through aliases, countries, sectors, rules, types by context."""

from __future__ import annotations

import pytest

from cirx.extract.entities import build_gazetteer, extract_entities
from cirx.extract.gazetteer import Gazetteer
from tests.extract.fixtures import attack_bundle


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    objects = attack_bundle()["objects"] + [
        {"type": "intrusion-set", "id": "intrusion-set--6", "name": "Carbanak", "aliases": ["Carbanak"],
         "external_references": [{"source_name": "mitre-attack", "external_id": "G0008"}]},
        {"type": "malware", "id": "malware--7", "name": "Carbanak",
         "external_references": [{"source_name": "mitre-attack", "external_id": "S0030"}]},
        {"type": "intrusion-set", "id": "intrusion-set--8", "name": "Lazarus Group", "aliases": ["Lazarus"]},
    ]
    return build_gazetteer(objects)


def found(text: str, gazetteer: Gazetteer) -> list[tuple[str, str, str | None]]:
    return [(e.type, e.text, e.id) for e in extract_entities(text, gazetteer)]


def test_aliases_resolve_to_attack_ids_whatever_the_spelling(gazetteer: Gazetteer) -> None:
    assert found("Fancy Bear (APT 28, a.k.a. SOFACY) deployed XAgent and Mimikatz.", gazetteer) == [
        ("group", "Fancy Bear", "G0007"), ("group", "APT 28", "G0007"), ("group", "SOFACY", "G0007"),
        ("malware", "XAgent", "S0023"), ("tool", "Mimikatz", "S0002")]


def test_lower_case_common_words_are_not_names(gazetteer: Gazetteer) -> None:
    assert found("the lazarus of legends", gazetteer) == []
    assert found("The Lazarus operators", gazetteer) == [("group", "Lazarus", None)]


def test_shared_names_are_typed_by_their_neighbours(gazetteer: Gazetteer) -> None:
    assert found("The Carbanak group used the Carbanak backdoor.", gazetteer) == [
        ("group", "Carbanak", "G0008"), ("malware", "Carbanak", "S0030")]


def test_countries_demonyms_regions_and_cities(gazetteer: Gazetteer) -> None:
    result = found("Russian hackers hit Ukraine, Greek ports in Piraeus and firms across Southeast Asia.",
                   gazetteer)
    assert result == [("country", "Russian", "RU"), ("country", "Ukraine", "UA"), ("country", "Greek", "GR"),
                      ("sector", "ports", "transport"), ("country", "Piraeus", "GR"),
                      ("country", "Southeast Asia", None)]


def test_unknown_malware_is_learned_once_and_found_everywhere(gazetteer: Gazetteer) -> None:
    text = "MirrorBlast loader samples appeared. Later MirrorBlast changed. TA2722 spread it."
    assert found(text, gazetteer) == [("malware", "MirrorBlast", None), ("malware", "MirrorBlast", None),
                                      ("group", "TA2722", None)]


def test_dates_organisations_and_sectors(gazetteer: Gazetteer) -> None:
    text = "On May 10, 2021 the Ministry of Foreign Affairs warned banks; Proofpoint saw it in mid-2020."
    assert found(text, gazetteer) == [
        ("date", "May 10, 2021", None), ("organisation", "Ministry of Foreign Affairs", None),
        ("sector", "banks", "banking"), ("organisation", "Proofpoint", None), ("date", "mid-2020", None)]


@pytest.mark.parametrize("hostile", [
    "Word. " * 30_000, "Ministry of " + "Word " * 30_000, "Alpha Beta " * 20_000 + "Inc", "a.b " * 50_000,
    "2021 " * 40_000, "May 1, " * 30_000, "X ransomware " * 20_000, "TA505 " * 30_000,
])
def test_hostile_inputs_finish(hostile: str, gazetteer: Gazetteer) -> None:
    """Runs of capitalised words, dates or names end in linear time."""
    extract_entities(hostile, gazetteer)
