"""The incident list and incident pages: search, filters, sorting, paging, CSV, sections, access policy."""

from __future__ import annotations

import html
import re
import warnings

import pytest
from sqlalchemy import select

from cirx import Platform
from cirx.access.tables import AuditEvent
from cirx.access.tlp import TLP2_MARKINGS
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident
from cirx.store.reader import IncidentFilter
from tests.web.conftest import TwoOrganisations
from tests.web.pages import SECRET_NAMES, csv_rows
from tests.web.seed import SeededWorkspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROW = re.compile(r'<tr>\s*<td><a href="/incidents/(incident--[0-9a-f-]+)">([^<]*)</a></td>')


def total(page: str) -> int:
    """The total the list announces (0 when nothing matches)."""
    found = re.search(r"<strong>([\d,]+)</strong> incident", page)
    return int(found.group(1).replace(",", "")) if found else 0


def listed(page: str) -> list[tuple[str, str]]:
    """(id, name) of each row of the list, in order."""
    return [(i, html.unescape(n)) for i, n in ROW.findall(page)]


# -- the list -----------------------------------------------------------------------------------------


def test_list_totals_follow_the_access_policy(anonymous: TestClient, owner: TestClient, outsider: TestClient,
                                              web_platform: Platform, seeded: SeededWorkspace) -> None:
    public = web_platform.workspace(web_platform.authenticate(seeded.outsider_token)).incidents.count(IncidentFilter())
    assert total(outsider.get("/incidents").text) == public
    assert total(anonymous.get("/incidents").text) == public
    assert total(owner.get("/incidents").text) == public + 2
    page = owner.get("/incidents").text  # newest first: the 2024 secrets lead for their owner
    assert 'class="tlp tlp-red">TLP:RED' in page and 'class="tlp tlp-amber">TLP:AMBER' in page
    assert page.count("<h1>") == 1 and 'aria-label="Filter incidents"' in page


def test_outsider_never_sees_the_secrets_in_lists_searches_or_totals(owner: TestClient,
                                                                      outsider: TestClient) -> None:
    for url in ("/incidents", "/incidents?q=Glacier", "/incidents?q=Operation%20Fjord", "/incidents?receiver=IS",
                "/incidents?receiver=GL", "/incidents?initiator=IS", "/incidents?order=-name",
                "/incidents?csv=incidents", "/incidents?receiver=GL&csv=incidents"):
        body = outsider.get(url).text
        for name in SECRET_NAMES:
            assert name not in body, url
    assert total(outsider.get("/incidents?q=Glacier").text) == 0
    assert total(outsider.get("/incidents?receiver=GL").text) == 0
    assert total(outsider.get("/incidents?initiator=IS").text) == 0
    assert total(owner.get("/incidents?q=Glacier").text) == 1
    assert total(owner.get("/incidents?receiver=GL").text) == 1
    assert total(owner.get("/incidents?receiver=IS").text) == total(outsider.get("/incidents?receiver=IS").text) + 1
    assert [n for _, n in listed(owner.get("/incidents?q=Glacier").text)] == ["Operation Glacier Amber"]


def test_search_and_filters_narrow_the_list(anonymous: TestClient, web_platform: Platform) -> None:
    reader = web_platform.workspace(web_platform.authenticate(None)).incidents
    page = anonymous.get("/incidents?q=ransomware&receiver=US").text
    expected = reader.count(IncidentFilter(text="ransomware", receiver="US"))
    assert 0 < total(page) == expected
    assert 'value="ransomware"' in page  # the form keeps the search
    filtered = anonymous.get("/incidents?type=hijacking&since=2020&until=2021&initiator=russia").text
    assert 0 < total(filtered) == reader.count(IncidentFilter(type="hijacking", since="2020-01-01",
                                                          until="2021-12-31", initiator="RU"))
    years = re.findall(r'<td class="nowrap">(\d{4})-\d\d-\d\d</td>\s*<td class="nowrap opt">', filtered)
    assert years and all(2020 <= int(year) <= 2021 for year in years)
    rows = csv_rows(anonymous, "/incidents?type=hijacking&since=2020&until=2021&initiator=russia&csv=incidents")
    assert len(rows) == total(filtered)
    assert all("RU" in r["initiators"].split(";") and "hijacking" in r["types"].split(";") for r in rows)
    assert total(anonymous.get("/incidents?q=zzzzqqqqnotaword").text) == 0
    assert "No incidents match these filters." in anonymous.get("/incidents?q=zzzzqqqqnotaword").text


def test_sorting_by_name_and_date_with_aria_sort(anonymous: TestClient) -> None:
    by_name = anonymous.get("/incidents?order=name").text
    names = [n for _, n in listed(by_name)]
    assert len(names) == 50
    assert 'aria-sort="ascending"><a href="?order=-name">Name' in by_name
    reverse = [n for _, n in listed(anonymous.get("/incidents?order=-name").text)]
    assert reverse != names
    assert 'aria-sort="descending"><a href="?order=name">Name' in anonymous.get("/incidents?order=-name").text
    newest = anonymous.get("/incidents").text
    assert 'aria-sort="descending"><a href="?order=oldest">Start' in newest
    dates = re.findall(r'<td class="nowrap">(\d{4}-\d\d-\d\d)?</td>\s*<td class="nowrap opt">', newest)
    known = [d for d in dates if d]
    assert len(known) > 10
    assert known == sorted(known, reverse=True)
    oldest = re.findall(r'<td class="nowrap">(\d{4}-\d\d-\d\d)</td>\s*<td class="nowrap opt">',
                        anonymous.get("/incidents?order=oldest").text)
    assert oldest == sorted(oldest) and oldest[0] < known[0]
    assert "parameter &#39;order&#39;" in anonymous.get("/incidents?order=sideways").text
    assert anonymous.get("/incidents?order=sideways").status_code == 400


def test_paging_keeps_the_query(anonymous: TestClient) -> None:
    first = anonymous.get("/incidents?q=russia&order=name").text
    count = total(first)
    assert count > 50
    assert "showing 1–50" in first
    assert 'rel="next" href="?q=russia&amp;order=name&amp;page=2"' in first
    second = anonymous.get("/incidents?q=russia&order=name&page=2").text
    assert f"showing 51–{min(100, count)}" in second
    assert 'rel="prev" href="?q=russia&amp;order=name"' in second
    ids_one = {i for i, _ in listed(first)}
    ids_two = {i for i, _ in listed(second)}
    assert ids_one and ids_two and not ids_one & ids_two
    pages = -(-count // 50)
    last = anonymous.get(f"/incidents?q=russia&order=name&page={pages}").text
    assert len(listed(last)) == count - 50 * (pages - 1) and 'rel="next"' not in last
    bad = anonymous.get("/incidents?page=0")
    assert bad.status_code == 400 and "parameter &#39;page&#39;" in bad.text


def test_list_csv_holds_the_current_filter(anonymous: TestClient) -> None:
    everything = csv_rows(anonymous, "/incidents?csv=incidents")
    assert len(everything) == total(anonymous.get("/incidents").text)
    assert {"id", "name", "start_date", "initiators", "receivers", "types", "sectors"} <= set(everything[0])
    searched = csv_rows(anonymous, "/incidents?q=ransomware&csv=incidents")
    assert len(searched) == total(anonymous.get("/incidents?q=ransomware").text)
    assert anonymous.get("/incidents?csv=nothing").status_code == 404


# -- one incident ----------------------------------------------------------------------------------------


def test_incident_page_shows_its_sections(anonymous: TestClient) -> None:
    response = anonymous.get("/incidents/eurepoc:1493")
    assert response.status_code == 200
    page = response.text
    assert page.count("<h1>") == 1
    for section in ("Summary", "Sources", "Indicators", "Related objects", "Attribution", "Claims on record",
                    "Hypotheses from the evidence", "Norms and international law", "Responses",
                    "UN GGE 2015 norms", "International law", "Budapest Convention offences", "Lawful responses"):
        assert f">{section}" in page, section
    assert 'href="/countries/IR"' in page and 'href="/countries/US"' in page
    assert "state-affiliated" in page and "ransomware" in page and "eurepoc-weighted-cyber-intensity" in page
    assert 'status-implicated">implicated' in page and "not implicated" in page
    assert "countermeasures" in page  # the lawful-response consequence
    assert "Targeted sanctions" in page and 'class="response-timeline"' in page
    assert 'href="/attribution?incident=incident--' in page
    assert "not graded" in page and "securityweek.com" in page
    stix_id = re.search(r'<small class="muted">(incident--[0-9a-f-]+)</small>', page)
    assert stix_id and anonymous.get(f"/incidents/{stix_id.group(1)}").status_code == 200
    responses = csv_rows(anonymous, "/incidents/eurepoc:1493?csv=responses")
    assert responses and {"date", "type", "rank", "legal_category"} <= set(responses[0])
    assert len(csv_rows(anonymous, "/incidents/eurepoc:1493?csv=sources")) == 18


def test_hypotheses_on_request(anonymous: TestClient) -> None:
    page = anonymous.get("/incidents/eurepoc:1493?hypotheses=1").text
    assert "The five likeliest hypotheses" in page
    assert re.search(r'<a href="/actors/G\d{4}">', page)


def test_secret_incidents_are_404_for_the_outsider_exactly_like_unknown_ids(
        owner: TestClient, outsider: TestClient, anonymous: TestClient, seeded: SeededWorkspace) -> None:
    unknown_ids = ["incident--00000000-0000-5000-8000-000000000000", "incident--00000000-0000-5000-8000-000000000001"]
    for secret, unknown in zip(seeded.secret_ids, unknown_ids, strict=True):
        for client in (outsider, anonymous):
            hidden, missing = client.get(f"/incidents/{secret}"), client.get(f"/incidents/{unknown}")
            assert hidden.status_code == missing.status_code == 404
            assert hidden.text.replace(secret, "X") == missing.text.replace(unknown, "X")
            for name in SECRET_NAMES:
                assert name not in hidden.text
        assert owner.get(f"/incidents/{secret}").status_code == 200
    for reference in ("cert-ee:amber", "cert-ee:red"):
        hidden, missing = outsider.get(f"/incidents/{reference}"), outsider.get("/incidents/cert-ee:green")
        assert hidden.status_code == 404
        assert hidden.text.replace(reference, "X") == missing.text.replace("cert-ee:green", "X")
    page = owner.get("/incidents/cert-ee:amber").text
    assert "Operation Glacier Amber" in page and 'class="tlp tlp-amber">TLP:AMBER' in page
    assert 'href="/countries/IS"' in page and 'href="/countries/RU"' in page


def test_incident_reads_are_audited(owner: TestClient, web_platform: Platform, seeded: SeededWorkspace) -> None:
    secret = seeded.secret_ids[1]
    owner.get(f"/incidents/{secret}")
    with web_platform.engine.connect() as connection:
        actions = connection.execute(select(AuditEvent.action).where(AuditEvent.stix_id == secret)).scalars().all()
    assert "read" in actions


def test_related_objects_and_indicators_follow_the_access_policy(two_organisations: TwoOrganisations) -> None:
    platform = two_organisations.platform
    incident = make_incident(source="test", external_id="1", name="Public incident", modified="2024-01-01T00:00:00Z",
                             ir={"receiver_countries": ["EE"], "start_date": "2024-01-01"})
    actor = {"type": "intrusion-set", "spec_version": "2.1", "id": "intrusion-set--11111111-1111-4111-8111-111111111111",
             "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z", "name": "Harbour Spider"}
    public_ioc = {"type": "indicator", "spec_version": "2.1", "id": "indicator--22222222-2222-4222-8222-222222222222",
                  "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                  "name": "Public C2", "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                  "valid_from": "2024-01-01T00:00:00Z"}
    secret_ioc = {**public_ioc, "id": "indicator--33333333-3333-4333-8333-333333333333", "name": "Secret C2",
                  "pattern": "[ipv4-addr:value = '203.0.113.9']", "object_marking_refs": [TLP2_MARKINGS["amber"]]}

    def rel(n: int, source: str, kind: str, target: str, **extra: object) -> dict[str, object]:
        return {"type": "relationship", "spec_version": "2.1", "id": f"relationship--4444444{n}-4444-4444-8444-444444444444",
                "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                "relationship_type": kind, "source_ref": source, "target_ref": target, **extra}

    public = [incident, actor, public_ioc, rel(1, incident["id"], "attributed-to", actor["id"]),
              rel(2, public_ioc["id"], "indicates", incident["id"])]
    platform.writer.import_objects(iter(public), ImportReport("public"),
                                   access=platform.imports.access("CERT-A", tlp="clear"))
    platform.writer.import_objects(
        iter([secret_ioc, rel(3, secret_ioc["id"], "indicates", incident["id"],
                              object_marking_refs=[TLP2_MARKINGS["amber"]])]),
        ImportReport("secret"), access=platform.imports.access("CERT-A", tlp="amber"))
    mine = two_organisations.owner.get("/incidents/test:1").text
    theirs = two_organisations.other.get("/incidents/test:1").text
    assert '<a href="/actors/intrusion-set--11111111-1111-4111-8111-111111111111">Harbour Spider</a>' in mine
    assert "Harbour Spider" in theirs
    assert "198.51.100.7" in mine and "198.51.100.7" in theirs
    assert "203.0.113.9" in mine and "Secret C2" in mine
    assert "203.0.113.9" not in theirs and "Secret C2" not in theirs


@pytest.mark.parametrize("url", ["/incidents", "/incidents/eurepoc:1493"])
def test_pages_fetch_nothing_from_other_hosts(anonymous: TestClient, url: str) -> None:
    page = anonymous.get(url).text
    assert not re.search(r'<(?:img|script|link|iframe)[^>]+(?:src|href)="(?:https?:)?//', page)
