"""Caches of what a caller sees are shared by an organisation's users and never across organisations."""

from __future__ import annotations

from cirx import Platform
from cirx.access.policy import Principal, Role
from cirx.services import cache


def test_users_of_one_organisation_share_an_entry_and_organisations_do_not(sqlite_platform: Platform) -> None:
    cache.clear()
    calls: list[str] = []

    def build(label: str) -> str:
        calls.append(label)
        return label

    alice = Principal(org_id=1, user_id=1, role=Role.READER, authenticated=True)
    bob = Principal(org_id=1, user_id=2, role=Role.CONTRIBUTOR, authenticated=True)
    other = Principal(org_id=2, user_id=3, role=Role.READER, authenticated=True)
    engine = sqlite_platform.engine
    assert cache.cached("k", engine, alice, lambda: build("org-1")) == "org-1"
    assert cache.cached("k", engine, bob, lambda: build("again")) == "org-1"
    assert cache.cached("k", engine, other, lambda: build("org-2")) == "org-2"
    in_group = Principal(org_id=1, user_id=1, authenticated=True, groups=frozenset({7}))
    assert cache.cached("k", engine, in_group, lambda: build("org-1 in a group")) == "org-1 in a group"
    assert calls == ["org-1", "org-2", "org-1 in a group"]


def test_a_change_to_the_store_rebuilds(sqlite_platform: Platform) -> None:
    cache.clear()
    principal = Principal(org_id=1, user_id=1, authenticated=True)
    assert cache.cached("k", sqlite_platform.engine, principal, lambda: "before") == "before"
    sqlite_platform.imports.knowledge_base()
    assert cache.cached("k", sqlite_platform.engine, principal, lambda: "after") == "after"


def test_concurrent_misses_build_once(sqlite_platform: Platform) -> None:
    import threading
    import time

    cache.clear()
    principal = Principal(org_id=1, user_id=1, authenticated=True)
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        time.sleep(0.2)
        return "built"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.cached("slow", sqlite_platform.engine,
                                                                           principal, build)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["built"] * 8
    assert len(builds) == 1
