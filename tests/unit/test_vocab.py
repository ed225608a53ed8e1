"""Mapping of CFR, EuRepoC, DCID, RSIT, VERIS and NIS terms onto cirx's common vocabularies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cirx.model.incident import ATTRIBUTION_SOURCES, EFFECTS, INCIDENT_TYPES, INITIATOR_CATEGORIES
from cirx.model.vocab import (
    RECEIVER_CATEGORIES,
    attribution_basis_from,
    attribution_kind_from,
    effects_from,
    incident_types_from,
    initiator_category_from,
    nis2_sectors,
    receiver_categories_from,
    rsit_types,
    sector_vocabulary,
    sectors_from,
)

# Values as they appear in the datasets (EuRepoC v1.1, CFR tracker 2022, DCID 2.0).
EUREPOC_TYPES = ["Disruption", "Data theft", "Hijacking with Misuse", "Data theft & Doxing",
                 "Hijacking without Misuse", "Ransomware"]
EUREPOC_MITRE_IMPACT = ["Data Exfiltration", "Data Encrypted for Impact", "Network Denial of Service",
                        "Defacement", "Data Destruction", "Endpoint Denial of Service", "Service Stop",
                        "Disk Wipe", "Data Manipulation", "Resource Hijacking", "Inhibit System Recovery",
                        "System Shutdown/Reboot", "Account Access Removal", "Firmware Corruption"]
EUREPOC_RECEIVER_CATEGORIES = [
    "State institutions / political system", "Critical infrastructure",
    "Corporate Targets (corporate targets only coded if the respective company is not part of the "
    "critical infrastructure definition)", "Social groups", "Media", "Science",
    "End user(s) / specially protected groups", "International / supranational organization"]
EUREPOC_SUBCODES = [
    "Government / ministries", "Military", "Telecommunications", "Energy", "Defence industry", "Finance",
    "Civil service / administration", "Transportation",
    "Advocacy / activists (e.g. human rights organizations)", "Health", "Police", "Political parties",
    "Legislative", "Political opposition / dissidents / expats", "Intelligence agencies",
    "Other social groups", "Judiciary", "Election infrastructure / related systems", "Chemicals",
    "Religious", "Other (e.g., embassies)", "Terrorist", "Ethnic", "Criminal", "Water", "Food",
    "Hacktivist", "Space", "Critical Manufacturing"]
CFR_TYPES = ["Espionage", "Sabotage", "Denial of service", "Data destruction", "Financial Theft",
             "Defacement", "Doxing"]
CFR_CATEGORIES = ["Private sector", "Government", "Civil society", "Military"]


@pytest.mark.parametrize(("source", "value", "expected"), [
    ("eurepoc", "Disruption", ["disruption"]),
    ("eurepoc", "Data theft & Doxing", ["data-theft", "doxing"]),
    ("eurepoc", "Hijacking with Misuse", ["hijacking"]),
    ("eurepoc", "Hijacking without Misuse", ["intrusion"]),
    ("eurepoc", "Ransomware", ["ransomware"]),
    ("attack-impact", "Network Denial of Service", ["ddos"]),
    ("attack-impact", "Disk Wipe", ["data-destruction"]),
    ("cfr", "Espionage", ["espionage"]),
    ("cfr", "Denial of service", ["ddos"]),
    ("cfr", "Financial Theft", ["financial-theft"]),
    ("cfr", "  doxing ", ["doxing"]),
    ("dcid", "1.0", ["defacement"]),
    ("dcid", "2.0", ["ddos"]),
    ("dcid", "3.0", ["intrusion"]),
    ("dcid", "4.1", ["malware", "data-destruction"]),
    ("dcid", "4.4", ["malware"]),
    ("dcid", "0.0", []),
    ("dcid-objective", "3", ["espionage"]),
    ("dcid-objective", "4", ["sabotage"]),
    ("rsit", 'rsit:intrusions="system-compromise"', ["intrusion"]),
    ("rsit", "availability/ddos", ["ddos"]),
    ("rsit", "phishing", ["fraud"]),
    ("rsit", "information-content-security:data-leak", ["data-theft"]),
    ("rsit", "malicious-code", ["malware"]),
    ("rsit", "intrusions/ddos", []),  # ddos is not an intrusions type
    ("rsit", "no-such-type", []),
    ("veris", "action.hacking", ["intrusion"]),
    ("veris", "action.malware.variety.Ransomware", ["ransomware"]),
    ("veris", "attribute.integrity.variety.Defacement", ["defacement"]),
    ("veris", "actor.external.motive.Espionage", ["espionage"]),
    ("cirx", "ddos", ["ddos"]),
    ("cirx", "not-a-type", []),
])
def test_incident_types(source: str, value: str, expected: list[str]) -> None:
    assert incident_types_from(source, value) == expected


def test_every_dataset_type_maps_into_the_common_vocabulary() -> None:
    for source, values in (("eurepoc", EUREPOC_TYPES), ("cfr", CFR_TYPES),
                           ("attack-impact", EUREPOC_MITRE_IMPACT)):
        for value in values:
            found = incident_types_from(source, value)
            assert found, (source, value)
            assert set(found) <= set(INCIDENT_TYPES)
    for method in ("1.0", "2.0", "3.0", "3.1", "4.0", "4.1", "4.2", "4.3", "4.4"):
        assert incident_types_from("dcid", method)


def test_every_rsit_type_from_the_misp_taxonomy_maps() -> None:
    types = rsit_types()
    assert len(types) == 39 and types["ddos"] == "availability"
    for entry, cls in types.items():
        assert set(incident_types_from("rsit", f'rsit:{cls}="{entry}"')) <= set(INCIDENT_TYPES)
    assert incident_types_from("rsit", 'rsit:test="test"') == []


@pytest.mark.parametrize(("source", "value", "expected"), [
    ("eurepoc", "Government / ministries", ["government"]),
    ("eurepoc", "Civil service / administration", ["public-administration"]),
    ("eurepoc", "Telecommunications", ["digital-infrastructure"]),
    ("eurepoc", "Finance", ["banking"]),
    ("eurepoc", "Political parties", ["political-party"]),
    ("eurepoc", "Advocacy / activists (e.g. human rights organizations)", ["civil-society"]),
    ("eurepoc", "International / supranational organization", ["international-organisation"]),
    ("eurepoc", "Science", ["research"]),
    ("eurepoc", "Critical infrastructure", []),  # no sector without a subcode
    ("cfr", "Civil society", ["civil-society"]),
    ("cfr", "Military", ["military"]),
    ("cfr", "Private sector", []),
    ("dcid", "3", ["military"]),
    ("dcid-critical-infrastructure", "8", ["energy"]),
    ("dcid-critical-infrastructure", "11", ["government"]),
    ("dcid-critical-infrastructure", "13", ["ict-services"]),
    ("dcid-critical-infrastructure", "17", []),
    ("nis2", 'nis2:impact-sectors-impacted="public-administration"', ["public-administration"]),
    ("nis2", "Digital infrastructure", ["digital-infrastructure"]),
    ("nis2", "medical-devices-subsector", ["manufacturing"]),
    ("eu-nis-sector-and-subsectors", 'eu-nis-oes-energy="electricity-energy"', ["energy"]),
    ("eu-nis-sector-and-subsectors", "water-transport", ["transport"]),
    ("eu-nis-sector-and-subsectors", "water", ["drinking-water"]),
    ("eu-nis-sector-and-subsectors", "digitalinfrastructure", ["digital-infrastructure"]),
    ("cirx", "political-party", ["political-party"]),
    ("cirx", "nowhere", []),
])
def test_sectors(source: str, value: str, expected: list[str]) -> None:
    assert sectors_from(source, value) == expected


def test_sector_vocabulary_is_nis2_plus_other_sectors() -> None:
    nis2 = nis2_sectors()
    assert {"energy", "transport", "banking", "health", "public-administration", "research"} <= set(nis2)
    vocabulary = set(sector_vocabulary())
    assert {"government", "military", "political-party", "civil-society", "media",
            "international-organisation", "education"} <= vocabulary
    values = [("eurepoc", v) for v in EUREPOC_RECEIVER_CATEGORIES + EUREPOC_SUBCODES]
    values += [("cfr", v) for v in CFR_CATEGORIES] + [("dcid", v) for v in "123"]
    values += [("dcid-critical-infrastructure", str(n)) for n in range(1, 18)]
    for source, value in values:
        assert set(sectors_from(source, value)) <= vocabulary, (source, value)
    for subcode in EUREPOC_SUBCODES:
        assert sectors_from("eurepoc", subcode), subcode


def test_receiver_categories() -> None:
    assert receiver_categories_from("eurepoc", EUREPOC_RECEIVER_CATEGORIES[2]) == ["private-sector"]
    assert receiver_categories_from("eurepoc", "Critical infrastructure") == ["critical-infrastructure"]
    assert receiver_categories_from("cfr", "Government") == ["government"]
    assert receiver_categories_from("dcid", "1") == ["private-sector"]
    for value in EUREPOC_RECEIVER_CATEGORIES:
        found = receiver_categories_from("eurepoc", value)
        assert found and set(found) <= set(RECEIVER_CATEGORIES), value


@pytest.mark.parametrize(("source", "value", "subcode", "expected"), [
    ("eurepoc", "State", None, "state"),
    ("eurepoc", "Non-state actor, state-affiliation suggested", "", "state-affiliated"),
    ("eurepoc", "Non-state-group", "Hacktivist(s)", "hacktivist"),
    ("eurepoc", "Non-state-group", "Criminal(s)", "criminal"),
    ("eurepoc", "Individual hacker(s)", "Criminal(s)", "criminal"),
    ("eurepoc", "Non-state-group", "Non-state-group, state-affiliation suggested (widely held view "
                "for the attributed initiator (group), but not invoked in this case)", "state-affiliated"),
    ("eurepoc", "Non-state-group", None, "unknown"),
    ("eurepoc", "Unknown - not attributed", None, "unknown"),
    ("eurepoc", "Not available", None, "unknown"),
    ("eurepoc", "State", "Hacktivist(s)", "state"),
    ("eurepoc", "Non-state actor, state-affiliation suggested", "Hacktivist(s)", "state-affiliated"),
    ("cfr", "China", None, "state"),
    ("dcid", "0", None, "state"),
    ("dcid", "1", None, "state-affiliated"),
    ("veris", "Organized crime", None, "criminal"),
])
def test_initiator_category(source: str, value: str, subcode: str | None, expected: str) -> None:
    assert initiator_category_from(source, value, subcode) == expected
    assert expected in INITIATOR_CATEGORIES


def test_unknown_values_and_sources() -> None:
    with pytest.raises(LookupError):
        initiator_category_from("eurepoc", "Space aliens")
    with pytest.raises(LookupError):
        incident_types_from("no-such-dataset", "Espionage")
    with pytest.raises(LookupError):
        sectors_from("no-such-dataset", "Energy")
    assert incident_types_from("cfr", "Cyber-kinetic teleportation") == []


@pytest.mark.parametrize(("source", "value", "field", "expected"), [
    ("eurepoc", "Short-term disruption (< 24h; incident scores 1 point in intensity)", "disruption",
     ["disruption"]),
    ("eurepoc", "none", "disruption", []),
    ("eurepoc", "Not available", "data_theft", []),
    ("eurepoc", "For private / commercial targets: sensitive information (incident scores 2 points "
                "in intensity)", "data_theft", ["data-theft"]),
    ("eurepoc", "Local effects, e.g., affecting only one restricted area of a country or region "
                "(incident scores 1 point in intensity)", "physical_effects_spatial", ["physical-damage"]),
    ("eurepoc", "Disk Wipe", "MITRE_impact", ["destruction"]),
    ("cfr", "Espionage", None, ["data-theft"]),
    ("cfr", "Doxing", None, ["data-theft", "information-operation"]),
    ("cfr", "Data destruction", None, ["destruction"]),
    ("dcid-objective", "1", None, ["disruption"]),
    ("dcid", "1", "information_operation", ["information-operation"]),
])
def test_effects(source: str, value: str, field: str | None, expected: list[str]) -> None:
    found = effects_from(source, value, field)
    assert found == expected
    assert set(found) <= set(EFFECTS)


@pytest.mark.parametrize(("basis", "kind_of_attribution", "expected"), [
    ("Attacker confirms", "Self-attribution in the course of the attack (e.g., via defacement "
                          "statements on websites)", "self"),
    ("IT-security community attributes attacker", "Technical report (e.g., by IT-companies, Citizen "
                                                  "Lab, EFF)", "company"),
    ("Attribution by receiver government / state entity", "Domestic legal action", "government"),
    ("Media-based attribution", "Media report (e.g., Reuters makes an attribution statement, without "
                                "naming further sources)", "media"),
    ("Attribution by EU institution/agency", "Political statement / report (e.g., on government / state "
                                             "agency websites)", "international-organisation"),
    ("Attribution by third-party", "Political statement / report (e.g., on government / state agency "
                                   "websites)", "government"),
    ("Contested attribution", "Attribution given, type unclear", "other"),
])
def test_attribution_kind(basis: str, kind_of_attribution: str, expected: str) -> None:
    assert attribution_kind_from("eurepoc", basis, kind_of_attribution) == expected
    assert expected in ATTRIBUTION_SOURCES


def test_attribution_basis_codes() -> None:
    assert attribution_basis_from("eurepoc", "Direct statement in media report (e.g., Reuters article "
                                  "cites the attribution statements by a person) / self-attribution via "
                                  "social media") == ["media-report"]
    assert attribution_basis_from("eurepoc", "Political statement/report and indictment / sanctions") == [
        "political-statement", "legal-action"]
    assert attribution_basis_from("eurepoc", "Contested attribution") == ["contested"]


def test_taxonomies_are_not_loaded_at_import() -> None:
    import cirx

    source_root = str(Path(cirx.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source_root,
                                                                     os.environ.get("PYTHONPATH")]))}
    code = "import sys, cirx.model.vocab; print('pytaxonomies' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env)
    assert done.stdout.strip() == "False"


@settings(deadline=None)  # no timing asserts: the first call loads pytaxonomies
@given(st.sampled_from(["cfr", "eurepoc", "dcid", "dcid-objective", "attack-impact", "rsit", "veris",
                        "cirx"]), st.text(max_size=40))
def test_any_text_maps_into_the_vocabulary_or_to_nothing(source: str, value: str) -> None:
    assert set(incident_types_from(source, value)) <= set(INCIDENT_TYPES)


@settings(deadline=None)  # no timing asserts: the first call loads pytaxonomies
@given(st.sampled_from(["cfr", "eurepoc", "dcid", "dcid-critical-infrastructure", "nis2",
                        "eu-nis-sector-and-subsectors"]), st.text(max_size=40))
def test_any_text_maps_to_known_sectors_or_nothing(source: str, value: str) -> None:
    assert set(sectors_from(source, value)) <= set(sector_vocabulary())
