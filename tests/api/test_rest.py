"""The REST API: authentication, bad requests, TLP 2.0 visibility on every route, anonymity, audit, OpenAPI.

The world: organisations CERT-A (FR), CERT-B (DE) and CERT-C (IT); sharing
group EU-CSIRTs = {A, C}.  CERT-A contributes five incidents over the API:

====  ==================================  ==================
 n     marking                             who sees it
====  ==================================  ==================
 1     CLEAR                               everyone (no token too, when allowed)
 2     GREEN                               every organisation
 3     AMBER shared with EU-CSIRTs         A, C
 4     RED, recipient CERT-C               A, C
 5     AMBER, not shared                   A
====  ==================================  ==================

plus, in bundle 3, an AMBER intrusion set and an AMBER relationship from incident 2 to it.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from sqlalchemy import update

from cirx import Platform
from cirx.access.tables import ApiToken
from cirx.api.app import create_app
from cirx.model.incident import cirx_identity, extension_definition, make_incident
from tests.store import stix_samples as s

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

GROUP = "EU-CSIRTs"
ACTOR = "intrusion-set--6d3bd1a3-5b2a-4b0e-9a50-4d1c6a5c7e01"
EDGE = "relationship--6d3bd1a3-5b2a-4b0e-9a50-4d1c6a5c7e02"
VICTIM = "identity--6d3bd1a3-5b2a-4b0e-9a50-4d1c6a5c7e03"
TARGETS = "relationship--6d3bd1a3-5b2a-4b0e-9a50-4d1c6a5c7e04"
SHARING = {1: {"tlp": "clear"}, 2: {"tlp": "green"}, 3: {"tlp": "amber", "share_with": GROUP},
           4: {"tlp": "red", "recipient": "CERT-C"}, 5: {"tlp": "amber"}}
VISIBLE = {"A": {1, 2, 3, 4, 5}, "B": {1, 2}, "C": {1, 2, 3, 4}, "admin": {1, 2, 3, 4, 5}}


def incident(n: int, **ir: Any) -> dict[str, Any]:
    """Incident ``n`` of the world: RU against UA, energy sector, starting in 201n."""
    obj = make_incident(source="t", external_id=str(n), name=f"Blackout {n}", modified="2024-01-01T00:00:00.000Z",
                        description="A grid operator lost power.",
                        ir={"initiator_countries": ["RU"], "receiver_countries": ["UA"], "sectors": ["energy"],
                            "start_date": f"201{n}-03-01", **ir})
    obj.pop("created_by_ref")
    return obj


def iid(n: int) -> str:
    return str(incident(n)["id"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclasses.dataclass
class World:
    """A platform, its app client and a token per caller."""

    platform: Platform
    client: TestClient
    tokens: dict[str, str]

    def get(self, who: str, url: str, **params: Any) -> Any:
        return self.client.get(url, params=params, headers=bearer(self.tokens[who]))

    def ok(self, who: str, url: str, **params: Any) -> Any:
        response = self.get(who, url, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def post_bundle(self, who: str, objects: list[dict[str, Any]], **params: Any) -> Any:
        return self.client.post("/api/objects", params=params, content=orjson.dumps(s.bundle(*objects)),
                                headers={**bearer(self.tokens[who]), "Content-Type": "application/json"})


def make_world(platform: Platform, *, contribute: bool = True) -> World:
    """Organisations, a sharing group, tokens and (unless told not to) CERT-A's five incidents."""
    orgs = platform.organisations
    for name, country in (("CERT-A", "FR"), ("CERT-B", "DE"), ("CERT-C", "IT"), ("cirx-ops", "BE")):
        orgs.create(name, country=country, sector="government")
    orgs.create_group(GROUP, members=["CERT-A", "CERT-C"])
    # What `cirx init` loads: cirx's own identity and extension definition, contributed by the platform.
    platform.imports.stix_stream(_stream([cirx_identity(), extension_definition()]), "preamble")
    tokens = {
        "A": orgs.create_token("CERT-A", role="contributor")[0],
        "A-admin": orgs.create_token("CERT-A", role="org-admin")[0],
        "A-reader": orgs.create_token("CERT-A", role="reader")[0],
        "B": orgs.create_token("CERT-B", role="reader")[0],
        "B-admin": orgs.create_token("CERT-B", role="org-admin")[0],
        "C": orgs.create_token("CERT-C", role="reader")[0],
        "admin": orgs.create_token("cirx-ops", role="platform-admin")[0],
    }
    world = World(platform, TestClient(create_app(platform)), tokens)
    if contribute:
        for n, params in SHARING.items():
            objects = [incident(n)]
            if n == 3:
                objects += [
                    {"type": "intrusion-set", "spec_version": "2.1", "id": ACTOR, "name": "Voodoo Bear",
                     "aliases": ["Sandworm Team"], "created": "2020-01-01T00:00:00.000Z",
                     "modified": "2020-01-01T00:00:00.000Z"},
                    {"type": "relationship", "spec_version": "2.1", "id": EDGE, "relationship_type": "attributed-to",
                     "source_ref": iid(2), "target_ref": ACTOR, "created": "2020-01-01T00:00:00.000Z",
                     "modified": "2020-01-01T00:00:00.000Z"},
                ]
            response = world.post_bundle("A", objects, **params)
            assert response.status_code == 200, response.text
    return world


def _stream(objects: list[dict[str, Any]]) -> Any:
    import io

    return io.BytesIO(orjson.dumps(s.bundle(*objects)))


@pytest.fixture
def world(platform: Platform) -> Iterator[World]:
    """The world on SQLite and on PostgreSQL."""
    yield make_world(platform)


@pytest.fixture
def sqlite_world(sqlite_platform: Platform) -> Iterator[World]:
    """The world on SQLite only."""
    yield make_world(sqlite_platform)


# -- TLP 2.0 visibility, route by route ---------------------------------------------------------------------------


def test_single_objects_and_versions_follow_tlp(world: World) -> None:
    for who, visible in VISIBLE.items():
        for n in SHARING:
            expected = 200 if n in visible else 404
            assert world.get(who, f"/api/objects/{iid(n)}").status_code == expected, (who, n)
            assert world.get(who, f"/api/objects/{iid(n)}/versions").status_code == expected, (who, n)
            assert world.get(who, f"/api/incidents/t:{n}").status_code == expected, (who, n)
            assert world.get(who, f"/api/incidents/{iid(n)}").status_code == expected, (who, n)
    hidden = world.get("B", f"/api/objects/{iid(5)}").json()
    assert hidden == {"error": "Not found", "message": f"no object {iid(5)}"}
    assert world.get("C", f"/api/objects/{iid(4)}").json()["name"] == "Blackout 4"


def test_lists_searches_counts_and_statistics_follow_tlp(world: World) -> None:
    for who, visible in VISIBLE.items():
        n = len(visible)
        listed = world.ok(who, "/api/objects", type="incident")
        assert listed["total"] == n and {o["id"] for o in listed["objects"]} == {iid(i) for i in visible}, who
        incidents = world.ok(who, "/api/incidents", receiver="Ukraine", sector="energy")
        assert incidents["total"] == n and len(incidents["incidents"]) == n, who
        assert world.ok(who, "/api/incidents", q="blackout", limit=1)["total"] == n
        found = world.ok(who, "/api/search", q="Blackout", type="incident")["results"]
        assert {r["id"] for r in found} == {iid(i) for i in visible}, who
        assert world.ok(who, "/api/stats/receivers") == [{"value": "UA", "incidents": n}], who
        assert world.ok(who, "/api/stats/dyads") == [{"initiator": "RU", "receiver": "UA", "incidents": n}]
        assert [y["year"] for y in world.ok(who, "/api/stats/timeline")] == [2010 + i for i in sorted(visible)]
        later = len([i for i in visible if i >= 3])
        assert world.ok(who, "/api/stats/sectors", since="2013") == (
            [{"value": "energy", "incidents": later}] if later else []), who
        country = world.ok(who, "/api/countries/UA")
        assert country["incidents_as_receiver"] == n and country["incidents_as_initiator"] == 0, who


def test_relationships_actors_and_exports_follow_tlp(world: World) -> None:
    for who in ("A", "C", "B"):
        shared = who != "B"
        edges = world.ok(who, f"/api/objects/{iid(2)}/relationships", direction="out")["relationships"]
        assert [e["id"] for e in edges] == ([EDGE] if shared else []), who
        assert world.get(who, "/api/actors/Sandworm Team").status_code == (200 if shared else 404), who
        assert world.get(who, f"/api/objects/{ACTOR}/relationships").status_code == (200 if shared else 404)
        export = world.get(who, "/api/export/stix")
        assert export.status_code == 200 and export.headers["content-type"].startswith("application/stix+json")
        ids = {o["id"] for o in orjson.loads(export.content)["objects"]}
        assert {i for i in ids if i.startswith("incident--")} == {iid(n) for n in VISIBLE[who]}, who
        assert (ACTOR in ids) is shared and (EDGE in ids) is shared
    assert world.ok("C", "/api/actors/Voodoo Bear")["ids"] == [ACTOR]
    assert world.get("C", f"/api/objects/{iid(2)}/relationships", direction="sideways").status_code == 400


def test_without_a_token_only_clear_objects_and_only_when_the_operator_allows(sqlite_world: World) -> None:
    assert sqlite_world.client.get("/api/incidents").status_code == 401
    open_platform = Platform(dataclasses.replace(sqlite_world.platform.settings, anonymous_read=True))
    client = TestClient(create_app(open_platform))
    assert [i["id"] for i in client.get("/api/incidents").json()["incidents"]] == [iid(1)]
    assert client.get(f"/api/objects/{iid(1)}").status_code == 200
    assert client.get(f"/api/objects/{iid(2)}").status_code == 404
    assert client.get("/api/stats/receivers").json() == [{"value": "UA", "incidents": 1}]
    assert [r["id"] for r in client.get("/api/search", params={"q": "Blackout", "type": "incident"}).json()[
        "results"]] == [iid(1)]
    exported = orjson.loads(client.get("/api/export/stix").content)["objects"]
    assert {o["id"] for o in exported if o["type"] == "incident"} == {iid(1)}
    bundle = orjson.dumps(s.bundle(s.group()))
    posted = client.post("/api/objects", content=bundle, headers={"Content-Type": "application/json"})
    assert posted.status_code == 401 and "needs a token" in posted.json()["message"]
    assert client.get("/api/organisations").status_code == 401


def test_paging_and_versions(sqlite_world: World) -> None:
    page = sqlite_world.ok("A", "/api/objects", type="incident", limit=2, offset=1)
    assert page["total"] == 5 and [o["name"] for o in page["objects"]] == ["Blackout 2", "Blackout 3"]
    newer = {**incident(1), "modified": "2024-06-01T00:00:00.000Z", "name": "Blackout 1 (revised)"}
    assert sqlite_world.post_bundle("A", [newer], tlp="clear").json()["imported"] == 1
    assert sqlite_world.ok("B", f"/api/objects/{iid(1)}")["name"] == "Blackout 1 (revised)"
    old = sqlite_world.ok("B", f"/api/objects/{iid(1)}", version="2024-01-01T00:00:00.000Z")
    assert old["name"] == "Blackout 1"
    versions = sqlite_world.ok("B", f"/api/objects/{iid(1)}/versions")["versions"]
    assert [v["modified"] for v in versions] == ["2024-01-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"]
    assert sqlite_world.get("B", f"/api/objects/{iid(1)}", version="2023-01-01T00:00:00Z").status_code == 404
    assert sqlite_world.get("B", "/api/objects", limit=0).status_code == 400
    colours = sqlite_world.get("B", "/api/stats/colours")
    assert colours.status_code == 400 and "kind" in colours.json()["message"]


# -- anonymised contributions ----------------------------------------------------------------------------------------


def test_an_anonymised_contribution_never_reveals_the_contributor_or_the_victim(platform: Platform) -> None:
    world = make_world(platform, contribute=False)
    secret = {**incident(7), "description": "Acme Power was hit; ticket ACME-42",
              "external_references": [{"source_name": "acme-ticket", "external_id": "ACME-42"}]}
    victim = {"type": "identity", "spec_version": "2.1", "id": VICTIM, "name": "Acme Power",
              "identity_class": "organization", "created": "2020-01-01T00:00:00.000Z",
              "modified": "2020-01-01T00:00:00.000Z"}
    targets = {"type": "relationship", "spec_version": "2.1", "id": TARGETS, "relationship_type": "targets",
               "source_ref": secret["id"], "target_ref": VICTIM, "created": "2020-01-01T00:00:00.000Z",
               "modified": "2020-01-01T00:00:00.000Z"}
    report = world.post_bundle("A", [secret, victim, targets], tlp="green", anonymous="true")
    assert report.status_code == 200, report.text
    org_a = platform.organisations.get("CERT-A")
    tell_tales = ("CERT-A", org_a.identity_ref, "Acme", "ACME-42", "owner_org", '"anonymous"')

    stored = world.ok("B", f"/api/objects/{secret['id']}")
    pseudonym_ref = stored["created_by_ref"]
    assert stored["name"] == "Anonymised incident (energy; UA)"
    assert world.ok("B", f"/api/objects/{pseudonym_ref}")["name"] == org_a.pseudonym
    assert world.get("B", f"/api/objects/{VICTIM}").status_code == 404
    assert world.get("B", f"/api/objects/{TARGETS}").status_code == 404
    assert world.get("B", "/api/incidents/acme-ticket:ACME-42").status_code == 404
    assert world.ok("B", "/api/search", q="Acme")["results"] == []
    for url, params in (
        (f"/api/objects/{secret['id']}", {}), (f"/api/incidents/{secret['id']}", {}), ("/api/incidents", {}),
        ("/api/objects", {}), ("/api/objects", {"type": "identity"}), ("/api/export/stix", {}),
        (f"/api/objects/{secret['id']}/relationships", {}), ("/api/stats/sectors", {}),
    ):
        text = world.get("B", url, **params).text
        assert not [t for t in tell_tales if t in text], (url, [t for t in tell_tales if t in text])
    organisations = world.ok("B", "/api/organisations")["organisations"]
    assert {"name": "CERT-A", "country": "FR", "sector": "government"} in organisations
    assert org_a.pseudonym not in str(organisations)
    admin_view = world.ok("admin", "/api/organisations")["organisations"]
    assert {o["name"]: o["pseudonym"] for o in admin_view}["CERT-A"] == org_a.pseudonym


# -- authentication and roles ------------------------------------------------------------------------------------------


def test_missing_unknown_revoked_and_expired_tokens_are_401_with_a_clear_message(sqlite_world: World) -> None:
    client, platform = sqlite_world.client, sqlite_world.platform

    def message(headers: dict[str, str]) -> str:
        response = client.get("/api/incidents", headers=headers)
        assert response.status_code == 401, response.text
        return str(response.json()["message"])

    assert "no token given" in message({})
    assert "no token given" in message({"Authorization": "Basic dXNlcjpwYXNz"})
    assert message(bearer("cirx_not-a-real-token")) == "unknown token"
    token, details = platform.organisations.create_token("CERT-B", user="leaver")
    assert client.get("/api/incidents", headers=bearer(token)).status_code == 200
    revoked = client.delete(f"/api/tokens/{details['prefix']}", headers=bearer(sqlite_world.tokens["B-admin"]))
    assert revoked.status_code == 200 and revoked.json()["revoked"] == 1
    assert message(bearer(token)) == "this token was revoked"
    expired, _ = platform.organisations.create_token("CERT-B", user="old")
    with platform.engine.begin() as connection:
        connection.execute(update(ApiToken).where(ApiToken.prefix == expired[:12])
                           .values(expires_at="2000-01-01T00:00:00.000Z"))
    assert message(bearer(expired)) == "this token has expired"


def test_a_reader_may_not_import(sqlite_world: World) -> None:
    response = sqlite_world.post_bundle("B", [s.group()])
    assert response.status_code == 403
    assert response.json() == {"error": "Forbidden", "message": "importing objects needs the contributor role"}
    assert sqlite_world.get("A", f"/api/objects/{s.GROUP}").status_code == 404


def test_sharing_with_a_group_one_is_not_in_or_an_unknown_recipient_is_refused(sqlite_world: World) -> None:
    sqlite_world.platform.organisations.create_group("NATO-CERTs", members=["CERT-B"])
    refused = sqlite_world.post_bundle("A", [s.group()], share_with="NATO-CERTs")
    assert refused.status_code == 403 and "NATO-CERTs" in refused.json()["message"]
    unknown = sqlite_world.post_bundle("A", [s.group()], tlp="red", recipient="CERT-Z")
    assert unknown.status_code == 404 and "CERT-Z" in unknown.json()["message"]
    bad_tlp = sqlite_world.post_bundle("A", [s.group()], tlp="purple")
    assert bad_tlp.status_code == 400 and "unknown TLP level 'purple'" in bad_tlp.json()["message"]
    assert sqlite_world.get("admin", f"/api/objects/{s.GROUP}").status_code == 404


# -- bad requests -------------------------------------------------------------------------------------------------------


@pytest.fixture
def strict_world(sqlite_platform: Platform) -> World:
    """A world whose platform takes at most 3 objects and 4000 bytes per request."""
    limited = Platform(dataclasses.replace(sqlite_platform.settings, max_request_bytes=4000, max_bundle_objects=3))
    return make_world(limited.init(), contribute=False)


def post_raw(world: World, body: Any, content_type: str | None = "application/json") -> Any:
    headers = bearer(world.tokens["A"])
    if content_type:
        headers["Content-Type"] = content_type
    return world.client.post("/api/objects", content=body, headers=headers)


def test_bad_requests_are_named_and_write_nothing(strict_world: World) -> None:
    def count() -> int:
        return int(strict_world.ok("admin", "/api/objects")["total"])

    before = count()
    malformed = post_raw(strict_world, b'{"type": "bundle", "objects": [{"type": "intrusion-set",')
    assert malformed.status_code == 400 and "bad JSON" in malformed.json()["message"], malformed.text
    not_json = post_raw(strict_world, b'{"type": "bundle", oops}')
    assert not_json.status_code == 400 and "bad JSON" in not_json.json()["message"]
    array = post_raw(strict_world, b"[1, 2]")
    assert array.status_code == 400 and "not a STIX bundle" in array.json()["message"]

    wrong_type = post_raw(strict_world, orjson.dumps(s.bundle(s.group())), "text/plain")
    assert wrong_type.status_code == 415 and "application/json" in wrong_type.json()["message"]
    assert post_raw(strict_world, orjson.dumps(s.bundle(s.group())), None).status_code == 415

    large = orjson.dumps(s.bundle(s.group(description="x" * 5000)))
    too_large = post_raw(strict_world, large)
    assert too_large.status_code == 413 and "limit of 4000 bytes" in too_large.json()["message"]
    chunked = post_raw(strict_world, iter([large[:3000], large[3000:]]))
    assert chunked.status_code == 413 and "limit of 4000 bytes" in chunked.json()["message"]

    many = s.small_world()[1:5]
    too_many = post_raw(strict_world, orjson.dumps(s.bundle(*many)))
    assert too_many.status_code == 413
    assert too_many.json()["message"].startswith("the bundle has more than 3 objects")

    invalid = post_raw(strict_world, orjson.dumps(s.bundle(s.small_world()[1], s.group(created_by_ref="identity--bad"))))
    assert invalid.status_code == 400
    message = invalid.json()["message"]
    assert s.GROUP in message and "created_by_ref" in message and "nothing imported" in message
    assert count() == before
    assert strict_world.get("admin", f"/api/objects/{s.TECHNIQUE}").status_code == 404

    fine = post_raw(strict_world, orjson.dumps(s.bundle(s.group())), "application/stix+json;version=2.1")
    assert fine.status_code == 200 and fine.json()["imported"] >= 1
    assert strict_world.get("B", "/api/search").status_code == 400  # q is required


# -- tokens, organisations, sharing groups ---------------------------------------------------------------------------


def test_tokens_are_issued_by_org_admins_for_their_own_organisation(sqlite_world: World) -> None:
    client, tokens = sqlite_world.client, sqlite_world.tokens

    def issue(who: str, **body: Any) -> Any:
        return client.post("/api/tokens", json=body, headers=bearer(tokens[who]))

    issued = issue("A-admin", role="contributor", user="analyst")
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["organisation"] == "CERT-A" and issued.json()["prefix"] == token[:12]
    assert sqlite_world.post_bundle("A", [s.group()]).status_code == 200
    assert client.get(f"/api/objects/{s.GROUP}", headers=bearer(token)).status_code == 200
    assert issue("A-admin", organisation="CERT-B").status_code == 403
    assert issue("A-admin", role="platform-admin").status_code == 403
    assert issue("A", role="reader").status_code == 403
    assert issue("admin", organisation="CERT-B", role="org-admin").status_code == 201
    assert issue("admin", organisation="CERT-A", role="platform-admin", user="root").status_code == 201
    demote = issue("A-admin", role="reader", user="root")
    assert demote.status_code == 403 and "platform administrator" in demote.json()["message"]
    assert issue("A-admin", role="superuser").status_code == 400
    assert issue("A-admin", expires_days=0).status_code == 400
    # B's administrator cannot revoke A's token (nor learn it exists); A's can; anyone can revoke its own.
    assert client.delete(f"/api/tokens/{token[:12]}", headers=bearer(tokens["B-admin"])).status_code == 404
    assert client.delete(f"/api/tokens/{token[:12]}", headers=bearer(tokens["A-admin"])).status_code == 200
    assert client.delete(f"/api/tokens/{token[:12]}", headers=bearer(tokens["A-admin"])).status_code == 404
    own = tokens["C"]
    assert client.delete(f"/api/tokens/{own[:12]}", headers=bearer(own)).status_code == 200
    assert client.get("/api/incidents", headers=bearer(own)).status_code == 401
    assert token not in str(sqlite_world.ok("admin", "/api/organisations"))


def test_organisations_are_created_by_platform_admins_and_listed_without_secrets(sqlite_world: World) -> None:
    client, tokens = sqlite_world.client, sqlite_world.tokens
    body = {"name": "CERT-EE", "country": "EE", "sector": "government", "default_tlp": "green"}
    assert client.post("/api/organisations", json=body, headers=bearer(tokens["A-admin"])).status_code == 403
    created = client.post("/api/organisations", json=body, headers=bearer(tokens["admin"]))
    assert created.status_code == 201 and created.json()["default_tlp"] == "green"
    duplicate = client.post("/api/organisations", json=body, headers=bearer(tokens["admin"]))
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["message"]
    bad = client.post("/api/organisations", json={**body, "name": "X", "country": "Atlantis"},
                      headers=bearer(tokens["admin"]))
    assert bad.status_code == 400 and "Atlantis" in bad.json()["message"]
    listed = sqlite_world.ok("B", "/api/organisations")["organisations"]
    assert {"name": "CERT-EE", "country": "EE", "sector": "government"} in listed
    assert all(set(o) == {"name", "country", "sector"} for o in listed)


def test_sharing_groups_are_listed_to_their_members(sqlite_world: World) -> None:
    expected = [{"name": GROUP, "members": ["CERT-A", "CERT-C"]}]
    for who, groups in (("A", expected), ("C", expected), ("B", []), ("admin", expected)):
        listed = sqlite_world.ok(who, "/api/sharing-groups")["sharing_groups"]
        assert [{"name": g["name"], "members": g["members"]} for g in listed] == groups, who


# -- audit ---------------------------------------------------------------------------------------------------------------


def test_reads_searches_and_exports_are_audited_for_the_owner_org_admin(sqlite_world: World) -> None:
    sqlite_world.ok("B", f"/api/objects/{iid(2)}")
    sqlite_world.ok("C", "/api/search", q="Blackout")
    assert sqlite_world.get("B", "/api/export/stix").status_code == 200
    events = sqlite_world.ok("A-admin", "/api/audit")["events"]
    seen = {(e["organisation"], e["action"], e["stix_id"]) for e in events}
    assert ("CERT-B", "read", iid(2)) in seen
    assert ("CERT-C", "search", iid(4)) in seen
    assert ("CERT-B", "export", iid(1)) in seen and ("CERT-B", "export", iid(5)) not in seen
    assert {e["owner"] for e in events} == {"CERT-A"}
    assert sqlite_world.ok("A-admin", "/api/audit", action="export", limit=1)["events"][0]["action"] == "export"
    assert [e for e in sqlite_world.ok("B-admin", "/api/audit")["events"] if e["owner"] == "CERT-A"] == []
    assert sqlite_world.get("A-reader", "/api/audit").status_code == 403
    assert len(sqlite_world.ok("admin", "/api/audit", limit=10000)["events"]) > len(events)


# -- OpenAPI -------------------------------------------------------------------------------------------------------------


def test_the_openapi_document_lists_every_route_with_a_summary(sqlite_platform: Platform) -> None:
    client = TestClient(create_app(sqlite_platform))
    document = client.get("/openapi.json").json()
    operations = {(method.upper(), path): op for path, ops in document["paths"].items()
                  for method, op in ops.items() if path.startswith("/api/")}
    expected = {
        ("GET", "/api/objects"), ("POST", "/api/objects"), ("GET", "/api/objects/{stix_id}"),
        ("GET", "/api/objects/{stix_id}/versions"), ("GET", "/api/objects/{stix_id}/relationships"),
        ("GET", "/api/search"), ("GET", "/api/incidents"), ("GET", "/api/incidents/{reference}"),
        ("GET", "/api/actors/{name}"), ("GET", "/api/countries/{iso}"), ("GET", "/api/stats/{kind}"),
        ("GET", "/api/export/stix"), ("GET", "/api/organisations"), ("POST", "/api/organisations"),
        ("POST", "/api/tokens"), ("DELETE", "/api/tokens/{prefix}"), ("GET", "/api/sharing-groups"),
        ("GET", "/api/audit"),
    }
    assert expected <= set(operations)
    assert all(op.get("summary") for op in operations.values())
    assert "413" in operations[("POST", "/api/objects")]["responses"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
