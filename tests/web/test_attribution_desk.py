"""``/attribution``: evidence in, ranked hypotheses with ICD 203 terms, confidence and the ACH table out."""

from __future__ import annotations

import csv
import io
import time
import warnings
from typing import Any
from urllib.parse import urlencode

import pytest

from cirx import Platform
from cirx.services.actors import attack_id
from tests.web.seed import SeededWorkspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GROUP = "G0047"  # Gamaredon Group: its ATT&CK techniques alone should point at it


@pytest.fixture(scope="module")
def group_techniques(web_platform: Platform) -> list[str]:
    """The ATT&CK techniques the seeded store records for GROUP."""
    reader = web_platform.reader
    groups = [i for i in reader.by_external_id("mitre-attack", GROUP) if i.startswith("intrusion-set--")]
    targets = [e["target_ref"] for group in groups for e in reader.relationships(group)
               if e["source_ref"] == group and e["target_ref"].startswith("attack-pattern--")
               and e.get("relationship_type") == "uses"]
    techniques = sorted({attack_id(reader.get(t)) or "" for t in targets} - {""})
    assert len(techniques) > 20
    return techniques


@pytest.fixture(scope="module")
def public_incident(web_platform: Platform) -> dict[str, Any]:
    """A TLP:CLEAR EuRepoC incident, with its SOURCE:ID reference."""
    for incident in web_platform.reader.iter_latest(["incident"]):
        for ref in incident.get("external_references", []):
            if ref.get("source_name") == "eurepoc" and ref.get("external_id"):
                return {"id": incident["id"], "name": incident["name"], "ref": f"eurepoc:{ref['external_id']}"}
    raise AssertionError("no EuRepoC incident in the seeded store")


def desk(client: TestClient, **fields: str) -> Any:
    return client.get("/attribution?" + urlencode({**fields, "run": "1"}))


def test_the_form_has_a_label_for_every_field(anonymous: TestClient) -> None:
    response = anonymous.get("/attribution")
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1>") == 1
    for field in ("incident", "techniques", "software", "indicators", "victim_countries", "sectors", "date", "notes"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert "Hypotheses" not in html


def test_a_groups_techniques_rank_that_group_first_with_the_ach_table(
        anonymous: TestClient, group_techniques: list[str]) -> None:
    started = time.perf_counter()
    response = desk(anonymous, techniques=" ".join(group_techniques), victim_countries="Ukraine", date="2022-02")
    first = time.perf_counter() - started
    assert response.status_code == 200, response.text
    html = response.text
    actors = html.split('id="actors-heading"')[1].split("</table>")[0]
    rows = actors.split("<tbody>")[1].split("</tr>")
    assert "Gamaredon Group" in rows[0] and f"/actors/{GROUP}" in rows[0]
    assert "unknown / new actor" in actors  # the explicit unknown hypothesis
    for term in ("almost certain", "very likely", "likely", "roughly even chance", "unlikely",
                 "very unlikely", "almost no chance"):
        if term in rows[0]:
            break
    else:
        raise AssertionError(f"no ICD 203 term in {rows[0]}")
    assert "Russian Federation" in html.split('id="states-heading"')[1]
    ach = html.split('id="ach-heading"')[1].split("</table>")[0]
    assert '<th scope="col">Gamaredon Group</th>' in ach and '<th scope="col">unknown / new actor</th>' in ach
    assert 'class="for"' in ach and "victim country: UA" in ach
    assert "Caveats" in html or "caveats" in html
    # The form keeps what was entered.
    assert group_techniques[0] in html.split('id="techniques"')[1].split("</textarea>")[0]
    print(f"first attribution on the desk: {first * 1000:.0f} ms (profiles built for this caller)")


def test_the_hypotheses_download_as_csv(anonymous: TestClient, group_techniques: list[str]) -> None:
    query = urlencode({"techniques": " ".join(group_techniques), "run": "1"})
    response = anonymous.get(f"/attribution?{query}&csv=hypotheses")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["id"] == GROUP and rows[0]["rank"] == "1"
    assert {"group", "unknown", "state"} <= {r["kind"] for r in rows}
    assert all(0 <= float(r["probability"]) <= 1 for r in rows)
    ach = list(csv.DictReader(io.StringIO(anonymous.get(f"/attribution?{query}&csv=ach").text)))
    assert {r["stance"] for r in ach} <= {"for", "against"} and any(r["hypothesis"] == "Gamaredon Group" for r in ach)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"techniques": "T1566.001 T9999"}, "techniques", "T9999 is not in the ATT&amp;CK data"),
    ({"techniques": "phishing"}, "techniques", "PHISHING is not an ATT&amp;CK technique id"),
    ({"techniques": "T1566.001", "date": "2022-13-01"}, "date", "is not a date"),
    ({"techniques": "T1566.001", "date": "yesterday"}, "date", "is not a date"),
    ({"techniques": "T1566.001", "victim_countries": "Atlantis"}, "victim_countries", "is not a country"),
    ({"sectors": ""}, "techniques", "give some evidence"),
])
def test_bad_input_comes_back_next_to_its_field(anonymous: TestClient, fields: dict[str, str], field: str,
                                                message: str) -> None:
    response = desk(anonymous, **fields)
    assert response.status_code == 400
    html = response.text
    assert f'id="{field}-error"' in html and message in html
    assert f'{field}-error"' in html.split(f'id="{field}"')[1].split(">")[0]  # aria-describedby on the input
    assert 'aria-invalid="true"' in html
    assert "Hypotheses" not in html


def test_a_stored_incident_can_be_picked(anonymous: TestClient, public_incident: dict[str, Any]) -> None:
    for reference in (public_incident["ref"], public_incident["id"]):
        response = anonymous.get("/attribution?" + urlencode({"incident": reference}))
        assert response.status_code == 200, response.text
        assert f'href="/incidents/{public_incident["id"]}"' in response.text
        assert "unknown / new actor" in response.text


def test_an_unknown_incident_comes_back_next_to_its_field(anonymous: TestClient) -> None:
    response = anonymous.get("/attribution?incident=eurepoc:does-not-exist")
    assert response.status_code == 404 and 'id="incident-error"' in response.text


def test_the_outsider_never_sees_the_owners_secrets(owner: TestClient, outsider: TestClient,
                                                    seeded: SeededWorkspace) -> None:
    amber, red = seeded.secret_ids
    for secret in (amber, red):
        theirs = outsider.get(f"/attribution?incident={secret}")
        nowhere = outsider.get("/attribution?incident=incident--00000000-0000-4000-8000-000000000000")
        assert theirs.status_code == nowhere.status_code == 404
        assert "Glacier" not in theirs.text and "Fjord" not in theirs.text
        assert theirs.text.replace(secret, "X").count("no incident") == 1
        mine = owner.get(f"/attribution?incident={secret}")
        assert mine.status_code == 200 and ("Glacier" in mine.text or "Fjord" in mine.text)
    guessed = desk(outsider, notes="intrusion into a ministry network", victim_countries="IS, GL")
    assert guessed.status_code == 200
    assert not any(secret in guessed.text for secret in ("Glacier", "Fjord", amber, red))
