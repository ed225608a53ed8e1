"""The assessment rules on realistic incidents: each GGE norm and each Budapest offence article
implicated by one incident and not by another; international law and the response justification;
attribution grading; analysts' judgements.

The incidents are modelled on public cases (names, states, sectors, effects and who attributed them);
facts cirx's model has no field for are in the description, as the datasets write them.  Responses
(requests refused or answered) and capacity scores are given as context; they are illustrative
unless a comment says where they come from.
"""

from __future__ import annotations

from typing import Any

import pytest

from cirx.analysis.norms import frameworks
from cirx.analysis.norms.assess import Context, apply_judgements, assess, check_judgement
from cirx.analysis.norms.features import attribute
from cirx.analysis.norms.responses import record
from cirx.errors import InvalidInput
from cirx.model.incident import ir_properties, make_incident


def claim(kind: str, state: str, *, by_country: str | None = None, category: str = "state",
          basis: list[str] | None = None, confidence: str | None = None, date: str | None = None) -> dict[str, Any]:
    """An attribution claim naming ``state``."""
    found: dict[str, Any] = {"attributed_by": {"kind": kind, **({"country": by_country} if by_country else {})},
                             "attributed_to": {"state": state, "category": category}}
    if basis is not None:
        found["basis"] = basis
    if confidence:
        found["confidence"] = confidence
    if date:
        found["date"] = date
    return found


def sample(key: str, name: str, description: str, **ir: Any) -> dict[str, Any]:
    """A STIX incident with cirx's IR extension."""
    return make_incident(source="test", external_id=key, name=name, description=description,
                         modified="2024-01-01T00:00:00.000Z", ir=ir)


NOTPETYA = sample(
    "notpetya", "NotPetya", "A self-propagating wiper disguised as ransomware spread worldwide from a "
    "compromised Ukrainian accounting software update (M.E.Doc).",
    initiator_countries=["RU"], receiver_countries=["UA", "DE", "DK", "FR", "GB", "US"], initiator_category="state",
    sectors=["energy", "transport", "banking", "health"], incident_types=["malware", "data-destruction", "disruption"],
    effects=["destruction", "disruption"], start_date="2017-06-27",
    attribution_claims=[claim("governments-jointly", "RU", by_country="GB", basis=["political-statement"],
                              date="2018-02-15")])
BUNDESTAG = sample(
    "bundestag", "Bundestag hack", "APT28 intruded into the German parliament's network and exfiltrated documents.",
    initiator_countries=["RU"], receiver_countries=["DE"], initiator_category="state", sectors=["legislature"],
    incident_types=["espionage", "data-theft"], effects=["data-theft"], start_date="2015-05-01",
    attribution_claims=[claim("government", "RU", by_country="DE", basis=["legal-action"], date="2020-05-05")])
SONY = sample(
    "sony", "Sony Pictures hack", "Wiper attack and leak of emails and unreleased films of Sony Pictures.",
    initiator_countries=["KP"], receiver_countries=["US"], initiator_category="state",
    sectors=["media"], incident_types=["data-destruction", "doxing", "data-theft"],
    effects=["destruction", "data-theft"], start_date="2014-11-24",
    attribution_claims=[claim("government", "KP", by_country="US", date="2014-12-19")])
KILLNET = sample(
    "killnet", "Killnet DDoS on Lithuania", "Pro-Russian group Killnet flooded Lithuanian government and transport "
    "websites after the Kaliningrad transit dispute.",
    initiator_countries=["RU"], receiver_countries=["LT"], initiator_category="state-affiliated",
    sectors=["government", "transport"], incident_types=["ddos"], effects=["disruption"], start_date="2022-06-27",
    attribution_claims=[{"attributed_by": {"kind": "self"}, "attributed_to": {"group": "Killnet", "state": "RU"},
                         "basis": ["self-attribution"]}])
CONTI_CR = sample(
    "conti-cr", "Conti ransomware against Costa Rica", "The Conti ransomware gang encrypted systems of the finance "
    "ministry and the social security fund, demanding a ransom; a national emergency was declared.",
    initiator_countries=["RU"], receiver_countries=["CR"], initiator_category="criminal",
    sectors=["public-administration", "health"], incident_types=["ransomware", "data-theft"],
    effects=["disruption", "data-theft"], start_date="2022-04-17")
KASEYA = sample(
    "kaseya", "REvil attack via Kaseya VSA", "REvil ransomware spread through Kaseya's managed service provider "
    "software to about 1,500 businesses.",
    initiator_countries=["RU"], receiver_countries=["US"], initiator_category="criminal",
    sectors=["ict-services"], incident_types=["ransomware"], effects=["disruption"], start_date="2021-07-02")
PEGASUS = sample(
    "pegasus-ma", "Pegasus spyware against journalist Omar Radi", "Amnesty International's forensics found NSO's "
    "Pegasus spyware on the phone of a Moroccan journalist and activist.",
    initiator_countries=["MA"], receiver_countries=["MA"], initiator_category="state",
    sectors=["media", "civil-society"], incident_types=["espionage", "data-theft"], effects=["data-theft"],
    start_date="2019-01-01",
    attribution_claims=[claim("researcher", "MA", basis=["technical-report"], confidence="moderate")])
GRID_UA = sample(
    "grid-ua-2015", "Ukrainian power grid attack", "Sandworm opened breakers at three distribution companies, "
    "cutting power to about 225,000 customers; CERT-UA reported the attack.",
    initiator_countries=["RU"], receiver_countries=["UA"], initiator_category="state", sectors=["energy"],
    incident_types=["sabotage", "disruption", "data-destruction"], effects=["disruption", "destruction",
                                                                          "physical-damage"],
    start_date="2015-12-23", attribution_claims=[claim("government", "RU", by_country="UA", basis=["political-statement"])])
DRAGONFLY = sample(
    "dragonfly2", "Dragonfly 2.0", "Reconnaissance of US energy-sector control networks by a Russian group.",
    initiator_countries=["RU"], receiver_countries=["US"], initiator_category="state-affiliated", sectors=["energy"],
    incident_types=["espionage", "intrusion"], effects=["data-theft"], start_date="2017-03-01",
    attribution_claims=[claim("government", "RU", by_country="US", basis=["political-statement"])])
VANUATU = sample(
    "vanuatu-2022", "Ransomware on Vanuatu's government network", "Government e-mail, websites and the "
    "national telecom-linked government network were down for weeks.",
    receiver_countries=["VU"], initiator_category="unknown", sectors=["public-administration",
                                                                     "digital-infrastructure"],
    incident_types=["ransomware", "disruption"], effects=["disruption"], start_date="2022-11-04")
MONTENEGRO = sample(
    "me-2022", "Cuba ransomware on Montenegro's government", "Government services and the power utility's systems "
    "were disrupted; the FBI sent a team at Montenegro's request.",
    initiator_countries=["RU"], receiver_countries=["ME"], initiator_category="criminal",
    sectors=["public-administration", "energy"], incident_types=["ransomware"], effects=["disruption"],
    start_date="2022-08-20")
SOLARWINDS = sample(
    "solarwinds", "SolarWinds Orion compromise", "A supply-chain compromise inserted a backdoor into SolarWinds "
    "Orion software updates, reaching US agencies.",
    initiator_countries=["RU"], receiver_countries=["US"], initiator_category="state",
    sectors=["government", "ict-services"], incident_types=["espionage", "malware"], effects=["data-theft"],
    start_date="2020-03-01",
    attribution_claims=[claim("governments-jointly", "RU", by_country="US", basis=["political-statement"],
                              date="2021-04-15")])
EXCHANGE = sample(
    "exchange-2021", "Microsoft Exchange server exploitation", "HAFNIUM exploited four zero-day vulnerabilities "
    "in on-premises Exchange servers.",
    initiator_countries=["CN"], receiver_countries=["US", "GB", "DE"], initiator_category="state-affiliated",
    sectors=["government", "research"], incident_types=["espionage", "intrusion"], effects=["data-theft"],
    start_date="2021-01-06",
    attribution_claims=[claim("governments-jointly", "CN", by_country="GB", category="state-affiliated",
                              basis=["political-statement"], date="2021-07-19")])
CERT_PHISH = sample(
    "cert-phish", "Spear-phishing of a national CERT", "APT28 targeted the national CERT of Ukraine with "
    "spear-phishing e-mails to compromise analysts' accounts.",
    initiator_countries=["RU"], receiver_countries=["UA"], initiator_category="state", sectors=["government"],
    incident_types=["intrusion", "espionage"], start_date="2022-03-01",
    attribution_claims=[claim("government", "RU", by_country="UA", basis=["political-statement"])])
ESTONIA = sample(
    "estonia-2007", "DDoS attacks on Estonia", "Weeks of DDoS against Estonian government, banks and media after the "
    "relocation of a Soviet war memorial.",
    initiator_countries=["RU"], receiver_countries=["EE"], initiator_category="hacktivist",
    sectors=["government", "banking", "media"], incident_types=["ddos"], effects=["disruption"],
    start_date="2007-04-27")
GHOSTWRITER = sample(
    "ghostwriter", "Ghostwriter", "News websites were hacked to publish fabricated articles and forged letters "
    "attributed to NATO officials.",
    initiator_countries=["BY"], receiver_countries=["LT", "LV", "PL"], initiator_category="state-affiliated",
    sectors=["media"], incident_types=["intrusion", "information-operation"], effects=["information-operation"],
    start_date="2020-03-01")
DOPPELGANGER = sample(
    "doppelganger", "Doppelganger", "Cloned websites of European newspapers spread fabricated pro-Kremlin "
    "stories through networks of fake accounts.",
    initiator_countries=["RU"], receiver_countries=["DE", "FR"], initiator_category="state-affiliated",
    sectors=["media"], incident_types=["information-operation"], effects=["information-operation"],
    start_date="2022-05-01")
BANGLADESH = sample(
    "bb-heist", "Bangladesh Bank heist", "Fraudulent SWIFT transfer orders stole 81 million dollars from the central "
    "bank's account at the New York Fed.",
    initiator_countries=["KP"], receiver_countries=["BD"], initiator_category="state-affiliated",
    sectors=["banking"], incident_types=["financial-theft", "intrusion", "malware"], start_date="2016-02-04")
WELCOME_TO_VIDEO = sample(
    "w2v", "Welcome to Video", "A darknet site distributing child sexual abuse material to paying users was "
    "taken down; its operator was located in South Korea.",
    initiator_countries=["KR"], receiver_countries=["US", "KR"], initiator_category="criminal",
    incident_types=["other"], start_date="2015-06-01")
PIRACY = sample(
    "release-group", "Software piracy release group", "A warez group cracked and distributed pirated commercial "
    "software at scale through topsites.",
    initiator_countries=["SE"], receiver_countries=["US"], initiator_category="criminal",
    incident_types=["other"], start_date="2004-04-21")
OPCW = sample(
    "opcw-2018", "Attempted hack of the OPCW", "GRU officers attempted to breach the OPCW's Wi-Fi in The Hague; "
    "the operation was thwarted by Dutch military intelligence.",
    initiator_countries=["RU"], receiver_countries=["NL"], initiator_category="state",
    sectors=["international-organisation"], incident_types=["intrusion"], start_date="2018-04-13",
    attribution_claims=[claim("government", "RU", by_country="NL", basis=["political-statement"])])
ROUTERS = sample(
    "routers", "Router traffic interception", "State hackers compromised routers to intercept traffic of "
    "government networks.",
    initiator_countries=["CN"], receiver_countries=["US"], initiator_category="state-affiliated",
    sectors=["government"], incident_types=["espionage", "intrusion"], start_date="2018-01-01")
FSB_MARKET = sample(
    "fsb-market", "FSB takes down a carding marketplace", "Russian security services seized the servers of a "
    "carding marketplace operating inside Russia.",
    initiator_countries=["RU"], receiver_countries=["RU"], initiator_category="state",
    sectors=["criminal-groups"], incident_types=["disruption"], effects=["disruption"], start_date="2022-02-07")
DOMESTIC_LEAK = sample(
    "domestic", "Hacktivists deface a ministry's website", "Local hacktivists defaced the website of their own "
    "country's ministry.",
    initiator_countries=["IR"], receiver_countries=["IR"], initiator_category="hacktivist",
    sectors=["government"], incident_types=["defacement"], start_date="2022-10-01")


def norm_status(incident: dict[str, Any], norm: str, ctx: Context | None = None) -> str:
    return str(assess(incident, ctx)["norms"][norm]["status"])


def offence_status(incident: dict[str, Any], article: str) -> str:
    return str(assess(incident)["budapest"][article]["status"])


def request(target: str, outcome: str, type_id: str = "resp-02-cert-cooperation", **extra: Any) -> dict[str, Any]:
    return record(incident=None, type_id=type_id, source="analyst", key=f"{target}-{outcome}",
                  target_country=target, outcome=outcome, **extra)


NORM_CASES = [
    ("gge2015-13a", NOTPETYA, Context(), BUNDESTAG, Context()),
    ("gge2015-13b", SONY, Context(), BUNDESTAG, Context()),
    ("gge2015-13c", KILLNET, Context(), NOTPETYA, Context()),
    ("gge2015-13d", CONTI_CR, Context(responses=(request("RU", "unanswered"),)),
     KASEYA, Context(responses=(request("RU", "granted", type_id="resp-08-law-enforcement-disruption"),))),
    ("gge2015-13e", PEGASUS, Context(), BUNDESTAG, Context()),
    ("gge2015-13f", GRID_UA, Context(), DRAGONFLY, Context()),
    # GCI 2020 scores as in shared/data/cyber-capacity: Vanuatu 12.88, Montenegro 53.23.
    ("gge2015-13g", VANUATU, Context(capacity={"VU": {"gci": 12.88}}),
     MONTENEGRO, Context(capacity={"ME": {"gci": 53.23}})),
    ("gge2015-13h", CONTI_CR, Context(responses=(request("RU", "unanswered"),)),
     MONTENEGRO, Context(responses=(request("US", "granted"),))),
    ("gge2015-13i", SOLARWINDS, Context(), BUNDESTAG, Context()),
    ("gge2015-13j", EXCHANGE, Context(), SOLARWINDS, Context()),
    ("gge2015-13k", CERT_PHISH, Context(), GRID_UA, Context()),
]


@pytest.mark.parametrize(("norm", "implicated", "ctx_in", "not_implicated", "ctx_out"), NORM_CASES,
                         ids=[c[0] for c in NORM_CASES])
def test_each_norm_is_implicated_by_one_incident_and_not_by_another(
        norm: str, implicated: dict[str, Any], ctx_in: Context, not_implicated: dict[str, Any],
        ctx_out: Context) -> None:
    found = assess(implicated, ctx_in)["norms"][norm]
    assert found["status"] == "implicated", found["because"]
    assert found["because"], "a judgement always says why"
    assert norm_status(not_implicated, norm, ctx_out) == "not_implicated"


def test_every_norm_has_a_case() -> None:
    assert {c[0] for c in NORM_CASES} == {n.id for n in frameworks.norms()}


def test_a_norm_on_state_conduct_needs_a_state_attribution_at_the_bar() -> None:
    unattributed = sample("grid-anon", "Grid outage by unknown actors", "Breakers opened at a distribution company.",
                          receiver_countries=["UA"], sectors=["energy"], incident_types=["sabotage"],
                          effects=["disruption"])
    found = assess(unattributed)["norms"]["gge2015-13f"]
    assert found["status"] == "cannot_tell"
    assert any("no State attribution" in b for b in found["because"])
    # A government attribution is "very likely": enough for "likely", not for "almost certain".
    assert norm_status(GRID_UA, "gge2015-13f", Context(threshold="likely")) == "implicated"
    assert norm_status(GRID_UA, "gge2015-13f", Context(threshold="almost-certain")) == "cannot_tell"


OFFENCE_CASES = [
    ("art2", BUNDESTAG, ESTONIA),
    ("art3", ROUTERS, ESTONIA),
    ("art4", NOTPETYA, BUNDESTAG),
    ("art5", ESTONIA, BUNDESTAG),
    ("art6", NOTPETYA, DOPPELGANGER),
    ("art7", GHOSTWRITER, ESTONIA),
    ("art8", BANGLADESH, BUNDESTAG),
    ("art9", WELCOME_TO_VIDEO, BUNDESTAG),
    ("art10", PIRACY, BUNDESTAG),
    ("art11", OPCW, ESTONIA),
]


@pytest.mark.parametrize(("article", "implicated", "not_implicated"), OFFENCE_CASES, ids=[c[0] for c in OFFENCE_CASES])
def test_each_offence_article_is_implicated_by_one_incident_and_not_by_another(
        article: str, implicated: dict[str, Any], not_implicated: dict[str, Any]) -> None:
    assert offence_status(implicated, article) == "implicated"
    assert offence_status(not_implicated, article) == "not_implicated"


def test_every_offence_article_has_a_case() -> None:
    assert {c[0] for c in OFFENCE_CASES} == {a.id for a in frameworks.offences()}


def test_party_status_on_the_incident_date_and_cooperation() -> None:
    parties = assess(NOTPETYA)["budapest_parties"]
    assert parties["states"]["UA"]["status"] == "party"
    assert parties["states"]["RU"]["status"] == "not-party"
    assert parties["cooperation"]["available"] is False
    # Brazil became a Party on 2023-03-01: not yet in 2022.
    before = sample("br-2022", "Ransomware at a Brazilian ministry", "", initiator_countries=["PT"],
                    receiver_countries=["BR"], incident_types=["ransomware"], start_date="2022-06-01")
    found = assess(before)["budapest_parties"]
    assert found["states"]["BR"]["status"] == "party-later"
    assert found["cooperation"]["available"] is False
    after = sample("br-2023", "Ransomware at a Brazilian ministry", "", initiator_countries=["PT"],
                   receiver_countries=["BR"], incident_types=["ransomware"], start_date="2023-06-01")
    found = assess(after)["budapest_parties"]
    assert found["cooperation"]["available"] is True
    assert "art35" in found["cooperation"]["articles"]


def test_international_law_findings() -> None:
    law = assess(NOTPETYA)["international_law"]
    assert law["sovereignty"] == "implicated"
    assert law["due_diligence"] == "not_implicated"  # the State acted itself
    assert assess(GRID_UA)["international_law"]["use_of_force"] == "implicated"
    assert assess(BUNDESTAG)["international_law"]["prohibition_of_intervention"] == "not_implicated"
    assert assess(ESTONIA)["international_law"]["due_diligence"] == "implicated"
    assert assess(PEGASUS)["international_law"]["human_rights"] == "implicated"
    assert assess(DOMESTIC_LEAK)["international_law"]["sovereignty"] == "not_implicated"
    nowhere = sample("nowhere", "Unknown intrusion", "", incident_types=["intrusion"])
    assert assess(nowhere)["international_law"]["sovereignty"] == "cannot_tell"


@pytest.mark.parametrize(("incident", "expected"), [
    (NOTPETYA, "countermeasures"),  # State attribution and a breach
    (ESTONIA, "retorsion"),  # a breach, no State attribution
    (FSB_MARKET, "retorsion"),  # a State acting at home against criminals: no breach
    (DOMESTIC_LEAK, "none"),  # neither
])
def test_response_justification_follows_eurepoc_logic(incident: dict[str, Any], expected: str) -> None:
    result = assess(incident)
    assert result["response_justification"] == expected
    assert result["response_justification_because"]


def test_attribution_grades() -> None:
    def graded(*claims: dict[str, Any], **ir: Any) -> tuple[str | None, str | None]:
        found = attribute({"attribution_claims": list(claims), **ir})
        return found.state, found.likelihood

    assert graded(claim("government", "RU")) == ("RU", "very-likely")
    assert graded(claim("government", "RU", basis=["legal-action"])) == ("RU", "almost-certain")
    assert graded(claim("company", "CN", category="state-affiliated")) == ("CN", "likely")
    assert graded(claim("company", "CN", confidence="low")) == ("CN", "roughly-even-chance")
    assert graded(claim("media", "IR", basis=["anonymous-sources"])) == ("IR", "unlikely")
    # A group's nationality is not a State attribution.
    assert graded({"attributed_by": {"kind": "company"}, "attributed_to": {"group": "X", "state": "BR"}}) == (None, None)
    assert graded(initiator_category="state-affiliated", initiator_countries=["KP"]) == ("KP", "likely")
    # The proposed field: a State that ignores the attack is not the actor.
    ignored = attribute({"initiator_category": "state-affiliated", "initiator_countries": ["RU"],
                         "state_responsibility": "state-ignored"})
    assert ignored.state is None and ignored.responsibility == "state-ignored"
    # Killnet: coded state-affiliated, its own claim names only its nationality: "likely", not more.
    killnet = attribute(ir_properties(KILLNET))
    assert (killnet.state, killnet.likelihood) == ("RU", "likely")
    assert killnet.meets("likely") and not killnet.meets("very-likely")


def test_judgements_override_with_author_and_keep_the_computed_value() -> None:
    result = assess(GRID_UA)
    judged = apply_judgements(result, [
        {"subject": "norms.gge2015-13f", "status": "cannot_tell", "author": "alice", "reason": "disputed facts",
         "at": "2024-01-01T00:00:00Z"},
        {"subject": "norms.gge2015-13f", "status": "implicated", "author": "bob", "at": "2024-01-02T00:00:00Z"},
        {"subject": "budapest.art5", "status": "implicated", "author": "carol"},
    ])
    assert judged["norms"]["gge2015-13f"] == {**result["norms"]["gge2015-13f"], "computed": "implicated",
                                              "judged_by": "bob"}
    kinds = {o["subject"]: (o["kind"], o["author"]) for o in judged["overrides"]}
    assert kinds == {"norms.gge2015-13f": ("confirmed", "bob"), "budapest.art5": ("confirmed", "carol")}
    assert result["overrides"] == []  # the computed assessment is not changed


def test_overriding_international_law_re_derives_the_justification() -> None:
    result = assess(ESTONIA)
    assert result["response_justification"] == "retorsion"
    judged = apply_judgements(result, [
        {"subject": f"international_law.{rule}", "status": "not_implicated", "author": "dana"}
        for rule in result["international_law"]])
    assert judged["response_justification"] == "none"
    assert judged["overrides"][0]["computed"] in frameworks.STATUSES


def test_judgement_subjects_are_checked() -> None:
    assert check_judgement("13f", "not-implicated") == ("norms.gge2015-13f", "not_implicated")
    assert check_judgement("sovereignty", "implicated") == ("international_law.sovereignty", "implicated")
    assert check_judgement("response_justification", "countermeasures")[1] == "countermeasures"
    with pytest.raises(InvalidInput):
        check_judgement("13z", "implicated")
    with pytest.raises(InvalidInput):
        check_judgement("art5", "countermeasures")


def test_assessment_shape_matches_the_jsonl_contract() -> None:
    result = assess(NOTPETYA)
    assert result["external_ids"] == ["test:notpetya"]
    assert set(result["international_law"]) == {"sovereignty", "prohibition_of_intervention", "due_diligence",
                                                "human_rights", "use_of_force"}
    assert set(result["norms"]) == {f"gge2015-13{c}" for c in "abcdefghijk"}
    assert set(result["budapest"]) == {f"art{n}" for n in range(2, 12)}
    assert all(v["status"] in frameworks.STATUSES and v["because"] for v in result["norms"].values())
    assert result["response_justification"] in frameworks.JUSTIFICATIONS


def test_eurepoc_responses_keep_a_semicolon_inside_brackets_in_one_actor() -> None:
    from cirx.analysis.norms.responses import eurepoc

    incident = sample("semicolons", "Wiper attack", "A wiper hit a satellite operator.", initiator_countries=["RU"],
                      original_values={"eurepoc": {
                          "political_response_type": "State Actors: Stabilizing measures; State Actors: "
                                                     "Stabilizing measures",
                          "political_response_type_subcode": "Statement by minister of foreign affairs; "
                                                             "Statement by minister of foreign affairs",
                          "political_response_date": "2022-05-10; 2022-05-10",
                          "political_response_country": "Australia; United Kingdom",
                          "political_response_actor": "Marise Payne (Minister for Foreign Affairs; Minister for "
                                                      "Women, AUS); Liz Truss (Foreign Secretary, GBR)"}})
    actors = [(r["actor"], r["actor_country"]) for r in eurepoc(incident)]
    assert actors == [("Marise Payne (Minister for Foreign Affairs; Minister for Women, AUS)", "AU"),
                      ("Liz Truss (Foreign Secretary, GBR)", "GB")]
