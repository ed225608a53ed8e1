"""Property: through every read path, each principal sees exactly what the access policy allows.

Hypothesis builds random worlds: organisations, sharing-group memberships, and
incidents with random TLP levels, owners, sharing groups and named recipients,
linked by relationships.  For each organisation's token (and for a caller without
a token), REST single objects, lists and their totals, full-text search,
statistics, relationship traversal, the STIX export and TAXII (objects and
manifest) must show exactly the incidents :func:`cirx.access.policy.can_see`
allows: no leak, not even a count.
"""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cirx import Platform, Settings
from cirx.access.policy import Access, can_see
from cirx.access.tlp import LEVELS, TLP2_MARKINGS
from cirx.api.app import create_app
from cirx.ingest.report import ImportReport
from cirx.model.incident import make_incident
from cirx.store.writer import ImportAccess
from cirx.taxii.collections import collection_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ORGS = ("ORG-A", "ORG-B", "ORG-C")
GROUPS = ("G1", "G2")
TAXII = "application/taxii+json;version=2.1"

incident_specs = st.lists(
    st.tuples(st.sampled_from(LEVELS), st.sampled_from([None, 0, 1, 2]),
              st.frozensets(st.sampled_from([0, 1]), max_size=2),
              st.frozensets(st.sampled_from([0, 1, 2]), max_size=2),
              st.sampled_from(["UA", "PL", "EE"])),
    min_size=1, max_size=8)
memberships = st.fixed_dictionaries({group: st.frozensets(st.sampled_from([0, 1, 2]), max_size=3) for group in GROUPS})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=incident_specs, members=memberships, links=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)),
                                                                   max_size=6))
def test_every_read_path_shows_exactly_what_the_policy_allows(
        tmp_path_factory: Any, specs: list[tuple[str, int | None, frozenset[int], frozenset[int], str]],
        members: dict[str, frozenset[int]], links: list[tuple[int, int]]) -> None:
    folder: Path = tmp_path_factory.mktemp("world")
    platform = Platform(Settings(database_url=f"sqlite:///{folder / 'cirx.db'}", data_dir=folder)).init()
    orgs = platform.organisations
    org_ids = [orgs.create(name, country="FR").id for name in ORGS]
    group_ids = [orgs.create_group(group, members=[ORGS[m] for m in sorted(members[group])]) for group in GROUPS]
    tokens = [orgs.create_token(name, role="reader")[0] for name in ORGS]
    principals = [orgs.authenticate(token) for token in tokens]

    ids, accesses = [], []
    for n, (tlp, owner, groups, recipients, receiver) in enumerate(specs):
        incident = make_incident(source="probe", external_id=f"{uuid.uuid4()}", name=f"Probe incident {n}",
                                 modified="2024-01-01T00:00:00.000Z", description="zebrafish outage",
                                 ir={"initiator_countries": ["RU"], "receiver_countries": [receiver],
                                     "start_date": "2020-01-01"})
        incident["object_marking_refs"] = [TLP2_MARKINGS[tlp]]
        access = ImportAccess(owner_org=None if owner is None else org_ids[owner], default_tlp=tlp,
                              groups=tuple(group_ids[g] for g in groups), orgs=tuple(org_ids[r] for r in recipients))
        platform.writer.import_objects(iter([incident]), ImportReport("probe"), access=access)
        ids.append(incident["id"])
        accesses.append(Access(tlp, access.owner_org, frozenset(access.groups), frozenset(access.orgs)))
    edges = []
    for a, b in links:
        if a < len(ids) and b < len(ids) and a != b:
            edge = {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
                    "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                    "relationship_type": "related-to", "source_ref": ids[a], "target_ref": ids[b]}
            platform.writer.import_objects(iter([edge]), ImportReport("edge"))
            edges.append((ids[a], ids[b]))

    client = TestClient(create_app(platform))
    for principal, token in zip(principals, tokens, strict=True):
        expected = {i for i, access in zip(ids, accesses, strict=True) if can_see(principal, access)}
        headers = {"Authorization": f"Bearer {token}"}
        check_rest(client, headers, ids, expected, edges)
        check_taxii(client, headers, ids, expected)
    # Without a token (operator has not allowed anonymous reads): nothing at all.
    assert client.get("/api/incidents").status_code == 401
    assert client.get("/taxii2/cirx/collections/", headers={"Accept": TAXII}).status_code == 401
    platform.close()


def check_rest(client: TestClient, headers: dict[str, str], ids: list[str], expected: set[str],
               edges: list[tuple[str, str]]) -> None:
    for stix_id in ids:
        status = client.get(f"/api/objects/{stix_id}", headers=headers).status_code
        assert status == (200 if stix_id in expected else 404), stix_id
    listed = client.get("/api/incidents", params={"limit": 1000}, headers=headers).json()
    assert {i["id"] for i in listed["incidents"]} == expected
    assert listed["total"] == len(expected)
    objects = client.get("/api/objects", params={"type": "incident", "limit": 1000}, headers=headers).json()
    assert objects["total"] == len(expected)
    found = client.get("/api/search", params={"q": "zebrafish", "limit": 1000}, headers=headers).json()
    hits = found if isinstance(found, list) else found.get("results", found.get("hits", []))
    assert {h["id"] for h in hits} == expected
    for kind in ("dyads", "receivers", "timeline"):
        rows = client.get(f"/api/stats/{kind}", headers=headers).json()
        assert sum(row["incidents"] for row in rows) == (len(expected) if kind != "dyads" or rows else 0)
    exported = orjson.loads(client.get("/api/export/stix", headers=headers).content)
    assert {o["id"] for o in exported["objects"] if o["type"] == "incident"} == expected
    for stix_id in expected:
        related = client.get(f"/api/objects/{stix_id}/relationships", headers=headers).json()
        edges_seen = related if isinstance(related, list) else related.get("relationships", [])
        for edge in edges_seen:
            assert edge["source_ref"] in expected and edge["target_ref"] in expected
        shown = {(e["source_ref"], e["target_ref"]) for e in edges_seen}
        assert shown == {(a, b) for a, b in edges if stix_id in (a, b) and a in expected and b in expected}


def check_taxii(client: TestClient, headers: dict[str, str], ids: list[str], expected: set[str]) -> None:
    shared = collection_id("shared")
    taxii = {**headers, "Accept": TAXII}
    page = client.get(f"/taxii2/cirx/collections/{shared}/objects/", params={"match[type]": "incident"},
                      headers=taxii).json()
    assert {o["id"] for o in page.get("objects", [])} == expected
    manifest = client.get(f"/taxii2/cirx/collections/{shared}/manifest/", params={"match[type]": "incident"},
                          headers=taxii).json()
    assert {o["id"] for o in manifest.get("objects", [])} == expected
    for stix_id in ids:
        status = client.get(f"/taxii2/cirx/collections/{shared}/objects/{stix_id}/", headers=taxii).status_code
        assert status == (200 if stix_id in expected else 404)
