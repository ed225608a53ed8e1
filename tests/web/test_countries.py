"""The country page: a state as initiator and receiver, Budapest status, norms, responses, access policy."""

from __future__ import annotations

import re
import warnings

from cirx import Platform
from cirx.store.reader import IncidentFilter
from tests.web.pages import SECRET_NAMES, csv_rows

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def role_count(page: str, role: str) -> int:
    """The count the profile gives for ``role`` (initiator or receiver)."""
    found = re.search(rf"<dt>Incidents as {role}</dt><dd><a href=\"[^\"]+\">(\d+)</a></dd>", page)
    assert found, f"no count as {role}"
    return int(found.group(1))


def test_country_page_by_code_and_by_name(anonymous: TestClient, web_platform: Platform) -> None:
    shown = web_platform.workspace(web_platform.authenticate(None)).countries.show("UA")
    pages = [anonymous.get("/countries/UA"), anonymous.get("/countries/ukraine"), anonymous.get("/countries/ua")]
    assert all(p.status_code == 200 for p in pages)
    for page in (p.text for p in pages):
        assert page.count("<h1>") == 1 and "<h1>Ukraine <small" in page
        assert role_count(page, "initiator") == shown["incidents_as_initiator"] > 0
        assert role_count(page, "receiver") == shown["incidents_as_receiver"] > 0
    page = pages[0].text
    assert "<dt>Budapest Convention</dt><dd>party" in page
    assert 'href="/dyads?initiator=RU&amp;receiver=UA"' in page  # the top initiator's dyad
    assert 'href="/countries/RU"' in page and 'href="/incidents?receiver=UA"' in page
    for chart in ("initiator-counterparts", "initiator-types", "initiator-timeline", "receiver-counterparts",
                  "receiver-types", "receiver-timeline"):
        assert f'id="{chart}"' in page, chart
    assert "UN GGE norm 13(" in page and "Sovereignty" in page
    assert "Responses by Ukraine" in page and "Public attribution" in page
    assert "Capacity scores</dt><dd>none imported" in page


def test_country_csv_downloads(anonymous: TestClient, web_platform: Platform) -> None:
    incidents = web_platform.workspace(web_platform.authenticate(None)).incidents
    timeline = csv_rows(anonymous, "/countries/UA?csv=receiver-timeline")
    assert {"year", "type", "incidents"} <= set(timeline[0])
    types = csv_rows(anonymous, "/countries/UA?csv=receiver-types")
    expected = incidents.stats("types", IncidentFilter(receiver="UA"))
    assert {r["type"]: int(r["incidents"]) for r in types} == {t["value"]: t["incidents"] for t in expected}
    partners = csv_rows(anonymous, "/countries/UA?csv=receiver-counterparts")
    assert partners[0]["country"] == "RU"
    assert anonymous.get("/countries/UA?csv=nope").status_code == 404


def test_secret_incidents_never_reach_the_outsiders_country_pages(owner: TestClient, outsider: TestClient,
                                                                   anonymous: TestClient) -> None:
    greenland = {who: client.get("/countries/GL").text for who, client in (("owner", owner), ("outsider", outsider),
                                                                            ("anonymous", anonymous))}
    iceland = {who: client.get("/countries/IS").text for who, client in (("owner", owner), ("outsider", outsider),
                                                                          ("anonymous", anonymous))}
    for who in ("outsider", "anonymous"):
        assert role_count(greenland[who], "receiver") == 0 and role_count(greenland[who], "initiator") == 0
        assert role_count(iceland[who], "initiator") == 0
        assert role_count(iceland[who], "receiver") == role_count(iceland["owner"], "receiver") - 1
        assert 'initiator=RU&amp;receiver=IS' not in iceland[who] and 'receiver=GL' not in iceland[who]
        for page in (greenland[who], iceland[who]):
            for name in SECRET_NAMES:
                assert name not in page
        client = outsider if who == "outsider" else anonymous
        assert csv_rows(client, "/countries/GL?csv=receiver-timeline") == []
        assert "espionage" not in {r["type"] for r in csv_rows(client, "/countries/IS?csv=receiver-types")}
        assert csv_rows(client, "/countries/IS?csv=initiator-counterparts") == []
    assert role_count(greenland["owner"], "receiver") == 1
    assert role_count(iceland["owner"], "initiator") == 1
    assert 'href="/dyads?initiator=RU&amp;receiver=IS"' in iceland["owner"]
    assert 'href="/dyads?initiator=IS&amp;receiver=GL"' in iceland["owner"]
    assert "espionage" in {r["type"] for r in csv_rows(owner, "/countries/IS?csv=receiver-types")}
    assert [r["country"] for r in csv_rows(owner, "/countries/IS?csv=initiator-counterparts")] == ["GL"]


def test_unknown_country_is_404(anonymous: TestClient) -> None:
    response = anonymous.get("/countries/Atlantis")
    assert response.status_code == 404 and "no country" in response.text
