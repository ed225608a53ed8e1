"""The access policy: its rules, and the SQL form agreeing with the Python form on random data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cirx import Platform, Settings
from cirx.access.policy import ANONYMOUS, LOCAL_ADMIN, Access, Principal, Role, can_see
from cirx.access.tlp import LEVELS, TLP2_MARKINGS, level_of, parse_level, with_level
from cirx.errors import InvalidInput
from cirx.ingest.report import ImportReport
from cirx.store.writer import ImportAccess

ORG_A, ORG_B, ORG_C = 1, 2, 3
GROUP_EU = 10


def member(org: int, groups: set[int] = frozenset(), role: Role = Role.READER) -> Principal:  # type: ignore[assignment]
    return Principal(org_id=org, role=role, groups=frozenset(groups), authenticated=True)


@pytest.mark.parametrize(
    ("access", "principal", "expected"),
    [
        (Access("clear"), ANONYMOUS, False),
        (Access("clear"), member(ORG_B), True),
        (Access("green", ORG_A), member(ORG_B), True),
        (Access("green", ORG_A), ANONYMOUS, False),
        (Access("amber", ORG_A), member(ORG_A), True),
        (Access("amber", ORG_A), member(ORG_B), False),
        (Access("amber", ORG_A, groups=frozenset({GROUP_EU})), member(ORG_B, {GROUP_EU}), True),
        (Access("amber+strict", ORG_A, groups=frozenset({GROUP_EU})), member(ORG_C), False),
        (Access("red", ORG_A, groups=frozenset({GROUP_EU})), member(ORG_B, {GROUP_EU}), False),
        (Access("red", ORG_A, orgs=frozenset({ORG_B})), member(ORG_B), True),
        (Access("red", ORG_A, orgs=frozenset({ORG_B})), member(ORG_C), False),
        (Access("red", None), member(ORG_B), False),
        (Access("red", ORG_A), LOCAL_ADMIN, True),
    ],
)
def test_tlp_rules(access: Access, principal: Principal, expected: bool) -> None:
    assert can_see(principal, access) is expected


def test_a_peer_never_sees_above_its_ceiling() -> None:
    peer = Principal(org_id=ORG_B, groups=frozenset({GROUP_EU}), authenticated=True, peer=True,
                     tlp_ceiling="green")
    assert can_see(peer, Access("green", ORG_A))
    assert not can_see(peer, Access("amber", ORG_A, groups=frozenset({GROUP_EU})))
    assert not can_see(peer, Access("red", ORG_B))  # not even its own RED objects


def test_clear_for_callers_without_a_token_only_when_allowed() -> None:
    assert can_see(ANONYMOUS, Access("clear"), anonymous_read=True)
    assert not can_see(ANONYMOUS, Access("green"), anonymous_read=True)


def test_markings_map_partners_ids_to_tlp_2() -> None:
    assert level_of(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]) == "clear"  # TLP 1.0 WHITE
    assert level_of(["marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"]) == "amber+strict"  # OpenCTI
    assert level_of([TLP2_MARKINGS["green"], TLP2_MARKINGS["red"]]) == "red"
    assert level_of(["marking-definition--00000000-0000-4000-8000-000000000000"]) is None
    assert with_level(["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"], "amber") == [TLP2_MARKINGS["amber"]]
    assert parse_level("TLP:AMBER+STRICT") == "amber+strict" and parse_level("white") == "clear"
    with pytest.raises(InvalidInput, match="unknown TLP level"):
        parse_level("purple")


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    path: Path = tmp_path_factory.mktemp("policy") / "cirx.db"
    platform = Platform(Settings(database_url=f"sqlite:///{path}")).init()
    yield platform
    platform.close()


objects = st.lists(
    st.tuples(st.sampled_from(LEVELS), st.sampled_from([None, ORG_A, ORG_B, ORG_C]),
              st.frozensets(st.sampled_from([GROUP_EU, 11, 12]), max_size=2),
              st.frozensets(st.sampled_from([ORG_A, ORG_B, ORG_C]), max_size=2)),
    min_size=1, max_size=12)
principals = st.one_of(
    st.just(ANONYMOUS), st.just(LOCAL_ADMIN),
    st.builds(lambda org, ceiling: Principal(org_id=org, groups=frozenset({GROUP_EU}), authenticated=True,
                                             peer=True, tlp_ceiling=ceiling),
              st.sampled_from([ORG_A, ORG_B]), st.sampled_from(["clear", "green", "amber", "red"])),
    st.builds(member, st.sampled_from([ORG_A, ORG_B, ORG_C, 4]),
              st.sets(st.sampled_from([GROUP_EU, 11, 12]), max_size=2),
              st.sampled_from([Role.READER, Role.CONTRIBUTOR, Role.ORG_ADMIN])))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(objects=objects, principal=principals, anonymous_read=st.booleans())
def test_sql_policy_agrees_with_python_policy(shared_store: Platform, objects: list[tuple[str, int | None,
                                               frozenset[int], frozenset[int]]], principal: Principal,
                                               anonymous_read: bool) -> None:
    expected: set[str] = set()
    ids = []
    for tlp, owner, groups, orgs in objects:
        stix_id = f"malware--{uuid.uuid4()}"
        ids.append(stix_id)
        malware = {"type": "malware", "spec_version": "2.1", "id": stix_id, "is_family": True,
                   "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                   "name": f"policy probe {stix_id[-12:]}", "object_marking_refs": [TLP2_MARKINGS[tlp]]}
        access = ImportAccess(owner_org=owner, default_tlp=tlp, groups=tuple(groups), orgs=tuple(orgs))
        shared_store.writer.import_objects(iter([malware]), ImportReport("probe"), access=access)
        if can_see(principal, Access(tlp, owner, groups, orgs), anonymous_read=anonymous_read):
            expected.add(stix_id)
    from cirx.store.reader import StixReader

    reader = StixReader(shared_store.engine, principal, anonymous_read=anonymous_read)
    assert set(reader.names(ids)) == expected
    assert {i for i in ids if reader.resolve(i)} == expected
    visible_by_search = {hit["id"] for hit in reader.search("policy probe", limit=100_000)}
    assert visible_by_search & set(ids) == expected
