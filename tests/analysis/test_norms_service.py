"""The norms service over the store, on SQLite and PostgreSQL: judgements with their authors, responses
and timelines, state profiles with capacity scores, dyads, rivalries and escalation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cirx import Platform
from cirx.analysis.norms import trends as pure
from cirx.analysis.norms.service import NormsService
from cirx.errors import InvalidInput, NotFound
from cirx.ingest.report import ImportReport
from cirx.model.incident import cirx_identity, extension_definition
from cirx.store.reader import IncidentFilter
from tests.analysis.test_norms_rules import CONTI_CR, ESTONIA, GRID_UA, NOTPETYA, sample


def load(platform: Platform, *incidents: dict[str, Any]) -> NormsService:
    """Store the incidents; the service as the local administrator."""
    report = platform.writer.import_objects(iter([cirx_identity(), extension_definition(), *incidents]),
                                            ImportReport(source="test"))
    assert not report.rejected, report.rejected
    return NormsService(platform.engine, platform.reader)


def test_judgements_are_kept_with_their_authors_and_the_latest_applies(platform: Platform) -> None:
    service = load(platform, GRID_UA)
    assert service.assess("test:grid-ua-2015")["norms"]["gge2015-13f"]["status"] == "implicated"
    service.judge("test:grid-ua-2015", "13f", "cannot_tell", author="alice", reason="facts disputed")
    result = service.judge("test:grid-ua-2015", "gge2015-13f", "implicated", author="bob")
    assert result["norms"]["gge2015-13f"]["judged_by"] == "bob"
    assert result["overrides"] == [{"subject": "norms.gge2015-13f", "status": "implicated", "computed": "implicated",
                                    "kind": "confirmed", "author": "bob", "reason": None,
                                    "at": result["overrides"][0]["at"]}]
    history = service.repository.judgements()[GRID_UA["id"]]
    assert [(j["author"], j["status"], j["reason"]) for j in history] == [
        ("alice", "cannot_tell", "facts disputed"), ("bob", "implicated", None)]
    with pytest.raises(InvalidInput):
        service.judge("test:grid-ua-2015", "13f", "maybe", author="carol")
    with pytest.raises(NotFound):
        service.assess("test:no-such-incident")


def test_a_recorded_refusal_implicates_norms_13d_and_13h(platform: Platform) -> None:
    service = load(platform, CONTI_CR)
    assert service.assess("test:conti-cr")["norms"]["gge2015-13d"]["status"] == "cannot_tell"
    saved = service.add_response({"incident": "test:conti-cr", "type": "resp-08", "date": "2022-05-10",
                                  "actor": "Costa Rica prosecutor", "actor_country": "CR", "target_country": "RU",
                                  "outcome": "unanswered", "note": "request for mutual legal assistance"},
                                 author="analyst-1")
    assert (saved["type"], saved["rank"], saved["incident"]) == ("resp-08-law-enforcement-disruption", 6,
                                                                  CONTI_CR["id"])
    result = service.assess("test:conti-cr")
    assert result["norms"]["gge2015-13d"]["status"] == "implicated"
    assert result["norms"]["gge2015-13h"]["status"] == "implicated"
    assert [r["id"] for r in service.responses(incident="test:conti-cr")] == [saved["id"]]
    assert [r["id"] for r in service.responses(dyad="RU-CR")] == [saved["id"]]
    with pytest.raises(InvalidInput):
        service.add_response({"type": "resp-08", "outcome": "ignored"}, author="analyst-1")
    with pytest.raises(InvalidInput):
        service.responses(dyad="Atlantis-RU")


def test_profiles_count_both_ways_with_norms_budapest_and_capacity(platform: Platform, tmp_path: Path) -> None:
    service = load(platform, NOTPETYA, GRID_UA, ESTONIA)
    scores = tmp_path / "capacity.csv"
    scores.write_text("Country,Region,GCI (The Global Cyber Security Index),NCSI (The National Cyber Security Index)\n"
                      "Ukraine,Europe,65.93,75.32\nEstonia,Europe,99.48,0\nAtlantis,Sea,1,1\n", encoding="utf-8")
    report = service.repository.import_capacity(scores, edition="2020", columns={
        "gci": "GCI (The Global Cyber Security Index)", "ncsi": "NCSI (The National Cyber Security Index)"})
    assert report == {"scores": 3, "countries": 2, "unknown_countries": ["Atlantis"]}
    ukraine = service.profile("Ukraine")
    assert ukraine["as_receiver"]["incidents"] == 2
    assert ukraine["as_receiver"]["norms_implicated"]["gge2015-13f"] == 2
    assert ukraine["as_receiver"]["top_initiators"] == [{"country": "RU", "incidents": 2}]
    assert ukraine["budapest_convention"]["status"] == "party"
    assert ukraine["capacity"] == {"gci": 65.93, "ncsi": 75.32}
    russia = service.profile("RU")
    assert russia["as_initiator"]["incidents"] == 3
    assert russia["responses_received"]["count"] == 2  # two official attributions to Russia
    assert russia["responses_received"]["by_type"]["resp-06-joint-attribution"] == 1
    everyone = service.profiles()
    assert {"UA", "RU", "EE", "US", "GB"} <= set(everyone)
    assert everyone["EE"]["capacity"] == {"gci": 99.48}
    # 13(g) reads the capacity: Ukraine's score is above the bar.
    assert service.assess("test:grid-ua-2015")["norms"]["gge2015-13g"]["status"] == "not_implicated"


def test_dyads_rivalries_and_escalation(platform: Platform) -> None:
    later = sample("notpetya-2", "Follow-on wiper", "", initiator_countries=["RU"], receiver_countries=["UA"],
                   initiator_category="state", sectors=["energy"], incident_types=["data-destruction"],
                   effects=["destruction"], start_date="2018-01-10", intensity={"value": 4.0, "scale": "test"})
    service = load(platform, NOTPETYA, GRID_UA, ESTONIA, later)
    everything = IncidentFilter()
    rivalries = service.rivalries(everything)
    assert rivalries[0] == {"states": ["RU", "UA"], "incidents": 3, "by_initiator": {"RU": 3}, "first_year": 2015,
                            "last_year": 2018}
    rows = service.rows(everything)
    assert rivalries == pure.rivalries(rows)  # the database's aggregation and the pure one agree
    assert service.dyad_trends(everything) == pure.dyad_trends(rows)
    trends = {(d["initiator"], d["receiver"]): d for d in service.dyad_trends(everything)}
    assert trends[("RU", "UA")]["years"] == {2015: 1, 2017: 1, 2018: 1}
    assert trends[("RU", "UA")]["intensity_mean"] == 4.0
    # NotPetya was attributed jointly (rank 5) 233 days after it started; the grid attack has no dated response.
    result = service.escalation(everything, min_rank=5, within_days=365)
    assert (result["incidents"], result["followed"]) == (4, 1)
    assert service.escalation(everything, min_rank=5, within_days=100)["followed"] == 0
    service.add_response({"type": "resp-10", "date": "2018-03-01", "actor_country": "UA", "target_country": "RU",
                          "note": "sanctions on the companies behind the wiper"}, author="analyst-2")
    result = service.escalation(everything, min_rank=8, within_days=90)
    assert result["followed"] == 1  # the unlinked sanctions follow the January 2018 wiper within 90 days
    ru_ua = next(d for d in result["dyads"] if d["states"] == ["RU", "UA"])
    assert (ru_ua["incidents"], ru_ua["followed"]) == (3, 1)
    assert service.escalation(IncidentFilter(receiver="EE"), min_rank=0)["incidents"] == 1
