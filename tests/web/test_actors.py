"""The actor page: any name resolves, the ATT&CK heat map counts techniques right, charts, CSV, access policy."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest

from cirx import Platform
from cirx.access.tlp import TLP2_MARKINGS
from cirx.ingest.report import ImportReport
from cirx.web import attack_matrix
from tests.web.conftest import TwoOrganisations
from tests.web.pages import SECRET_NAMES, csv_rows

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


# -- the heat map as pure functions --------------------------------------------------------------------


def _tactic(n: int, short: str, name: str) -> dict[str, Any]:
    return {"type": "x-mitre-tactic", "id": f"x-mitre-tactic--{n}", "name": name, "x_mitre_shortname": short,
            "external_references": [{"source_name": "mitre-attack", "external_id": f"TA000{n}"}]}


def _pattern(tid: str, name: str, *phases: str, **extra: Any) -> dict[str, Any]:
    return {"type": "attack-pattern", "id": f"attack-pattern--{tid}-{len(extra)}", "name": name,
            "external_references": [{"source_name": "mitre-attack", "external_id": tid}],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": p} for p in phases], **extra}


def test_layout_and_heat_map() -> None:
    tactics = [_tactic(1, "initial-access", "Initial Access"), _tactic(2, "execution", "Execution"),
               _tactic(3, "persistence", "Persistence")]
    matrix = {"type": "x-mitre-matrix", "tactic_refs": ["x-mitre-tactic--2", "x-mitre-tactic--1", "x-mitre-tactic--3"],
              "external_references": [{"source_name": "mitre-attack", "external_id": "enterprise-attack"}]}
    patterns = [
        _pattern("T1566", "Phishing", "initial-access"),
        _pattern("T1566.001", "Spearphishing Attachment", "initial-access"),
        _pattern("T1566.002", "Spearphishing Link", "initial-access"),
        _pattern("T1078", "Valid Accounts", "initial-access", "persistence"),
        _pattern("T1059", "Command and Scripting Interpreter", "execution"),
        _pattern("T1059", "Command and Scripting Interpreter", "execution", x_mitre_domains=["enterprise-attack"]),
        _pattern("T1000", "Old technique", "execution", x_mitre_deprecated=True, x_mitre_domains=["enterprise-attack"]),
        _pattern("T1000", "Old technique (stale copy)", "execution"),
        _pattern("T9999", "Revoked", "execution", revoked=True),
    ]
    layout = attack_matrix.build_layout([matrix], tactics, patterns)
    assert [t.shortname for t in layout.tactics] == ["execution", "initial-access", "persistence"]
    assert set(layout.techniques) == {"T1566", "T1566.001", "T1566.002", "T1078", "T1059"}
    heat = attack_matrix.heat_map(layout, ["T1566.001", "T1566.002", "T1078", "T1059", "T1000", "T1480"])
    assert heat.cells["T1566"].uses == 2 and heat.cells["T1566"].used == ("T1566.001", "T1566.002")
    assert heat.outside == ("T1000", "T1480") and heat.peak == 2
    columns = {t.shortname: [c.attack_id for c in cells] for t, cells in heat.columns}
    assert columns == {"execution": ["T1059"], "initial-access": ["T1566", "T1078"], "persistence": ["T1078"]}
    rows = attack_matrix.csv_rows(heat)
    assert len(rows) == 4 and rows[0]["tactic"] == "Execution"
    html = str(attack_matrix.render(heat, chart_id="m", title="Matrix", csv_url="?csv=m"))
    assert html.count('<th scope="col">') == 3 and html.count('class="technique') == 4
    assert "Not in the Enterprise matrix: T1000, T1480." in html and 'href="?csv=m"' in html
    assert attack_matrix.technique_url("T1566.001") == "https://attack.mitre.org/techniques/T1566/001/"
    fallback = attack_matrix.build_layout([], tactics, patterns)
    assert [t.shortname for t in fallback.tactics][:3] == ["reconnaissance", "resource-development", "initial-access"]


# -- the page -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apt28(web_platform: Platform) -> dict[str, Any]:
    """APT28's profile as the anonymous caller's workspace gives it."""
    return web_platform.workspace(web_platform.authenticate(None)).actors.profile("G0007")


def test_actor_by_attack_id_alias_and_stix_id(anonymous: TestClient, apt28: dict[str, Any]) -> None:
    used = {t["attack_id"] for t in apt28["techniques"] if t.get("attack_id")}
    pages = [anonymous.get(url) for url in ("/actors/G0007", "/actors/Fancy%20Bear", f"/actors/{apt28['ids'][0]}",
                                            "/actors/fancy bear")]
    assert all(p.status_code == 200 for p in pages)
    for page in (p.text for p in pages):
        assert page.count("<h1>") == 1 and "<h1>APT28 <small" in page
        assert f"<dd>{len(used)} ATT&amp;CK techniques and sub-techniques" in page
    page = pages[0].text
    assert 'href="/countries/RU"' in page  # suspected sponsor
    for name in ("Fancy Bear", "STRONTIUM", "Forest Blizzard", "Sofacy"):
        assert name in page
    assert "(Citation:" not in page and "](https://attack.mitre.org" not in page
    assert 'class="attack-matrix"' in page and "Reconnaissance" in page and "Command and Control" in page
    assert 'id="victims"' in page and 'id="sectors"' in page and 'id="timeline"' in page
    assert "CHOPSTICK" in page and 'href="https://attack.mitre.org/software/S0023/"' in page


def test_matrix_counts_sub_techniques_toward_their_parent(anonymous: TestClient, apt28: dict[str, Any]) -> None:
    used = {t["attack_id"] for t in apt28["techniques"] if t.get("attack_id")}
    rows = csv_rows(anonymous, "/actors/G0007?csv=techniques")
    cells = {r["technique_id"]: r for r in rows}
    page = anonymous.get("/actors/G0007").text
    stated = re.search(r"\((\d+) techniques in the Enterprise matrix\)", page)
    assert stated and int(stated.group(1)) == len(cells)
    in_matrix = {i for r in cells.values() for i in r["ids_used"].split(";")}
    outside = re.search(r"Not in the Enterprise matrix: ([^.<]*)\.", page)
    assert in_matrix | set(outside.group(1).split(", ") if outside else ()) == used
    for technique_id, row in cells.items():
        ids = row["ids_used"].split(";")
        assert int(row["uses"]) == len(ids)
        assert all(i.split(".")[0] == technique_id for i in ids)
    assert any(int(r["uses"]) > 1 for r in rows)  # some technique counts its sub-techniques
    tactics = [r["tactic"] for r in rows]
    assert tactics.index("Reconnaissance") < tactics.index("Initial Access") < tactics.index("Impact")
    assert len(re.findall(r'<td class="technique', page)) == len(rows)


def test_actor_charts_and_incidents(anonymous: TestClient, apt28: dict[str, Any]) -> None:
    victims = csv_rows(anonymous, "/actors/G0007?csv=victims")
    incidents = csv_rows(anonymous, "/actors/G0007?csv=incidents")
    assert len(incidents) == len(apt28["incidents"]) > 0
    receivers = [c for r in incidents for c in set(r["receivers"].split(";")) if c]
    assert {r["country"]: int(r["incidents"]) for r in victims} == {c: receivers.count(c) for c in set(receivers)}
    timeline = csv_rows(anonymous, "/actors/G0007?csv=timeline")
    assert timeline and {"year", "type", "incidents"} <= set(timeline[0])
    assert csv_rows(anonymous, "/actors/G0007?csv=sectors")
    page = anonymous.get("/actors/G0007").text
    assert page.count('<a href="/incidents/incident--') == len(incidents)


def test_unknown_actor_is_404(anonymous: TestClient) -> None:
    response = anonymous.get("/actors/No%20Such%20Bear")
    assert response.status_code == 404 and "no actor" in response.text


def test_actor_pages_hide_what_the_caller_may_not_see(two_organisations: TwoOrganisations,
                                                     outsider: TestClient) -> None:
    for name in SECRET_NAMES:
        assert name not in outsider.get("/actors/G0007").text
    platform = two_organisations.platform
    actor = {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--55555555-5555-4555-8555-555555555555",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "Glacier Panda",
             "aliases": ["Ice Wolf"], "object_marking_refs": [TLP2_MARKINGS["amber"]]}
    platform.writer.import_objects(iter([actor]), ImportReport("secret actor"),
                                   access=platform.imports.access("CERT-A", tlp="amber"))
    owner, other = two_organisations.owner, two_organisations.other
    assert owner.get("/actors/Ice%20Wolf").status_code == 200
    assert "Glacier Panda" in owner.get(f"/actors/{actor['id']}").text
    unknown = other.get("/actors/Nobody%20Here")
    for reference, typed in (("Ice%20Wolf", "Ice Wolf"), ("Glacier%20Panda", "Glacier Panda"),
                             (actor["id"], actor["id"])):
        hidden = other.get(f"/actors/{reference}")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.text.replace(typed, "X") == unknown.text.replace("Nobody Here", "X")
