"""The dyads page ``/dyads``: the who-targets-whom matrix and a rivalry's history, under the access policy."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from cirx import Platform
from cirx.analysis.norms.service import NormsService
from cirx.model.incident import IR_EXTENSION_ID
from cirx.store.reader import IncidentFilter
from cirx.web.pages.dyads import incident_rows, intensity_by_year, ladder_chart, matrix_rows
from tests.web.pages import SECRET_NAMES
from tests.web.pages import csv_rows as rows
from tests.web.seed import SeededWorkspace


def cells(table: list[dict[str, str]]) -> dict[tuple[str, str], int]:
    """(initiator, receiver) to incidents, from the matrix CSV."""
    return {(r["initiator"], r["receiver"]): int(r["incidents"]) for r in table}


def headline(page: str, label: str) -> int:
    """A headline figure of the rivalry page (the ``<dt>`` text may hold a link)."""
    found = re.search(rf"<dt>{label}.*?</dt>\s*<dd>(\d+)", page, re.S)
    assert found, f"no headline {label!r}"
    return int(found.group(1))


# -- pure parts ---------------------------------------------------------------------------------


def test_matrix_rows_set_unknown_parties_aside() -> None:
    found, unknown = matrix_rows([{"initiator": "RU", "receiver": "UA", "incidents": 3},
                                  {"initiator": None, "receiver": "UA", "incidents": 2},
                                  {"initiator": "CN", "receiver": None, "incidents": 1}])
    assert found == [{"initiator": "RU", "initiator_name": "Russian Federation", "receiver": "UA",
                      "receiver_name": "Ukraine", "incidents": 3}]
    assert unknown == 3


def test_intensity_by_year_and_ladder_chart() -> None:
    docs = [{"id": f"incident--{i}", "extensions": {IR_EXTENSION_ID: {"extension_type": "property-extension",
                                                           "start_date": f"{year}-05-01",
                                                           "intensity": {"value": value}}}}
            for i, (year, value) in enumerate([(2020, 2.0), (2020, 4.0), (2021, None)])]
    assert intensity_by_year(incident_rows(docs)) == [
        {"year": 2020, "incidents": 2, "measured": 2, "intensity_mean": 3.0, "intensity_max": 4.0},
        {"year": 2021, "incidents": 1, "measured": 0, "intensity_mean": None, "intensity_max": None}]
    figure = str(ladder_chart("r", "Ladder", [
        {"date": "2021-03-01", "rank": 8, "label": "Targeted sanctions", "legal_category": "retorsion",
         "actor": "EU"},
        {"date": "", "rank": 4, "label": "Public attribution", "legal_category": "non-legal", "actor": ""}],
        [{"start_date": "2020-05-01"}], csv_url="/dyads?csv=r"))
    assert "2021-03-01: Targeted sanctions (rank 8, retorsion) by EU" in figure
    assert "1 undated response(s)" in figure and "escalation threshold" in figure
    empty = str(ladder_chart("r", "Ladder", [], [], csv_url=None))
    assert "No dated response" in empty


# -- the matrix ---------------------------------------------------------------------------------


def test_matrix_renders_with_links_to_rivalries(anonymous: TestClient) -> None:
    response = anonymous.get("/dyads")
    assert response.status_code == 200
    page = response.text
    assert page.count("<h1") == 1 and 'class="matrix"' in page and '<th scope="row">RU</th>' in page
    assert 'href="/dyads?initiator=RU&amp;receiver=UA"' in page
    assert "csv=matrix" in page and "csv=rivalries" in page and "The busiest rivalries" in page
    with_filter = anonymous.get("/dyads?type=data-theft").text
    assert 'href="/dyads?type=data-theft&amp;initiator=RU&amp;receiver=UA"' in with_filter  # filters kept


def test_matrix_csv_matches_the_statistics_and_obeys_filters(anonymous: TestClient, web_platform: Platform) -> None:
    workspace = web_platform.workspace(web_platform.authenticate(None))
    everything = cells(rows(anonymous, "/dyads?csv=matrix"))
    expected = {(r["initiator"], r["receiver"]): r["incidents"]
                for r in workspace.incidents.stats("dyads", IncidentFilter()) if r["initiator"] and r["receiver"]}
    assert everything == expected
    assert everything[("RU", "UA")] > 0
    theft = cells(rows(anonymous, "/dyads?type=data-theft&csv=matrix"))
    assert theft != everything and sum(theft.values()) < sum(everything.values())
    assert all(n <= everything[k] for k, n in theft.items())
    rivalries = rows(anonymous, "/dyads?csv=rivalries")
    assert 0 < len(rivalries) <= 20
    top = rivalries[0]
    assert int(top["incidents"]) >= int(rivalries[-1]["incidents"])
    assert rows(anonymous, "/dyads?type=data-theft&csv=rivalries") != rivalries
    page = anonymous.get("/dyads").text
    assert f'title="RU → UA: {everything[("RU", "UA")]}"' in page


# -- a rivalry ----------------------------------------------------------------------------------


def test_rivalry_history(anonymous: TestClient, web_platform: Platform) -> None:
    workspace = web_platform.workspace(web_platform.authenticate(None))
    where = IncidentFilter(initiator="RU", receiver="UA")
    response = anonymous.get("/dyads?initiator=RU&receiver=UA")
    assert response.status_code == 200
    page = response.text
    assert page.count("<h1") == 1 and "Russian Federation → Ukraine</h1>" in page
    total = workspace.incidents.count(where)
    assert headline(page, "Incidents, RU → UA") == total > 10
    assert headline(page, "The other way") == workspace.incidents.count(IncidentFilter(initiator="UA", receiver="RU"))
    for chart in ("types-by-year", "intensity", "responses", "incidents"):
        assert f"csv={chart}" in page
    listed = rows(anonymous, "/dyads?initiator=RU&receiver=UA&csv=incidents")
    assert len(listed) == total
    for incident in listed[:5]:
        assert f'href="/incidents/{incident["id"]}"' in page
    types = rows(anonymous, "/dyads?initiator=RU&receiver=UA&csv=types-by-year")
    assert {(int(r["year"]), r["type"]): int(r["incidents"]) for r in types} == {
        (r["year"], r["value"]): r["incidents"] for r in workspace.incidents.stats("types-by-year", where)}
    intensity = rows(anonymous, "/dyads?initiator=RU&receiver=UA&csv=intensity")
    assert sum(int(r["incidents"]) for r in intensity) == sum(1 for r in listed if r["start_date"])
    # The escalation figure is the norms service's, computed from the dyad's own incidents.
    norms = NormsService(web_platform.engine, workspace.reader)
    assert headline(page, "Followed by a response") == norms.escalation(where)["followed"]
    responses = rows(anonymous, "/dyads?initiator=RU&receiver=UA&csv=responses")
    assert headline(page, "Responses recorded") == len(responses) > 0
    dated = [r["date"] for r in responses if r["date"]]
    assert dated == sorted(dated)
    mine = {r["id"] for r in responses}
    ids = {r["id"] for r in listed}
    assert {r["id"] for r in norms.responses(dyad="RU-UA") if r["incident"] in ids} <= mine
    assert 'class="ladder"' in page and "Rank on the escalation ladder" in page
    trend = next(t for t in norms.dyad_trends(where) if (t["initiator"], t["receiver"]) == ("RU", "UA"))
    levels = [float(r["intensity"]) for r in listed if r["intensity"]]
    assert round(sum(levels) / len(levels), 3) == trend["intensity_mean"] and max(levels) == trend["intensity_max"]
    assert f"<dd>{trend['intensity_mean']:.1f} <small>/ {trend['intensity_max']:g}</small></dd>" in page


def test_rivalry_obeys_the_filters(anonymous: TestClient) -> None:
    base = "/dyads?initiator=RU&receiver=UA"
    for chart in ("types-by-year", "intensity", "responses", "incidents"):
        assert rows(anonymous, f"{base}&csv={chart}") != rows(anonymous, f"{base}&type=data-theft&csv={chart}"), chart
    recent = rows(anonymous, f"{base}&since=2022&csv=incidents")
    assert recent and all(r["start_date"] >= "2022" for r in recent)
    page = anonymous.get(f"{base}&since=2022").text
    assert headline(page, "Incidents, RU → UA") == len(recent)


def test_empty_rivalry_renders(anonymous: TestClient) -> None:
    page = anonymous.get("/dyads?initiator=PT&receiver=GL").text
    assert "No incidents from Portugal to Greenland match these filters." in page
    assert headline(page, "Incidents, PT → GL") == 0


@pytest.mark.parametrize("query, field", [("initiator=Atlantis", "initiator"), ("until=soon", "until"),
                                          ("initiator=RU&receiver=Narnia", "receiver")])
def test_invalid_filters_give_a_400_page_naming_the_field(anonymous: TestClient, query: str, field: str) -> None:
    response = anonymous.get(f"/dyads?{query}")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert f"'{field}'" in html.unescape(response.text)
    assert anonymous.get("/dyads?csv=pie").status_code == 404


# -- the access policy --------------------------------------------------------------------------


def test_outsider_never_sees_the_secrets(outsider: TestClient, anonymous: TestClient,
                                         seeded: SeededWorkspace) -> None:
    secrets = [*SECRET_NAMES, *seeded.secret_ids]
    for query in ("", "?type=espionage", "?initiator=RU&receiver=IS", "?initiator=IS&receiver=GL",
                  "?initiator=GL&receiver=IS", "?initiator=IS&receiver=RU", "?initiator=RU&receiver=IS&type=espionage"):
        page = outsider.get("/dyads" + query).text
        assert not any(s in page for s in secrets), query
        charts = ("matrix", "rivalries") if "initiator" not in query else (
            "types-by-year", "intensity", "responses", "incidents")
        for chart in charts:
            url = f"/dyads{query}{'&' if query else '?'}csv={chart}"
            text = outsider.get(url).text
            assert text == anonymous.get(url).text, url  # exactly the public figures
            assert not any(s in text for s in secrets) and "GL," not in text
    for query, label in (("?initiator=IS&receiver=GL", "Incidents, IS → GL"), ("?initiator=GL&receiver=IS", "The other way"),
                         ("?initiator=RU&receiver=IS&type=espionage", "Incidents, RU → IS")):
        assert headline(outsider.get("/dyads" + query).text, label) == 0
    espionage = outsider.get("/dyads?type=espionage").text
    assert "No incidents match these filters" in espionage and "No incidents between two known states" in espionage
    assert ("IS", "GL") not in cells(rows(outsider, "/dyads?csv=matrix"))


def test_owner_sees_its_secrets(owner: TestClient, anonymous: TestClient, seeded: SeededWorkspace) -> None:
    matrix = cells(rows(owner, "/dyads?type=espionage&csv=matrix"))
    assert matrix == {("RU", "IS"): 1, ("IS", "GL"): 1}
    assert cells(rows(owner, "/dyads?csv=matrix"))[("IS", "GL")] == 1
    page = owner.get("/dyads?initiator=IS&receiver=GL").text
    assert headline(page, "Incidents, IS → GL") == 1
    assert "Operation Fjord Red" in page and f'href="/incidents/{seeded.secret_ids[1]}"' in page
    reverse = owner.get("/dyads?initiator=GL&receiver=IS").text
    assert headline(reverse, "The other way") == 1
    amber = owner.get("/dyads?initiator=RU&receiver=IS").text
    public = anonymous.get("/dyads?initiator=RU&receiver=IS").text
    assert headline(amber, "Incidents, RU → IS") == headline(public, "Incidents, RU → IS") + 1
    assert "Operation Glacier Amber" in amber
