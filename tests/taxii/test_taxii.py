"""The TAXII 2.1 server, served by uvicorn on 127.0.0.1 and driven by taxii2-client (and httpx for headers).

One server for the module, on a SQLite store holding 10,000 TLP:GREEN
indicators POSTed by CERT-A; each test adds the few objects it needs with
its own ids, so tests do not depend on each other's order.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import requests
import uvicorn
from sqlalchemy import func, select
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from cirx import Platform, Settings
from cirx.access.policy import Principal, visible_clause
from cirx.access.tables import AuditEvent
from cirx.access.tlp import TLP2_MARKINGS
from cirx.api.app import create_app
from cirx.store.schema import StixObject
from cirx.taxii import collections
from cirx.taxii.queries import Filters, page_sql

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from synth import indicator

TAXII = "application/taxii+json;version=2.1"
BULK = 10_000
GREEN = TLP2_MARKINGS["green"]


class Bearer(requests.auth.AuthBase):
    """``Authorization: Bearer TOKEN`` for taxii2-client (requests)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class Env:
    """The running server, its platform, and one token per role used below."""

    platform: Platform
    url: str
    tokens: dict[str, str]
    bulk_ids: list[str]

    @property
    def root(self) -> str:
        return f"{self.url}/taxii2/cirx/"

    def collection(self, who: str, alias: str) -> Collection:
        api_root = ApiRoot(self.root, auth=Bearer(self.tokens[who]))
        for found in api_root.collections:
            if found.alias == alias:
                return found
        raise LookupError(alias)

    def http(self, who: str | None) -> httpx.Client:
        headers = {"Accept": TAXII}
        if who:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return httpx.Client(base_url=self.root, headers=headers, timeout=30)

    def stored(self) -> int:
        with self.platform.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(StixObject)).scalar() or 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_indicator(name: str, **extra: Any) -> dict[str, Any]:
    """A fresh indicator with its own id."""
    obj = {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
           "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z", "name": name,
           "pattern_type": "stix", "pattern": "[ipv4-addr:value = '198.51.100.7']",
           "valid_from": "2025-01-01T00:00:00Z"}
    obj.update(extra)
    return obj


@contextlib.contextmanager
def serving(platform: Platform) -> Iterator[str]:
    """Serve ``platform`` with uvicorn on a free port of 127.0.0.1 in a background thread; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(platform), host="127.0.0.1", port=_free_port(),
                                           log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the TAXII server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _members(platform: Platform) -> dict[str, str]:
    """Organisations CERT-A (amber), CERT-B (green), CERT-C (amber); A and B share a group; their tokens."""
    orgs = platform.organisations
    orgs.create("CERT-A", default_tlp="amber")
    orgs.create("CERT-B", default_tlp="green")
    orgs.create("CERT-C", default_tlp="amber")
    orgs.create_group("CSIRTs Network", members=["CERT-A", "CERT-B"])
    tokens = {
        "a": orgs.create_token("CERT-A", role="contributor")[0],
        "b": orgs.create_token("CERT-B", role="contributor")[0],
        "b_reader": orgs.create_token("CERT-B", role="reader", user="analyst@b")[0],
        "c": orgs.create_token("CERT-C", role="reader")[0],
        "revoked": orgs.create_token("CERT-A", role="reader", user="gone@a")[0],
    }
    orgs.revoke_token(tokens["revoked"])
    return tokens


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("taxii")
    settings = Settings(database_url=f"sqlite:///{tmp / 'cirx.db'}", data_dir=tmp, max_request_bytes=4 << 20,
                        max_bundle_objects=3000, max_object_bytes=64 << 10)
    platform = Platform(settings).init()
    tokens = _members(platform)
    with serving(platform) as url:
        environment = Env(platform, url, tokens, [])
        shared = environment.collection("a", "shared")
        for start in range(0, BULK, 2500):
            chunk = [dict(indicator(i), object_marking_refs=[GREEN]) for i in range(start, start + 2500)]
            status = shared.add_objects({"objects": chunk})
            assert status.status == "complete" and status.success_count == 2500, status.failures[:3]
            environment.bulk_ids += [str(obj["id"]) for obj in chunk]
        yield environment
    platform.close()


# -- discovery, collections ------------------------------------------------------------------------------


def test_discovery_api_root_and_collections(env: Env) -> None:
    server = Server(f"{env.url}/taxii2/", auth=Bearer(env.tokens["a"]))
    assert server.title and server.default is not None
    [api_root] = server.api_roots
    assert api_root.url == env.root
    assert api_root.versions == [TAXII]
    assert api_root.max_content_length == env.platform.settings.max_request_bytes
    by_alias = {c.alias: c for c in api_root.collections}
    assert set(by_alias) == {"shared", "community", "organisation", "group-csirts-network"}
    assert by_alias["shared"].id == str(uuid.uuid5(collections.NAMESPACE, "shared"))
    assert by_alias["group-csirts-network"].id == collections.collection_id("group:CSIRTs Network")
    assert by_alias["shared"].can_write and by_alias["group-csirts-network"].can_write
    assert not by_alias["community"].can_write and not by_alias["organisation"].can_write
    assert all(c.can_read and c.media_types == ["application/stix+json;version=2.1"] for c in by_alias.values())
    # CERT-C is in no group; a reader may write nowhere.
    seen_by_c = {c.alias: c for c in ApiRoot(env.root, auth=Bearer(env.tokens["c"])).collections}
    assert set(seen_by_c) == {"shared", "community", "organisation"}
    assert not any(c.can_write for c in seen_by_c.values())
    assert seen_by_c["organisation"].id != by_alias["organisation"].id
    one = env.collection("b", "shared")
    assert one.title == by_alias["shared"].title


# -- adding objects ----------------------------------------------------------------------------------------


def test_add_bundle_and_poll_status(env: Env) -> None:
    objects = [new_indicator("pushed one"), new_indicator("pushed two"), new_indicator("pushed three")]
    status = env.collection("a", "shared").add_objects({"objects": objects})
    assert (status.status, status.total_count, status.success_count, status.failure_count) == ("complete", 3, 3, 0)
    assert [(s["id"], s["version"]) for s in status.successes] == [(o["id"], o["modified"]) for o in objects]
    api_root = ApiRoot(env.root, auth=Bearer(env.tokens["a"]))
    again = api_root.get_status(status.id)
    assert again.status == "complete" and again.success_count == 3
    status.refresh()  # the URL taxii2-client builds itself (no trailing slash)
    assert status.success_count == 3
    # Another organisation does not see the status.
    with env.http("c") as client:
        response = client.get(f"status/{status.id}/")
    assert response.status_code == 404 and response.json()["http_status"] == "404"
    # One push event for CERT-A, the owner of what was stored, to find in its audit trail.
    org_a = env.platform.organisations.get("CERT-A").id
    with env.platform.engine.connect() as connection:
        pushed = connection.execute(select(AuditEvent.owner_org, AuditEvent.detail).where(
            AuditEvent.action == "push")).all()
    assert (org_a, {"taxii": "add", "collection": "shared", "status": status.id, "ids": [o["id"] for o in objects]}
            ) in [(owner, orjson.loads(detail)) for owner, detail in pushed]


def test_cyber_observables_round_trip(env: Env) -> None:
    ip = {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--8f3a1c7e-2b6d-5e4f-9a0b-1c2d3e4f5a6b",
          "value": "192.0.2.77", "object_marking_refs": [GREEN]}
    status = env.collection("a", "shared").add_objects({"objects": [ip]})
    assert (status.status, status.success_count) == ("complete", 1)
    reader = env.collection("c", "community")
    assert reader.get_object(ip["id"])["objects"] == [ip]
    [record] = reader.get_manifest(id=ip["id"])["objects"]
    assert record["version"] == record["date_added"]  # no modified: the version is when it was added
    assert [o["id"] for o in reader.get_objects(type="ipv4-addr")["objects"]] == [ip["id"]]


def test_rejected_object_rejects_the_whole_envelope(env: Env) -> None:
    good, bad = new_indicator("fine"), new_indicator("broken", pattern="[ipv4-addr:value = ")
    before = env.stored()
    status = env.collection("a", "shared").add_objects({"objects": [good, bad]})
    assert (status.status, status.success_count, status.failure_count) == ("complete", 0, 2)
    messages = {f["id"]: f["message"] for f in status.failures}
    assert "pattern" in messages[bad["id"]] and "whole or not at all" in messages[good["id"]]
    assert env.stored() == before


# -- paging ------------------------------------------------------------------------------------------------


def test_page_through_10000_objects_with_added_after(env: Env) -> None:
    seen: list[str] = []
    after: str | None = None
    pages = 0
    with env.http("b") as client:
        while True:
            params = {"limit": "1000", "match[type]": "indicator"}
            if after:
                params["added_after"] = after
            response = client.get(f"collections/{collections.SHARED_ID}/objects/", params=params)
            assert response.status_code == 200
            assert response.headers["content-type"] == TAXII
            envelope = response.json()
            objects = envelope.get("objects", [])
            if not objects:
                assert envelope["more"] is False
                break
            pages += 1
            first, last = response.headers["X-TAXII-Date-Added-First"], response.headers["X-TAXII-Date-Added-Last"]
            assert first <= last and (after is None or first > after)
            seen += [o["id"] for o in objects]
            after = last
    assert len(seen) == len(set(seen))
    assert set(env.bulk_ids) <= set(seen)
    assert [i for i in seen if i in set(env.bulk_ids)] == env.bulk_ids  # date-added order
    assert 10 <= pages <= 12


def test_as_pages_objects_and_manifest(env: Env) -> None:
    shared = env.collection("b", "shared")
    ids: list[str] = []
    envelopes = 0
    for envelope in as_pages(shared.get_objects, per_request=1000, type="indicator"):
        envelopes += 1
        ids += [o["id"] for o in envelope.get("objects", [])]
    assert envelopes >= 10 and len(ids) == len(set(ids)) and set(env.bulk_ids) <= set(ids)
    records = [r for page in as_pages(shared.get_manifest, per_request=5000) for r in page.get("objects", [])]
    bulk = set(env.bulk_ids)
    mine = [r for r in records if r["id"] in bulk]
    assert len(mine) == BULK
    assert mine[0]["version"] == "2024-03-01T12:00:00.000Z"
    assert mine[0]["media_type"] == "application/stix+json;version=2.1"
    assert all(a["date_added"] < b["date_added"] for a, b in itertools.pairwise(mine))
    # A limit over the server's maximum is lowered to it.
    with env.http("b") as client:
        big = client.get(f"collections/{collections.SHARED_ID}/manifest/", params={"limit": "1000000"}).json()
    assert len(big["objects"]) == 10_000  # at least 10,000 are visible; the server's maximum page is 10,000


def test_next_and_added_after_agree(env: Env) -> None:
    shared = env.collection("b", "shared")
    first = shared.get_objects(limit=100, type="indicator")
    assert first["more"] is True and first["next"]
    second = shared.get_objects(limit=100, type="indicator", next=first["next"])
    assert {o["id"] for o in first["objects"]}.isdisjoint(o["id"] for o in second["objects"])
    assert len(second["objects"]) == 100


# -- filters, single objects, versions ---------------------------------------------------------------------


def test_match_filters_single_object_and_versions(env: Env) -> None:
    shared = env.collection("a", "shared")
    v1 = new_indicator("versioned", object_marking_refs=[GREEN])
    v2 = dict(v1, modified="2025-02-01T00:00:00.000Z", name="versioned, second edition")
    other = new_indicator("plain", object_marking_refs=[GREEN])
    assert shared.add_objects({"objects": [v1, other]}).success_count == 2
    assert shared.add_objects({"objects": [v2]}).success_count == 1
    reader = env.collection("b", "shared")

    def names(envelope: dict[str, Any]) -> list[str]:
        return [o["name"] for o in envelope.get("objects", [])]

    assert names(reader.get_object(v1["id"])) == ["versioned, second edition"]
    assert names(reader.get_object(v1["id"], version="all")) == ["versioned", "versioned, second edition"]
    assert names(reader.get_object(v1["id"], version="first")) == ["versioned"]
    assert names(reader.get_object(v1["id"], version="2025-01-01T00:00:00Z")) == ["versioned"]
    assert names(reader.get_object(v1["id"], version="first,last")) == ["versioned", "versioned, second edition"]
    assert reader.object_versions(v1["id"])["versions"] == ["2025-01-01T00:00:00.000Z", "2025-02-01T00:00:00.000Z"]
    both = reader.get_objects(id=[v1["id"], other["id"]])
    assert sorted(names(both)) == ["plain", "versioned, second edition"]
    assert len(reader.get_objects(id=[v1["id"]], version="all")["objects"]) == 2
    manifest = reader.get_manifest(id=v1["id"])["objects"]
    assert [(m["id"], m["version"]) for m in manifest] == [(v1["id"], "2025-02-01T00:00:00.000Z")]
    assert "objects" not in reader.get_objects(id=v1["id"], spec_version="2.0")
    assert names(reader.get_objects(id=v1["id"], spec_version="2.1")) == ["versioned, second edition"]
    identities = shared.get_objects(type="identity", limit=50)
    assert identities.get("objects") and all(o["type"] == "identity" for o in identities["objects"])
    unknown = f"indicator--{uuid.uuid4()}"
    with pytest.raises(requests.HTTPError) as missing:
        reader.get_object(unknown)
    assert missing.value.response.status_code == 404
    with pytest.raises(requests.HTTPError) as missing_versions:
        reader.object_versions(unknown)
    assert missing_versions.value.response.status_code == 404


# -- visibility ------------------------------------------------------------------------------------------


def _manifest_ids(collection: Collection) -> set[str]:
    return {r["id"] for page in as_pages(collection.get_manifest, per_request=10_000) for r in page.get("objects", [])}


def test_amber_object_is_invisible_to_other_organisations(env: Env) -> None:
    secret = new_indicator("CERT-A only")  # no marking: CERT-A's default, TLP:AMBER, shared with nobody
    status = env.collection("a", "shared").add_objects({"objects": [secret]})
    assert status.success_count == 1
    for who in ("b", "c"):
        shared = env.collection(who, "shared")
        assert "objects" not in shared.get_objects(id=secret["id"])
        assert "objects" not in shared.get_manifest(id=secret["id"])
        assert secret["id"] not in _manifest_ids(shared)
        for call in (shared.get_object, shared.object_versions):
            with pytest.raises(requests.HTTPError) as refused:
                call(secret["id"])
            assert refused.value.response.status_code == 404
    assert env.collection("a", "shared").get_object(secret["id"])["objects"][0]["name"] == "CERT-A only"
    assert secret["id"] in _manifest_ids(env.collection("a", "organisation"))
    assert secret["id"] not in _manifest_ids(env.collection("a", "community"))
    assert secret["id"] not in _manifest_ids(env.collection("b", "organisation"))
    community = _manifest_ids(env.collection("c", "community"))
    assert set(env.bulk_ids) <= community


def test_sharing_group_collection(env: Env) -> None:
    from_a = new_indicator("for the network, from A")
    status = env.collection("a", "group-csirts-network").add_objects({"objects": [from_a]})
    assert status.success_count == 1
    group_b = env.collection("b", "group-csirts-network")
    assert [o["id"] for o in group_b.get_objects(id=from_a["id"])["objects"]] == [from_a["id"]]
    assert group_b.get_object(from_a["id"])["objects"][0]["object_marking_refs"] == [TLP2_MARKINGS["amber"]]
    assert "objects" in env.collection("b", "shared").get_objects(id=from_a["id"])
    # CERT-C is not a member: no such collection for it, and nothing in its shared view.
    with env.http("c") as client:
        response = client.get(f"collections/{group_b.id}/objects/")
    assert response.status_code == 404 and response.json()["http_status"] == "404"
    assert "objects" not in env.collection("c", "shared").get_objects(id=from_a["id"])
    # B contributes back to the group; the group view holds only what was shared with the group.
    from_b = new_indicator("for the network, from B")
    assert group_b.add_objects({"objects": [from_b]}).success_count == 1
    group_ids = _manifest_ids(env.collection("a", "group-csirts-network"))
    assert {from_a["id"], from_b["id"]} <= group_ids and not set(env.bulk_ids) & group_ids


def test_reads_are_audited_for_the_owner(env: Env) -> None:
    community = env.collection("c", "community")
    envelope = community.get_objects(limit=5)
    community.get_object(env.bulk_ids[7])
    pulled = [o["id"] for o in envelope["objects"]]
    orgs = env.platform.organisations
    org_a, org_c = orgs.get("CERT-A").id, orgs.get("CERT-C").id
    with env.platform.engine.connect() as connection:
        events = connection.execute(select(AuditEvent.action, AuditEvent.stix_id, AuditEvent.owner_org,
                                           AuditEvent.detail).where(AuditEvent.org_id == org_c)).all()
    pulls = [(owner, orjson.loads(detail)) for action, _, owner, detail in events if action == "pull"]
    assert (org_a, {"taxii": "objects", "collection": "community", "ids": pulled}) in pulls
    assert ("read", env.bulk_ids[7], org_a) in [(action, stix_id, owner) for action, stix_id, owner, _ in events]
    # CERT-A's org admin finds CERT-C's pull of CERT-A's objects in its own audit trail; CERT-C's admin
    # does not (they are not CERT-C's objects).
    admin_a = orgs.authenticate(orgs.create_token("CERT-A", role="org-admin", user="admin@a")[0])
    admin_c = orgs.authenticate(orgs.create_token("CERT-C", role="org-admin", user="admin@c")[0])

    def pulled_ids(admin: Principal) -> set[tuple[int | None, str]]:
        return {(e["org_id"], i) for e in env.platform.audit.events(admin, action="pull", limit=5000)
                for i in orjson.loads(e["detail"]).get("ids", [])}

    assert {(org_c, i) for i in pulled} <= pulled_ids(admin_a)
    assert not {i for _, i in pulled_ids(admin_c)} & set(pulled)


# -- bad requests ------------------------------------------------------------------------------------------


def _taxii_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/taxii+json")
    body = response.json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]


def _envelope(objects: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"objects": objects})


@pytest.mark.parametrize(("case", "status"), [
    ("malformed JSON", 400), ("not an envelope", 400), ("wrong media type", 415), ("TAXII 2.0 media type", 415),
    ("object over size", 413), ("too many objects", 413), ("body over limit", 413),
    ("streamed body over limit", 413), ("unknown collection", 404), ("no token", 401),
    ("revoked token", 401), ("unknown token", 401), ("reader", 403), ("read-only collection", 403),
])
def test_bad_posts_are_refused_and_write_nothing(env: Env, case: str, status: int) -> None:
    body, content_type, who, target = _envelope([new_indicator("x")]), TAXII, "a", collections.SHARED_ID
    headers: dict[str, str] = {}
    if case == "malformed JSON":
        body = b'{"objects": [{"type": "indicator",'
    elif case == "not an envelope":
        body = b'[{"type": "indicator"}]'
    elif case == "wrong media type":
        content_type = "application/json"
    elif case == "TAXII 2.0 media type":
        content_type = "application/taxii+json;version=2.0"
    elif case == "object over size":
        body = _envelope([new_indicator("big", description="x" * (70 << 10))])
    elif case == "too many objects":
        body = _envelope([new_indicator(f"n{i}") for i in range(3001)])
    elif case == "body over limit":
        body = _envelope([new_indicator("padded", description="y" * (30 << 10)) for _ in range(150)])
    elif case == "unknown collection":
        target = str(uuid.uuid4())
    elif case == "no token":
        who = None
    elif case in ("revoked token", "reader"):
        who = {"revoked token": "revoked", "reader": "b_reader"}[case]
    elif case == "unknown token":
        who, headers = None, {"Authorization": "Bearer cirx_not-a-token"}
    elif case == "read-only collection":
        target = collections.COMMUNITY_ID
    content: Any = body
    if case == "streamed body over limit":
        big = _envelope([new_indicator("streamed", description="z" * (30 << 10)) for _ in range(150)])
        content = (big[i:i + 65536] for i in range(0, len(big), 65536))
    before = env.stored()
    with env.http(who) as client:
        response = client.post(f"collections/{target}/objects/", content=content,
                               headers={"Content-Type": content_type, **headers})
    _taxii_error(response, status)
    assert env.stored() == before


@pytest.mark.parametrize(("path", "params", "headers", "status"), [
    ("collections/{shared}/objects/", {"limit": "0"}, {}, 400),
    ("collections/{shared}/objects/", {"limit": "many"}, {}, 400),
    ("collections/{shared}/objects/", {"next": "bm90LW91cnM"}, {}, 400),
    ("collections/{shared}/objects/", {"added_after": "yesterday"}, {}, 400),
    ("collections/{shared}/manifest/", {"match[version]": "newest"}, {}, 400),
    ("collections/{shared}/objects/", {}, {"Accept": "application/xml"}, 406),
    ("collections/{shared}/objects/", {}, {"Accept": "application/taxii+json;version=2.0"}, 406),
    ("collections/{unknown}/", {}, {}, 404),
    ("collections/{unknown}/manifest/", {}, {}, 404),
    ("status/{unknown}/", {}, {}, 404),
    ("", {}, {"Authorization": "Bearer nope"}, 401),
])
def test_bad_reads(env: Env, path: str, params: dict[str, str], headers: dict[str, str], status: int) -> None:
    with env.http("b") as client:
        response = client.get(path.format(shared=collections.SHARED_ID, unknown=uuid.uuid4()), params=params,
                              headers=headers)
    _taxii_error(response, status)


def test_delete_is_not_offered(env: Env) -> None:
    with env.http("a") as client:
        response = client.delete(f"collections/{collections.SHARED_ID}/objects/{env.bulk_ids[0]}/")
    _taxii_error(response, 405)
    assert env.collection("a", "shared").get_object(env.bulk_ids[0])["objects"]


def test_stix_media_type_is_accepted_both_ways(env: Env) -> None:
    stix = "application/stix+json;version=2.1"
    obj = new_indicator("as STIX", object_marking_refs=[GREEN])
    with env.http("a") as client:
        posted = client.post(f"collections/{collections.SHARED_ID}/objects/", content=_envelope([obj]),
                             headers={"Content-Type": stix})
        assert posted.status_code == 202 and posted.json()["success_count"] == 1
        read = client.get(f"collections/{collections.SHARED_ID}/objects/{obj['id']}/", headers={"Accept": stix})
    assert read.status_code == 200 and read.headers["content-type"] == stix
    assert read.json()["objects"][0]["id"] == obj["id"]


# -- the page query ----------------------------------------------------------------------------------------


def test_page_query_is_an_index_scan_on_added_seq(env: Env) -> None:
    platform = env.platform
    principal = platform.authenticate(env.tokens["b"])
    scopes = {s.alias: s for s in collections.scopes(platform, principal)}
    with platform.engine.connect() as connection:
        for alias in ("shared", "community", "group-csirts-network"):
            scoped = collections.condition(scopes[alias], "sqlite")
            where = [c for c in (scoped, visible_clause(principal)) if c is not None]
            for filters in (Filters(), Filters(types=("indicator",), after_seq=5000), Filters(versions=("first",))):
                sql = page_sql(connection, [StixObject.doc], where, filters)
                plan = " | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
                assert "USING INDEX ix_stix_objects_added" in plan, plan
                assert "TEMP B-TREE" not in plan, plan


# -- PostgreSQL ------------------------------------------------------------------------------------------


def test_round_trip_on_postgresql(postgres_platform: Platform) -> None:
    """The same endpoints on PostgreSQL: POST, paging by next and by added_after, filters, visibility."""
    tokens = _members(postgres_platform)
    with serving(postgres_platform) as url:
        env = Env(postgres_platform, url, tokens, [])
        green = [dict(indicator(i), object_marking_refs=[GREEN]) for i in range(250)]
        assert env.collection("a", "shared").add_objects({"objects": green}).success_count == 250
        secret = new_indicator("CERT-A only")
        assert env.collection("a", "shared").add_objects({"objects": [secret]}).success_count == 1
        to_group = new_indicator("for the network")
        assert env.collection("a", "group-csirts-network").add_objects({"objects": [to_group]}).success_count == 1
        shared_b = env.collection("b", "shared")
        paged = [o["id"] for e in as_pages(shared_b.get_objects, per_request=100, type="indicator")
                 for o in e.get("objects", [])]
        assert paged == [o["id"] for o in green] + [to_group["id"]]
        by_date, after = [], None
        with env.http("b") as client:
            while True:
                params = {"limit": "100", **({"added_after": after} if after else {})}
                response = client.get(f"collections/{collections.SHARED_ID}/manifest/", params=params)
                if not response.json().get("objects"):
                    break
                by_date += [r["id"] for r in response.json()["objects"]]
                after = response.headers["X-TAXII-Date-Added-Last"]
        assert [i for i in by_date if i.startswith("indicator--")] == paged
        assert secret["id"] not in by_date
        assert [o["id"] for o in env.collection("b", "group-csirts-network").get_objects()["objects"]] == [to_group["id"]]
        assert "objects" not in env.collection("c", "shared").get_objects(id=to_group["id"])
        assert env.collection("a", "shared").get_object(secret["id"], version="first")["objects"][0]["id"] == secret["id"]
        before = env.stored()
        with env.http("a") as client:
            response = client.post(f"collections/{collections.SHARED_ID}/objects/", content=b'{"objects": [',
                                   headers={"Content-Type": TAXII})
        _taxii_error(response, 400)
        assert env.stored() == before
