"""Attribution: scoring, calibration, caveats, the ACH table, evaluation, and the CLI/REST/Python interfaces.

Most tests run on a small hand-made world (five actors of four states); one
imports the ATT&CK v18.1 bundle into a temporary SQLite store and attributes
realistic evidence.
"""

from __future__ import annotations

import json
import math
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cirx import Platform
from cirx.analysis.attribution import citations, claims, estimative, fitting, metrics
from cirx.analysis.attribution.attributor import Attributor
from cirx.analysis.attribution.evaluate import report_cases, run
from cirx.analysis.attribution.evidence import Evidence
from cirx.analysis.attribution.knowledge import (
    Actor,
    Item,
    Knowledge,
    Report,
    add_link,
    country_from_description,
)
from cirx.analysis.attribution.model import build_index, without
from cirx.analysis.attribution.service import AttributionService
from cirx.errors import InvalidInput
from cirx.model.actor import ACTOR_EXTENSION_ID, actor_extension_definition
from cirx.model.incident import cirx_identity, extension_definition, make_incident
from tests.cli.cli_helpers import cirx, cirx_json
from tests.conftest import shared_data

# -- a small world ------------------------------------------------------------------------------------------------

ACTORS = {  # key: (name, state, {item: [(report, year), ...]})
    "G0001": ("Bear One", "RU", {"T1566.001": ["b1", "b2"], "T1059.001": ["b1", "b2", "b3"], "T1105": ["b2"],
                                 "S0001": ["b1", "b3"], "S0002": ["b1"], "T1021.002": ["b3"]}),
    "G0002": ("Panda Two", "CN", {"T1566.001": ["p1"], "T1059.001": ["p1", "p2"], "T1105": ["p2"],
                                  "S0003": ["p1", "p2"], "S0002": ["p2"], "T1190": ["p1", "p2"]}),
    "G0003": ("Kitten Three", "IR", {"T1059.001": ["k1"], "T1105": ["k1", "k2"], "T1071.001": ["k2"],
                                     "S0004": ["k1", "k2"], "S0002": ["k2"], "T1566.002": ["k1"]}),
    "G0004": ("Chollima Four", "KP", {"T1059.001": ["c1"], "T1105": ["c1"], "T1566.001": ["c2"],
                                      "S0005": ["c1", "c2"], "S0002": ["c1"], "T1486": ["c2"]}),
    "G0005": ("Old Bear", "RU", {"T1071.001": ["o1"], "S0006": ["o1", "o2"], "T1059.001": ["o2"]}),
}
YEARS = {"b1": 2018, "b2": 2019, "b3": 2021, "p1": 2019, "p2": 2022, "k1": 2020, "k2": 2023, "c1": 2021,
         "c2": 2022, "o1": 2011, "o2": 2012}
ITEMS = {"T1566": "Phishing", "T1566.001": "Spearphishing Attachment", "T1566.002": "Spearphishing Link",
         "T1059": "Command and Scripting Interpreter", "T1059.001": "PowerShell", "T1105": "Ingress Tool Transfer",
         "T1071": "Application Layer Protocol", "T1071.001": "Web Protocols", "T1021": "Remote Services",
         "T1021.002": "SMB/Windows Admin Shares", "T1190": "Exploit Public-Facing Application",
         "T1486": "Data Encrypted for Impact", "S0001": "BearRAT", "S0002": "Mimikatz", "S0003": "PandaLoader",
         "S0004": "KittenBot", "S0005": "ChollimaWiper", "S0006": "OldImplant"}


def world() -> Knowledge:
    """The small world as plain knowledge."""
    knowledge = Knowledge()
    for key, name in ITEMS.items():
        kind = "technique" if key.startswith("T") else "software"
        knowledge.items[key] = Item(key, name, kind, ("tool" if key == "S0002" else "malware") if kind == "software"
                                    else None)
    for key, (name, state, links) in ACTORS.items():
        knowledge.actors[key] = Actor(key, name, key, aliases=(name,), country=state, country_basis="test")
        for item, reports in links.items():
            add_link(knowledge.links, key, item, reports)
    for report, year in YEARS.items():
        knowledge.reports[report] = Report(report, report, year=float(year), date=str(year), date_basis="citation")
    return knowledge


@pytest.fixture(scope="module")
def attributor() -> Attributor:
    return Attributor(world())


def hypothesis(result: dict[str, Any], kind: str, key: str) -> dict[str, Any]:
    return next(h for h in result["hypotheses"] if h["kind"] == kind and h["id"] == key)


def ranked(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [h for h in result["hypotheses"] if h["kind"] != "state"]


def top_group(result: dict[str, Any]) -> dict[str, Any]:
    return next(h for h in result["hypotheses"] if h["kind"] == "group")


# -- scoring --------------------------------------------------------------------------------------------------------


def test_a_signature_tool_names_its_actor_and_state_with_the_evidence(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(techniques=("T1566.001",), software=("BearRAT",), date="2020-05-01"))
    top = ranked(result)[0]
    assert (top["id"], top["attack_id"], top["country"]) == ("G0001", "G0001", "RU")
    assert top["probability"] > 0.5 and top["estimative"] in ("likely", "very likely", "almost certain")
    assert top["confidence"] in ("moderate", "high")
    assert top["for"][0]["evidence"] == "S0001" and "2 reports" in top["for"][0]["detail"]
    states = [h for h in result["hypotheses"] if h["kind"] == "state"]
    assert states[0]["id"] == "RU" and states[0]["probability"] >= top["probability"]
    panda = hypothesis(result, "group", "G0002")
    assert any(e["evidence"] == "S0001" and "never reported" in e["detail"] for e in panda["against"])
    assert math.isclose(sum(h["probability"] for h in ranked(result)), 1.0, abs_tol=0.02)


def test_nothing_distinctive_gives_low_confidence_and_no_confident_name(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(techniques=("T1059.001", "T1105"), software=("Mimikatz",)))
    kinds = {c["kind"] for c in result["caveats"]}
    assert "nothing-distinctive" in kinds
    assert result["confidence"] == "low"
    assert all(h["confidence"] == "low" for h in result["hypotheses"])
    groups = [h for h in result["hypotheses"] if h["kind"] == "group"]
    unknown = hypothesis(result, "unknown", "unknown")
    assert max(g["probability"] for g in groups) < 0.5
    assert ranked(result)[0]["id"] == "unknown"
    assert unknown["probability"] >= max(g["probability"] for g in groups)


def test_a_sub_technique_counts_toward_its_parent(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(techniques=("T1021.001",)))  # only G0001 has a T1021 sub-technique
    bear = hypothesis(result, "group", "G0001")
    assert any("parent technique T1021" in e["detail"] for e in bear["for"])
    assert ranked(result)[0]["id"] in ("G0001", "unknown")


def test_new_tooling_and_unresolved_names_are_caveats(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(techniques=("T9999",), software=("NoSuchMalware",)))
    kinds = {c["kind"] for c in result["caveats"]}
    assert {"new-tooling", "unresolved"} <= kinds
    assert result["evidence"]["unresolved"] == ["NoSuchMalware"]


def test_signatures_of_two_states_raise_a_false_flag_caveat(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(software=("BearRAT", "PandaLoader")))
    flag = [c for c in result["caveats"] if c["kind"] == "false-flag"]
    assert flag and "CN" in flag[0]["message"] and "RU" in flag[0]["message"]
    assert all(h["confidence"] != "high" for h in result["hypotheses"])
    noted = attributor.attribute(Evidence(software=("BearRAT",), notes="Could be a false flag: planted strings."))
    assert any(c["kind"] == "false-flag" for c in noted["caveats"])


def test_an_old_profile_is_flagged_stale(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(software=("OldImplant",)))
    assert any(c["kind"] == "stale-profile" and "Old Bear" in c["message"] for c in result["caveats"])
    dated = attributor.attribute(Evidence(software=("OldImplant",), date="2024-06-01"))
    old = hypothesis(dated, "group", "G0005")
    assert any(e["kind"] == "timing" and "outside its active period" in e["detail"] for e in old["against"])
    assert old["probability"] < hypothesis(result, "group", "G0005")["probability"]


def test_without_technical_evidence_unknown_keeps_the_new_actor_rate() -> None:
    knowledge = world()
    knowledge.actors["G0003"] = Actor("G0003", "Kitten Three", "G0003", country="IR", victims=frozenset({"IL"}),
                                      sectors=("Energy",))
    attributor = Attributor(knowledge)
    rate = attributor.new_actor_rate
    assert rate is not None and 0.05 < rate < 0.5  # the shipped calibration's forward rate
    result = attributor.attribute(Evidence(victim_countries=("IL",), sectors=("energy",), date="2021-03-01"))
    unknown = hypothesis(result, "unknown", "unknown")
    assert unknown["probability"] >= round(rate, 4) - 1e-4
    assert "no-technical-evidence" in {c["kind"] for c in result["caveats"]}
    assert result["confidence"] == "low"
    # Victims and sectors still weigh among the known actors, in the room left.
    plain = attributor.attribute(Evidence(date="2021-03-01"))
    assert hypothesis(result, "group", "G0003")["probability"] > hypothesis(plain, "group", "G0003")["probability"]
    assert math.isclose(sum(h["probability"] for h in ranked(result)), 1.0, abs_tol=0.02)
    # Technical evidence is scored by the calibrated model as before: no caveat.
    scored = attributor.attribute(Evidence(techniques=("T1566.001",), software=("BearRAT",), date="2020-05-01"))
    assert "no-technical-evidence" not in {c["kind"] for c in scored["caveats"]}


def test_victims_sectors_and_indicators_weigh_in_by_hand_set_ratios() -> None:
    knowledge = world()
    knowledge.actors["G0003"] = Actor("G0003", "Kitten Three", "G0003", country="IR", victims=frozenset({"IL"}),
                                      sectors=("Energy",))
    knowledge.indicators = {"evil.example": frozenset({"G0003"})}
    attributor = Attributor(knowledge)
    plain = attributor.attribute(Evidence(techniques=("T1105",)))
    more = attributor.attribute(Evidence(techniques=("T1105",), victim_countries=("IL",), sectors=("energy",),
                                         indicators=("evil.example",)))
    assert hypothesis(more, "group", "G0003")["probability"] > hypothesis(plain, "group", "G0003")["probability"]
    assert {"infrastructure", "hand-set-weights"} <= {c["kind"] for c in more["caveats"]}
    assert more["evidence"]["indicators"] == [{"value": "evil.example", "actors": ["G0003"]}]
    unknown_victims = Attributor(world()).attribute(Evidence(techniques=("T1105",), victim_countries=("IL",)))
    assert "no-victim-data" in {c["kind"] for c in unknown_victims["caveats"]}


def test_notes_are_read_for_technique_ids_and_software_names(attributor: Attributor) -> None:
    result = attributor.attribute(Evidence(notes="Dropped KittenBot via T1071.001 after a phishing mail."))
    assert {i["id"] for i in result["evidence"]["items"]} == {"S0004", "T1071.001"}
    assert all(i["from_notes"] for i in result["evidence"]["items"])
    assert ranked(result)[0]["id"] == "G0003"


def test_leaving_a_report_out_removes_it_from_every_profile() -> None:
    index = build_index(world())
    reduced = without(index, "b1")
    row = index.actors.index("G0001")
    mimikatz = index.position["S0002"]
    assert index.counts[row, mimikatz] == 1 and reduced.counts[row, mimikatz] == 0
    assert reduced.reports[row] == index.reports[row] - 1
    assert "b1" not in reduced.profiles["G0001"].get("S0001", frozenset())
    assert not reduced.report_mask[[k == "b1" for k in index.report_keys]].any()


# -- calibration, estimative language, metrics ----------------------------------------------------------------------


def test_the_conditional_logit_and_temperature_are_recovered_from_simulated_cases() -> None:
    rng = np.random.default_rng(7)
    n, rows = 600, 8
    X = np.zeros((n, rows + 1, len(fitting.FEATURES)))
    signal = fitting.FEATURES.index("jm_techniques")
    X[:, :rows, signal] = rng.normal(size=(n, rows))
    truth = np.array([rng.choice(rows, p=np.exp(2 * x) / np.exp(2 * x).sum()) for x in X[:, :rows, signal]])
    cases = fitting.Cases(X, np.ones((n, rows + 1), dtype=bool), truth, [f"r{i}" for i in range(n)])
    mask = np.ones((n, rows + 1), dtype=bool)
    mask[:, -1] = False
    cases.mask = mask
    weights = fitting.fit_weights(cases, ["jm_techniques"])
    assert 1.6 < weights[signal] < 2.4
    temperature, _ = fitting.fit_temperature(np.where(mask, X[..., signal] * 4.0, -np.inf), truth)
    assert 1.6 < temperature < 2.4  # logits twice too sharp: temperature about 2


def test_estimative_terms_follow_icd_203() -> None:
    assert next(b.term for b in estimative.bands()) == "almost no chance"
    assert estimative.estimative(0.9) == "very likely"
    assert estimative.estimative(0.5) == "roughly even chance"
    assert estimative.estimative(0.004) == "almost no chance"
    assert estimative.estimative(0.999) == "almost certain"
    assert estimative.band_of(0.8).term == "very likely"  # a shared boundary takes the higher band
    assert [(b.low, b.high) for b in estimative.bands()][5] == (0.8, 0.95)


def test_metrics_on_a_perfectly_calibrated_toy() -> None:
    probabilities = np.array([[0.7, 0.2, 0.1, 0.0], [0.1, 0.1, 0.8, 0.0], [0.25, 0.25, 0.5, 0.0]])
    truth = np.array([0, 2, 1])
    summary = metrics.summarise(probabilities, truth, ["RU", "RU", "CN", None])
    assert summary["top1"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["mrr"] == pytest.approx((1 + 1 + 1 / 2.5) / 3, abs=1e-3)
    assert summary["country"] == {"cases": 3, "top1": pytest.approx(2 / 3, abs=1e-3)}
    assert metrics.expected_calibration_error(np.array([0.8] * 10), np.array([1] * 8 + [0] * 2)) < 1e-9


def test_what_chance_alone_does_to_a_perfectly_calibrated_system() -> None:
    # every case an even chance between two actors: one of the two is always right, so the band is exact
    even = np.tile([0.5, 0.5, 0.0], (100, 1))
    reference = metrics.calibrated_reference(even, draws=200)
    assert reference["band_inside_chance"] == {"roughly even chance": 1.0}
    assert reference["all_bands_inside_chance"] == 1.0
    assert 0.0 < reference["ece_median"] <= reference["ece_p95"] < 0.2
    # 40 top hypotheses at 50% against a 45-55% band: inside only about half the time
    narrow = np.tile([0.5, 0.25, 0.25], (40, 1))
    narrow_reference = metrics.calibrated_reference(narrow, draws=400)
    chance = narrow_reference["band_inside_chance"]
    assert set(chance) == {"roughly even chance", "unlikely"} and 0.3 < chance["roughly even chance"] < 0.8
    assert narrow_reference["all_bands_inside_chance"] <= chance["roughly even chance"]
    assert metrics.calibrated_reference(narrow, draws=50) == metrics.calibrated_reference(narrow, draws=50)


# -- citations, evidence, official attribution records ----------------------------------------------------------------


def test_citation_dates_and_report_keys() -> None:
    date = citations.citation_date("Symantec WastedLocker June 2020", "Symantec. (2020, June 25). Title. "
                                   "Retrieved May 20, 2021.")
    assert date is not None and (date.iso, date.basis) == ("2020-06-25", "citation")
    by_name = citations.citation_date("Dragos Xenotime 2018", "Dragos. (n.d.). Xenotime.")
    assert by_name is not None and (by_name.iso, by_name.basis) == ("2018", "source name")
    retrieved = citations.citation_date("Mandiant APT1", "Mandiant. (n.d.). APT1. Retrieved July 18, 2016.")
    assert retrieved is not None and retrieved.basis.startswith("retrieved")
    assert citations.report_key("A", "https://www.x.org/r/") == citations.report_key("B", "http://x.org/r")
    segments = citations.segments("[APT28](https://attack.mitre.org/groups/G0007) used [X-Agent]"
                                  "(https://attack.mitre.org/software/S0161).(Citation: A)(Citation: B) Uncited.")
    assert segments == [citations.Segment(("A", "B"), ("S0161",), ("G0007",))]
    assert country_from_description("a suspected Russian state-sponsored group") == "RU"
    assert country_from_description("a Chinese-speaking group that targeted Russia") is None


def test_evidence_json_is_validated() -> None:
    evidence = Evidence.from_dict({"techniques": ["T1566.001"], "victim_countries": ["ua"], "date": "2024-02"})
    assert evidence.victim_countries == ("UA",) and evidence.as_dict()["date"] == "2024-02"
    for bad in ([], {"technique": ["T1"]}, {"software": "S0002 S0003", "date": "yesterday"}, {"sectors": [1]}):
        with pytest.raises(InvalidInput):
            Evidence.from_dict(bad)


def test_attribution_records_agree_and_diverge() -> None:
    actor = Actor("G0001", "Bear One", "G0001", country="RU")

    def claim(by: str, kind: str, **to: str) -> dict[str, Any]:
        return {"attributed_by": {"kind": kind, "name": by}, "attributed_to": to, "date": "2022-01-10",
                "confidence": "high", "basis": ["technical"]}

    incident = make_incident(source="t", external_id="1", name="Wiper", modified="2024-01-01T00:00:00.000Z",
                             ir={"attribution_claims": [claim("UK NCSC", "government", group="Bear One"),
                                                        claim("Vendor", "company", state="RU")]})
    found = claims.records(incident, lambda name: actor if name == "Bear One" else None)
    assert found[0]["attributed_to"]["state"] == "RU" and found[0]["attributed_to"]["actor"] == "G0001"
    summary = claims.agreement(found)
    assert summary["states"][0]["value"] == "RU" and summary["states"][0]["governments"] == 1
    divergent = claims.records(make_incident(
        source="t", external_id="2", name="Leak", modified="2024-01-01T00:00:00.000Z",
        ir={"attribution_claims": [claim("Gov A", "government", state="RU"),
                                   claim("Researcher", "researcher", state="CN")]}), lambda name: None)
    assert not claims.agreement(divergent)["agree"]
    assert "diverge" in claims.agreement(divergent)["summary"]


# -- evaluation ------------------------------------------------------------------------------------------------------


def test_evaluation_runs_cirx_and_both_baselines_leak_free() -> None:
    knowledge = world()
    assert len(report_cases(knowledge)) == 11
    result = run(knowledge, split=2021, folds=2)
    for protocol in ("P1", "P2"):
        systems = result[protocol]["systems"]
        assert set(systems) == {"cirx", "cirx (no date)", "tfidf", "naive_bayes"}
        for summary in systems.values():
            assert {"top1", "top5", "top10", "mrr", "ece", "brier", "log_loss", "bands", "country"} <= set(summary)
            assert len(summary["bands"]) == 7
            assert {"ece_median", "ece_p95", "band_inside_chance"} <= set(summary["if_calibrated"])
    # P1: the two actors left with no other report are expected as "unknown"
    assert result["P1"]["systems"]["cirx"]["unknown_cases"] == 0
    assert result["P2"]["systems"]["tfidf"]["unknown_cases"] >= 1


def test_a_case_holds_what_its_report_states_in_cited_description_text_too() -> None:
    knowledge = world()
    # a cited sentence of report b2 says Bear One used PandaLoader; report x1 is cited by no uses link
    add_link(knowledge.text_links, "G0001", "S0003", {"b2", "x1"})
    cases = {(c.actor, c.report): c for c in report_cases(knowledge)}
    assert cases[("G0001", "b2")].items == ("S0003", "T1059.001", "T1105", "T1566.001")
    assert cases[("G0001", "b1")].items == ("S0001", "S0002", "T1059.001", "T1566.001")
    assert ("G0001", "x1") not in cases and len(cases) == 11
    # leaving b2 out removes it from the profile the case is scored against
    left = without(build_index(knowledge), "b2")
    assert left.profiles["G0001"].get("S0003") == frozenset({"x1"})


# -- the store, the command line, the REST API --------------------------------------------------------------------------


def _id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _stamp(obj: dict[str, Any]) -> dict[str, Any]:
    return {"spec_version": "2.1", "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            **obj}


def world_bundle() -> list[dict[str, Any]]:
    """The small world as an ATT&CK-like STIX bundle, with a MISP-like state extension and one incident."""
    objects: list[dict[str, Any]] = [actor_extension_definition(), extension_definition(), cirx_identity()]
    for key, name in ITEMS.items():
        kind = "attack-pattern" if key.startswith("T") else ("tool" if key == "S0002" else "malware")
        obj = {"type": kind, "id": _id(kind, key), "name": name,
               "external_references": [{"source_name": "mitre-attack", "external_id": key}]}
        if kind == "malware":
            obj["is_family"] = True
        objects.append(_stamp(obj))
    for key, (name, state, links) in ACTORS.items():
        objects.append(_stamp({
            "type": "intrusion-set", "id": _id("intrusion-set", key), "name": name,
            "external_references": [{"source_name": "mitre-attack", "external_id": key}],
            "extensions": {ACTOR_EXTENSION_ID: {"extension_type": "property-extension", "sponsor_country": state}}}))
        for item, reports in links.items():
            kind = "attack-pattern" if item.startswith("T") else ("tool" if item == "S0002" else "malware")
            objects.append(_stamp({
                "type": "relationship", "id": _id("relationship", f"{key}-{item}"), "relationship_type": "uses",
                "source_ref": _id("intrusion-set", key), "target_ref": _id(kind, item),
                "external_references": [{"source_name": f"Report {r}", "url": f"https://example.org/{r}",
                                         "description": f"Vendor. ({YEARS[r]}, March 3). {r}."} for r in reports]}))
    incident = make_incident(source="t", external_id="7", name="Ministry breach", modified="2024-01-01T00:00:00.000Z",
                             ir={"receiver_countries": ["UA"], "start_date": "2021-04-01", "attribution_claims": [
                                 {"attributed_by": {"kind": "government", "name": "UA"},
                                  "attributed_to": {"group": "Bear One"}, "confidence": "high", "date": "2021-05-01"},
                                 {"attributed_by": {"kind": "company", "name": "Vendor"},
                                  "attributed_to": {"state": "CN"}, "confidence": "low", "date": "2021-06-01"}]})
    objects.append(incident)
    for item in ("S0001", "T1566.001"):
        kind = "attack-pattern" if item.startswith("T") else "malware"
        objects.append(_stamp({"type": "relationship", "id": _id("relationship", f"incident-{item}"),
                               "relationship_type": "related-to", "source_ref": incident["id"],
                               "target_ref": _id(kind, item)}))
    return objects


@pytest.fixture
def world_store(sqlite_platform: Platform, tmp_path: Path) -> tuple[Platform, str]:
    bundle = tmp_path / "world.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": world_bundle()}))
    reports = sqlite_platform.imports.stix(bundle)
    assert all(not r.rejected for r in reports), [r.rejected for r in reports]
    return sqlite_platform, sqlite_platform.settings.resolved_database_url


def test_the_store_cli_and_python_api_agree(world_store: tuple[Platform, str], tmp_path: Path) -> None:
    platform, db = world_store
    service = AttributionService(platform.workspace(platform.reader.principal))
    direct = service.attribute({"software": ["S0003"], "techniques": ["T1190"]})
    assert top_group(direct)["name"] == "Panda Two" and top_group(direct)["country"] == "CN"
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps({"software": ["PandaLoader"], "techniques": ["T1190"]}))
    printed = cirx_json("attribute", "--evidence", str(evidence), "--db", db)
    assert [h["id"] for h in printed["hypotheses"]] == [h["id"] for h in direct["hypotheses"]]
    for h in printed["hypotheses"]:
        assert {"kind", "id", "name", "attack_id", "country", "probability", "estimative", "confidence", "for",
                "against"} <= set(h) and 0.0 <= h["probability"] <= 1.0
    assert "Panda Two" in cirx("attribute", "--evidence", str(evidence), "--db", db)
    incident_id = platform.incidents.show("t:7")["id"]
    confirmed = service.attributor().knowledge.links["G0001"]["S0001"]
    assert f"incident:{incident_id}" in confirmed  # a government's claim confirmed it: it joins the profile
    incident = cirx_json("attribute", "t:7", "--db", db)
    assert top_group(incident)["id"] == "G0001"
    assert [r["attributed_by"]["name"] for r in incident["attribution_records"]] == ["UA", "Vendor"]
    assert not incident["agreement"]["agree"] and incident["agreement"]["states"][0]["value"] in ("RU", "CN")
    assert "attribution records" in cirx("attribute", "t:7", "--db", db)


def test_the_rest_api_attributes_evidence_and_incidents(world_store: tuple[Platform, str]) -> None:
    from cirx.api.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    platform, _ = world_store
    platform.organisations.create("CERT-A", country="FR")
    token = platform.organisations.create_token("CERT-A", role="reader")[0]
    client = TestClient(create_app(platform))
    headers = {"Authorization": f"Bearer {token}"}
    answer = client.post("/api/attribution", json={"software": ["S0004"]}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert top_group(answer.json())["id"] == "G0003"
    assert client.post("/api/attribution", json={"software": "S0004", "date": 5}, headers=headers).status_code == 400
    assert client.post("/api/attribution", json={"software": ["S0004"]}).status_code == 401
    incident = client.get("/api/incidents/t:7/attribution", headers=headers)
    assert incident.status_code == 200 and incident.json()["incident"]["name"] == "Ministry breach"
    assert client.get("/api/incidents/t:404/attribution", headers=headers).status_code == 404


# -- ATT&CK v18.1 -------------------------------------------------------------------------------------------------------


@pytest.mark.shared_data
@pytest.mark.slow
def test_attack_bundle_attributes_a_realistic_case(tmp_path: Path) -> None:
    from cirx import Settings

    bundle = shared_data("attack", "enterprise-attack-v18.1-no-campaigns.json")
    platform = Platform(Settings(database_url=f"sqlite:///{tmp_path / 'attack.db'}", data_dir=tmp_path)).init()
    try:
        platform.imports.stix(bundle)
        service = AttributionService(platform.reader)
        # A 2016 spearphishing campaign dropping X-Agent and Zebrocy-like tooling against Ukraine
        result = service.attribute({"techniques": ["T1566.001", "T1204.002", "T1071.001", "T1547.001"],
                                    "software": ["X-Agent", "Sofacy"], "victim_countries": ["UA"],
                                    "date": "2016-09-01"})
        top = ranked(result)[0]
        assert (top["attack_id"], top["country"]) == ("G0007", "RU")
        assert top["probability"] >= 0.55 and top["confidence"] != "low"
        assert next(h for h in result["hypotheses"] if h["kind"] == "state")["id"] == "RU"
        # Nothing distinctive: common discovery and scripting techniques -> "unknown" leads, all low confidence
        weak = service.attribute({"techniques": ["T1059.003", "T1082", "T1016", "T1057"]})
        assert "nothing-distinctive" in {c["kind"] for c in weak["caveats"]}
        assert weak["confidence"] == "low" and all(h["confidence"] == "low" for h in weak["hypotheses"])
        assert ranked(weak)[0]["id"] == "unknown"
        assert top_group(weak)["probability"] < 0.2 and top_group(weak)["estimative"] in (
            "almost no chance", "very unlikely")
        # Only widely shared tooling (Mimikatz, Cobalt Strike): no confident name either
        tools = service.attribute({"software": ["Mimikatz", "Cobalt Strike"]})
        assert all(h["confidence"] == "low" for h in tools["hypotheses"])
        assert top_group(tools)["probability"] < 0.5
        # Victims, sectors and a date alone (Ukraine's grid, December 2016): the calibrated model has
        # nothing to score, so "unknown" keeps the new-actor rate (it read 2.4% before the floor).
        grid = service.attribute({"victim_countries": ["UA"], "sectors": ["energy"], "date": "2016-12-17"})
        assert hypothesis(grid, "unknown", "unknown")["probability"] >= 0.15
        assert "no-technical-evidence" in {c["kind"] for c in grid["caveats"]} and grid["confidence"] == "low"
        assert top_group(grid)["probability"] < 0.45 and top_group(grid)["country"] == "RU"
    finally:
        platform.close()
