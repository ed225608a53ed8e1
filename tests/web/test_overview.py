"""The overview page ``/`` and its world maps: shapes, choropleth, flows, timeline, filters, CSV, access policy."""

from __future__ import annotations

import html
import itertools
import re

import pytest
from fastapi.testclient import TestClient

from cirx import Platform
from cirx.store.reader import IncidentFilter
from cirx.web import geo
from tests.web.pages import SECRET_NAMES
from tests.web.pages import csv_rows as rows
from tests.web.seed import SeededWorkspace


def counts(table: list[dict[str, str]], key: str = "country_code") -> dict[str, int]:
    """Country code to count from the map's CSV."""
    return {r[key]: int(r["incidents"]) for r in table}


def map_label(html: str, name: str) -> int:
    """The count the choropleth's label gives a country."""
    found = re.search(rf'aria-label="{re.escape(name)}: (\d+) incidents"', html)
    assert found, f"no map label for {name}"
    return int(found.group(1))


def headline(html: str, label: str) -> int:
    """A headline figure of the overview."""
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd>(\d+)</dd>", html)
    assert found, f"no headline {label!r}"
    return int(found.group(1))


# -- geometry ---------------------------------------------------------------------------------


def test_path_rings_follow_relative_and_absolute_commands() -> None:
    square = geo.rings("m10 10h10v10h-10z M100 100 L110 100 L110 110z")
    assert square[0] == [(10, 10), (20, 10), (20, 20), (10, 20)]
    assert square[1] == [(100, 100), (110, 100), (110, 110)]
    curve = geo.rings("m0 0c1 1 2 2 10 0l0 10-10 0")  # the curve's end point, then implicit lines
    assert curve == [[(0, 0), (10, 0), (10, 10), (0, 10)]]
    assert geo.area([(0, 0), (10, 0), (10, 10), (0, 10)]) == 100
    assert geo.centroid([(0, 0), (10, 0), (10, 10), (0, 10)]) == (5, 5)
    with pytest.raises(ValueError, match="lacks numbers"):
        geo.rings("m0 0l5")


def test_parse_world_groups_several_paths_per_country() -> None:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><g id="countries">'
           '<g class="fr country map-element"><path d="m10 10h40v40h-40z"/><path d="m150 50h20v20h-20z"/></g>'
           '<g class="mc country map-element"><path d="m60 60h1v1h-1z"/></g>'
           '<g class="aq country"><path d="m0 90h200v10h-200z"/></g></g></svg>')
    world = geo.parse_world(svg)
    assert set(world.shapes) == {"FR", "MC"}  # Antarctica is left off
    france = world.shapes["FR"]
    assert france.path.count("M") == 2 and france.name == "France"
    assert france.centroid == (15.0, 15.0)  # the centre of the largest ring, at half scale
    assert "a2.5" in world.shapes["MC"].path  # too small to draw: a dot
    assert world.height < 50


def test_world_map_from_the_package() -> None:
    world = geo.world()
    assert len(world.shapes) >= 180
    for code in ("RU", "UA", "US", "CN", "IS", "GL", "SG", "EE", "PT", "QA", "KW", "BH"):
        shape = world.shapes[code]
        x0, y0, x1, y1 = shape.bbox
        assert x0 <= shape.centroid[0] <= x1 and y0 <= shape.centroid[1] <= y1, code
    assert world.shapes["RU"].centroid[0] > world.shapes["UA"].centroid[0]  # east of Ukraine
    assert len(geo.shape_defs()) < 150_000  # simplified: a fraction of the package's 780 kB


@pytest.mark.parametrize("maximum", [1, 2, 3, 7, 25, 397, 1000, 4321])
def test_colour_classes_cover_every_count_once(maximum: int) -> None:
    classes = geo.classes(maximum)
    assert classes[0][0] == 1 and classes[-1][1] == maximum
    for (_, high, _), (low, _, _) in itertools.pairwise(classes):
        assert low == high + 1
    for low, high, colour in classes:
        assert geo.fill(low, maximum) == colour == geo.fill(high, maximum)
    assert geo.fill(0, maximum) == geo.NO_INCIDENTS


def test_choropleth_and_flows_markup() -> None:
    figure = str(geo.choropleth("m", "Test map", {"RU": 5, "UA": 1, "XX": 2}, csv_url="/?csv=m"))
    assert 'aria-label="Ukraine: 1 incidents"' in figure and 'href="/countries/UA"' in figure
    assert 'aria-label="France: 0 incidents" tabindex="-1"' in figure  # no count: clickable, not a tab stop
    assert '<a href="/countries/RU" aria-label="Russian Federation: 5 incidents"><title>' in figure  # a tab stop
    assert 'class="skip-map" href="#m-after"' in figure and 'id="m-after"' in figure
    assert 'aria-label="Qatar: 0 incidents"' in figure  # absent from the package, placed as a dot
    assert "XX (2)" in figure  # a code the map cannot draw is named beside it
    assert 'href="/?csv=m"' in figure and "The map as a table" in figure
    flows = geo.drawable_flows([{"initiator": "RU", "receiver": "UA", "incidents": 4},
                                {"initiator": None, "receiver": "UA", "incidents": 9},
                                {"initiator": "UA", "receiver": "UA", "incidents": 9}])
    assert flows == [geo.Flow("RU", "UA", 4)]
    drawn = str(geo.flow_map("f", "Flows", flows, csv_url=None))
    assert "Russian Federation → Ukraine: 4 incidents" in drawn and 'class="flow"' in drawn
    assert "/dyads?initiator=RU&amp;receiver=UA" in drawn


# -- the page ---------------------------------------------------------------------------------


def test_overview_renders_map_flows_timeline(anonymous: TestClient) -> None:
    response = anonymous.get("/")
    assert response.status_code == 200
    html = response.text
    assert html.count("<h1") == 1
    assert 'class="geo"' in html and 'id="geo-ru"' in html and 'href="#geo-ru"' in html
    assert html.count('<path id="geo-ru"') == 1  # the shapes once, reused by the second map
    assert 'href="/countries/US"' in html and 'id="flows"' in html and 'id="timeline"' in html
    for chart in ("map", "flows", "timeline"):
        assert f"csv={chart}" in html
    assert 'aria-current="true">receiver' in html
    assert not re.search(r'<(img|script|link|image|iframe)[^>]+(src|href)="(https?:)?//', html)
    assert map_label(html, "United States") == headline_map(anonymous, "", "US")
    assert headline(html, "Incidents you can see") > 1000


def headline_map(client: TestClient, query: str, code: str) -> int:
    """A country's count in the map CSV of ``/`` with ``query``."""
    return counts(rows(client, f"/?csv=map{query}")).get(code, 0)


def test_csv_downloads_match_the_charts(anonymous: TestClient, web_platform: Platform) -> None:
    workspace = web_platform.workspace(web_platform.authenticate(None))
    where = IncidentFilter(sector="health")
    html = anonymous.get("/?sector=health").text
    map_rows = rows(anonymous, "/?sector=health&csv=map")
    expected = {r["value"]: r["incidents"] for r in workspace.incidents.stats("receivers", where)}
    assert counts(map_rows) == expected
    for code, n in list(expected.items())[:5]:
        assert map_label(html, geo.name_of(code)) == n
    flows = rows(anonymous, "/?sector=health&csv=flows")
    assert 0 < len(flows) <= 25
    assert [int(r["incidents"]) for r in flows] == sorted((int(r["incidents"]) for r in flows), reverse=True)
    for flow in flows:
        assert f"{flow['initiator_name']} → {flow['receiver_name']}: {flow['incidents']} incidents" in html
    timeline = rows(anonymous, "/?sector=health&csv=timeline")
    by_year = {(r["year"], r["value"]): r["incidents"] for r in workspace.incidents.stats("types-by-year", where)}
    assert {(int(r["year"]), r["type"]): int(r["incidents"]) for r in timeline} == by_year
    assert headline(html, "Incidents you can see") == workspace.incidents.count(where)


def test_a_filter_changes_every_chart(anonymous: TestClient) -> None:
    everything = {chart: rows(anonymous, f"/?csv={chart}") for chart in ("map", "flows", "timeline")}
    theft = {chart: rows(anonymous, f"/?type=data-theft&csv={chart}") for chart in ("map", "flows", "timeline")}
    for chart in everything:
        assert everything[chart] != theft[chart], chart
    assert sum(counts(theft["map"]).values()) < sum(counts(everything["map"]).values())
    # The filter keeps exactly the data-theft incidents: their own bars are unchanged, the others shrink.
    def of_type(table: list[dict[str, str]], kind: str) -> dict[str, int]:
        return {r["year"]: int(r["incidents"]) for r in table if r["type"] == kind}
    assert of_type(theft["timeline"], "data-theft") == of_type(everything["timeline"], "data-theft")
    assert sum(of_type(theft["timeline"], "disruption").values()) < sum(
        of_type(everything["timeline"], "disruption").values())
    html_all, html_theft = anonymous.get("/").text, anonymous.get("/?type=data-theft").text
    assert headline(html_theft, "Incidents you can see") < headline(html_all, "Incidents you can see")
    assert map_label(html_theft, "United States") < map_label(html_all, "United States")
    years = rows(anonymous, "/?since=2020&until=2021&csv=timeline")
    assert years and {r["year"] for r in years} <= {"2020", "2021"}


def test_switch_between_receiver_and_initiator_keeps_the_filters(anonymous: TestClient) -> None:
    by_receiver = counts(rows(anonymous, "/?csv=map"))
    by_initiator = counts(rows(anonymous, "/?by=initiator&csv=map"))
    assert by_initiator["RU"] > by_receiver.get("RU", 0) and by_receiver["US"] > by_initiator.get("US", 0)
    html = anonymous.get("/?type=data-theft&by=initiator").text
    assert "Incidents by initiator state" in html and 'aria-current="true">initiator' in html
    assert 'href="/?type=data-theft" class="button secondary"' in html  # back to receivers, filter kept
    assert 'name="by" value="initiator"' in html  # the filter form keeps the choice


@pytest.mark.parametrize("query, field", [("since=last-year", "since"), ("by=sideways", "by"),
                                          ("initiator_category=aliens", "initiator_category"),
                                          ("receiver=Atlantis", "receiver")])
def test_invalid_filters_give_a_400_page_naming_the_field(anonymous: TestClient, query: str, field: str) -> None:
    response = anonymous.get(f"/?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert f"'{field}'" in html.unescape(response.text) and "<h1>" in response.text


def test_unknown_chart_csv_is_404(anonymous: TestClient) -> None:
    assert anonymous.get("/?csv=pie").status_code == 404


# -- the access policy ------------------------------------------------------------------------


def test_outsider_never_sees_the_secrets(outsider: TestClient, anonymous: TestClient,
                                         seeded: SeededWorkspace) -> None:
    # One public incident lands in Iceland ("Anonymous vs. Iceland"); none starts there, none touches Greenland.
    for query in ("", "?by=initiator", "?type=espionage", "?type=espionage&by=initiator", "?q=Glacier"):
        html, public = outsider.get("/" + query).text, anonymous.get("/" + query).text
        for secret in [*SECRET_NAMES, *seeded.secret_ids]:
            assert secret not in html
        assert map_label(html, "Iceland") == map_label(public, "Iceland") <= 1
        assert map_label(html, "Greenland") == 0
        for chart in ("map", "flows", "timeline"):
            url = f"/{query}{'&' if query else '?'}csv={chart}"
            text = outsider.get(url).text
            assert text == anonymous.get(url).text  # exactly the public figures
            assert "GL," not in text and "Greenland" not in text
        assert html.count("Iceland") == public.count("Iceland")
    assert map_label(outsider.get("/?by=initiator").text, "Iceland") == 0
    espionage = outsider.get("/?type=espionage").text
    assert headline(espionage, "Incidents you can see") == 0
    assert "No incidents between two known states" in espionage  # no flow, not even RU -> IS
    assert 'aria-label="Legend: incidents per country"><li><span class="swatch" style="background:#dfe3e8">' \
           '</span>none</li></ul>' in espionage  # no legend maximum from a hidden count
    assert headline(outsider.get("/").text, "Incidents you can see") == headline(
        anonymous.get("/").text, "Incidents you can see")


def test_owner_counts_its_own_secrets(owner: TestClient, anonymous: TestClient) -> None:
    public = counts(rows(anonymous, "/?csv=map"))
    assert counts(rows(owner, "/?csv=map"))["IS"] == public.get("IS", 0) + 1
    assert counts(rows(owner, "/?csv=map"))["GL"] == 1 and "GL" not in public
    html = owner.get("/?type=espionage").text
    assert headline(html, "Incidents you can see") == 2
    assert map_label(html, "Iceland") == 1 and map_label(html, "Greenland") == 1
    assert map_label(owner.get("/?type=espionage&by=initiator").text, "Iceland") == 1
    flows = rows(owner, "/?type=espionage&csv=flows")
    assert {(r["initiator"], r["receiver"]) for r in flows} == {("RU", "IS"), ("IS", "GL")}
    assert "Iceland → Greenland: 1 incidents" in html
    assert headline(owner.get("/").text, "Incidents you can see") == headline(
        anonymous.get("/").text, "Incidents you can see") + 2
