"""Federation: three real cirx nodes over TAXII 2.1, chained A <-> B <-> C (A and C are not peers).

Each node runs ``create_app(Platform(...))`` under uvicorn on its own port and
SQLite file.  Every check reads the receiving node's database directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from cirx import Platform, Settings
from cirx.access.policy import LOCAL_ADMIN
from cirx.errors import InvalidInput, NotFound
from cirx.federation.peers import PeerService, PushPolicy, push_refusal
from cirx.federation.sync import PeerRefused, PeerSync, PeerUnavailable, SyncOptions, SyncReport
from cirx.federation.tables import Peer
from cirx.model.ids import deterministic_id
from cirx.model.stix import normalise_timestamp
from cirx.store.schema import StixObject
from tests.cli.cli_helpers import cirx, cirx_failure, cirx_json
from tests.federation.nodes import Node

V1 = normalise_timestamp("2026-01-01T00:00:00.000Z")  # as the store keeps it (microseconds)
V2 = normalise_timestamp("2026-02-01T00:00:00.000Z")


def intrusion_set(name: str, modified: str = V1) -> dict[str, Any]:
    """A minimal STIX 2.1 object with a stable id per name."""
    return {"type": "intrusion-set", "spec_version": "2.1", "id": deterministic_id("intrusion-set", "fed-test", name),
            "created": V1, "modified": modified, "name": name}


def sid(name: str) -> str:
    return str(intrusion_set(name)["id"])


# -- the network -----------------------------------------------------------------------------


def connect(local: Node, remote: Node, *, max_tlp: str = "green", groups: tuple[str, ...] = ()) -> None:
    """Make ``remote`` a peer of ``local``: an organisation and a contributor token on each side."""
    seen_by_remote = f"node-{local.name}"  # how the remote node knows the local one
    seen_locally = f"node-{remote.name}"  # the local organisation standing for the remote node
    for node, org in ((remote, seen_by_remote), (local, seen_locally)):
        try:
            node.cirx.organisations.get(org)
        except NotFound:
            node.cirx.organisations.create(org)
    token, _ = remote.cirx.organisations.create_token(seen_by_remote, role="contributor",
                                                      user=f"sync@{local.name}")
    api_root, collection = remote.collection_id(token, "shared")
    local.peers.add(remote.name, api_root, collection, token, org=seen_locally, max_tlp=max_tlp, groups=groups)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[tuple[Node, Node, Node]]:
    """A <-> B <-> C.  A may push up to RED to B (AMBER only for the EU group); all else GREEN."""
    a, b, c = (Node(name, tmp_path / name) for name in "abc")
    try:
        for node in (a, b, c):
            node.cirx.organisations.create(f"cert-{node.name}", default_tlp="green")
            node.start()
        a.cirx.organisations.create_group("eu-csirts", members=["cert-a"])
        connect(a, b, max_tlp="red", groups=("eu-csirts",))
        connect(b, a)
        connect(b, c)
        connect(c, b)
        yield a, b, c
    finally:
        for node in (a, b, c):
            node.stop()


def sync_round(*nodes: Node) -> list[SyncReport]:
    """Sync every peer of each node, in order; returns every report."""
    return [report for node in nodes for report in node.peers.sync()]


def assert_ok(reports: list[SyncReport]) -> None:
    assert all(r.ok for r in reports), [r.errors for r in reports if not r.ok]


def seed_a(a: Node) -> None:
    a.add("cert-a", [intrusion_set("clear-a")], tlp="clear")
    a.add("cert-a", [intrusion_set("green-a")], tlp="green")
    a.add("cert-a", [intrusion_set("amber-home")], tlp="amber")
    a.add("cert-a", [intrusion_set("amber-eu")], tlp="amber", share_with=["eu-csirts"])
    a.add("cert-a", [intrusion_set("red-home")], tlp="red")
    a.add("cert-a", [intrusion_set("red-for-b")], tlp="red", recipients=["node-b"])


# -- end to end ------------------------------------------------------------------------------


def test_changes_travel_the_chain_within_each_peers_tlp_ceiling(chain: tuple[Node, Node, Node],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = chain
    seed_a(a)
    b.add("cert-b", [intrusion_set("green-b")], tlp="green")
    c.add("cert-c", [intrusion_set("clear-c")], tlp="clear")

    first = sync_round(a, b, c)
    assert_ok(first)
    assert_ok(sync_round(a, b, c))
    # Loop prevention: what B got from A is never sent back to A.
    b_to_a = next(r for r in first[1:] if r.peer == "a")
    assert b_to_a.skipped_from_peer >= 4

    # B gets what A's policy lets it have; the rest stays home.
    assert b.tlp_of(sid("clear-a")) == "clear"
    assert b.tlp_of(sid("green-a")) == "green"
    assert b.tlp_of(sid("amber-eu")) == "amber"  # shared with a group the peer is configured for
    assert b.tlp_of(sid("red-for-b")) == "red"  # max TLP red and B's organisation a named recipient
    assert b.tlp_of(sid("amber-home")) is None
    assert b.tlp_of(sid("red-home")) is None
    # C is two hops away, behind B's GREEN ceiling: only CLEAR and GREEN, from A through B.
    for name in ("clear-a", "green-a", "green-b"):
        assert c.versions(sid(name)) == [V1], name
    for name in ("amber-home", "amber-eu", "red-home", "red-for-b"):
        assert c.versions(sid(name)) == [], name
    # and back: C's and B's objects reach A
    assert a.versions(sid("clear-c")) == [V1]
    assert a.versions(sid("green-b")) == [V1]

    # A new version on A reaches B and C; older versions stay.
    a.add("cert-a", [intrusion_set("green-a", V2)], tlp="green")
    assert_ok(sync_round(a, b, c))
    for node in (b, c):
        assert node.versions(sid("green-a")) == [V1, V2]
        assert normalise_timestamp(node.cirx.reader.get(sid("green-a"))["modified"]) == V2

    # Repeated syncs settle: nothing more moves, nothing is stored twice anywhere.
    sync_round(a, b, c)
    quiet = sync_round(a, b, c)
    assert_ok(quiet)
    assert [(r.pulled, r.pushed) for r in quiet] == [(0, 0)] * len(quiet)
    for node in (a, b, c):
        assert node.duplicate_versions() == 0
    # Audit trail: A recorded what it pushed, B what it pulled.
    pushed = {e["stix_id"] for e in a.cirx.audit.events(LOCAL_ADMIN, action="push", limit=1000)}
    assert {sid("amber-eu"), sid("red-for-b")} <= pushed
    assert sid("amber-home") not in pushed
    assert b.cirx.audit.events(LOCAL_ADMIN, action="pull", limit=1000)
    # The command line syncs the same peers (from another process, as cron would), with the node's
    # data directory, where the key that decrypts the peers' credentials lives.
    monkeypatch.setenv("CIRX_DATA_DIR", str(b.cirx.settings.data_dir))
    by_cli = cirx_json("peer", "sync", "--db", str(b.cirx.settings.database_url))
    assert [(r["peer"], r["ok"], r["pulled"], r["pushed"]) for r in by_cli] == [("a", True, 0, 0), ("c", True, 0, 0)]


def test_a_peer_that_is_down_catches_up_with_exactly_what_it_missed(chain: tuple[Node, Node, Node]) -> None:
    a, b, c = chain
    seed_a(a)
    assert_ok(sync_round(a, b, c))
    assert_ok(sync_round(a, b, c))
    a_peer_before = a.peers.get("b")
    b_sees_a_before = b.peers.get("a")
    stored_on_a = _versions(a)

    a.stop()
    b.add("cert-b", [intrusion_set("green-b2")], tlp="green")
    c.add("cert-c", [intrusion_set("clear-c2")], tlp="clear")
    c.add("cert-c", [intrusion_set("clear-c2", V2)], tlp="clear")
    for _ in range(2):
        assert_ok(c.peers.sync())
        reports = {r.peer: r for r in b.peers.sync()}
        assert not reports["a"].ok and "failed after 3 tries" in reports["a"].errors[0]
        assert reports["c"].ok  # the next peer still synced
        down = b.peers.get("a")
        assert down.last_error and "pull" in down.last_error
        assert (down.pull_cursor, down.push_cursor) == (b_sees_a_before.pull_cursor, b_sees_a_before.push_cursor)
    assert b.versions(sid("clear-c2")) == [V1, V2]
    assert c.versions(sid("green-b2")) == [V1]

    a.start()  # same port, same database, fresh platform
    after_restart = a.peers.get("b")
    assert (after_restart.pull_cursor, after_restart.push_cursor) == (a_peer_before.pull_cursor,
                                                                      a_peer_before.push_cursor)
    assert_ok(sync_round(b, a))
    assert b.peers.get("a").last_error is None
    missed = {(sid("green-b2"), V1), (sid("clear-c2"), V1), (sid("clear-c2"), V2)}
    caught_up = _versions(a) - stored_on_a
    assert caught_up >= missed
    # Beyond what it missed, A only gained the identity its own TAXII server writes for B's contributions.
    assert {stix_id for stix_id, _ in caught_up - missed} <= {a.cirx.organisations.get("node-b").identity_ref}
    assert a.duplicate_versions() == 0
    # a second catch-up adds nothing
    before = _versions(a)
    assert_ok(sync_round(b, a, b, a))
    assert _versions(a) == before


def _versions(node: Node) -> set[tuple[str, str]]:
    with node.cirx.engine.connect() as connection:
        return {(row[0], row[1]) for row in connection.execute(select(StixObject.stix_id, StixObject.modified))}


# -- policy, retries, configuration ----------------------------------------------------------

PEER_ORG, OTHER_ORG, EU = 7, 8, 21


@pytest.mark.parametrize(
    ("tlp", "owner", "groups", "orgs", "max_tlp", "expected"),
    [
        ("clear", OTHER_ORG, set(), set(), "green", None),
        ("green", None, set(), set(), "green", None),
        ("green", PEER_ORG, set(), set(), "red", "from-peer"),  # never back to where it came from
        ("amber", OTHER_ORG, {EU}, set(), "green", "policy"),  # above the ceiling
        ("amber", OTHER_ORG, set(), set(), "amber", "policy"),  # no audience the peer is part of
        ("amber", OTHER_ORG, {EU}, set(), "amber", None),
        ("amber+strict", OTHER_ORG, {EU}, set(), "amber", "policy"),
        ("amber+strict", OTHER_ORG, {EU}, set(), "amber+strict", None),
        ("amber", OTHER_ORG, set(), {PEER_ORG}, "amber", None),  # the peer's organisation named
        ("red", OTHER_ORG, {EU}, set(), "red", "policy"),  # groups never carry RED
        ("red", OTHER_ORG, set(), {PEER_ORG}, "amber", "policy"),
        ("red", OTHER_ORG, set(), {PEER_ORG}, "red", None),
    ],
)
def test_push_policy(tlp: str, owner: int | None, groups: set[int], orgs: set[int], max_tlp: str,
                     expected: str | None) -> None:
    policy = PushPolicy(org_id=PEER_ORG, max_tlp=max_tlp, group_ids=frozenset({EU}))
    assert push_refusal(policy, tlp, owner, frozenset(groups), frozenset(orgs)) == expected


def _worker(platform: Platform, tries: int = 3) -> PeerSync:
    peer = Peer(id=1, name="flaky", api_root="http://127.0.0.1:9/taxii2/r/", collection_id="c", token="t",
                org_id=None, direction="both", max_tlp="green", groups="[]", pull_cursor=None, push_cursor=0)
    return PeerSync(platform, peer, SyncOptions(tries=tries, backoff=0.001))


def test_transient_failures_are_retried_with_bounded_backoff(sqlite_platform: Platform) -> None:
    worker = _worker(sqlite_platform)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("refused")
        return "ok"

    assert worker._call("GET", flaky) == "ok" and len(calls) == 3

    def server_error() -> str:
        calls.append(1)
        response = requests.Response()
        response.status_code = 503
        raise requests.HTTPError("503", response=response)

    calls.clear()
    with pytest.raises(PeerUnavailable, match="after 3 tries"):
        worker._call("GET", server_error)
    assert len(calls) == 3

    def forbidden() -> str:
        calls.append(1)
        response = requests.Response()
        response.status_code = 403
        raise requests.HTTPError("403", response=response)

    calls.clear()
    with pytest.raises(PeerRefused, match="403"):
        worker._call("GET", forbidden)
    assert len(calls) == 1  # a refusal is not retried


def test_peer_configuration(sqlite_platform: Platform) -> None:
    organisations = sqlite_platform.organisations
    organisations.create("node-fr")
    organisations.create_group("eu-csirts")
    peers = PeerService(sqlite_platform)
    record = peers.add("fr", "https://cirx.example.fr/taxii2/cirx", "shared-id", "secret", org="node-fr",
                       max_tlp="TLP:AMBER", groups=["eu-csirts"])
    assert (record.api_root, record.max_tlp, record.groups, record.org) == (
        "https://cirx.example.fr/taxii2/cirx/", "amber", ("eu-csirts",), "node-fr")
    assert "secret" not in str(record.as_dict())
    with pytest.raises(InvalidInput, match="already exists"):
        peers.add("fr", "https://x.example/", "c", "t", org="node-fr")
    with pytest.raises(InvalidInput, match="direction"):
        peers.add("de", "https://x.example/", "c", "t", org="node-fr", direction="sideways")
    with pytest.raises(NotFound):
        peers.add("de", "https://x.example/", "c", "t", org="node-fr", groups=["nobody"])
    with pytest.raises(InvalidInput, match="URL"):
        peers.add("de", "ftp://x.example/", "c", "t", org="node-fr")
    assert [p.name for p in peers.list()] == ["fr"]
    peers.remove("fr")
    assert peers.list() == []
    with pytest.raises(NotFound):
        peers.remove("fr")


def test_peer_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = Platform(Settings(database_url=db, data_dir=tmp_path)).init()
    platform.organisations.create("node-de")
    platform.close()
    cirx("peer", "add", "de", "--url", "http://127.0.0.1:9/taxii2/cirx/", "--collection", "c1", "--token", "t",
         "--org", "node-de", "--max-tlp", "clear", "--db", db)
    listed = cirx_json("peer", "list", "--db", db)
    assert [(p["name"], p["max_tlp"], p["push_cursor"]) for p in listed] == [("de", "clear", 0)]
    assert "failed after" in cirx_failure("peer", "sync", "de", "--db", db)
    assert cirx_json("peer", "list", "--db", db)[0]["last_error"]
    cirx("peer", "remove", "de", "--db", db)
    assert "no peer" in cirx_failure("peer", "remove", "de", "--db", db)
