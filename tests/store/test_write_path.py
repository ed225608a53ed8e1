"""The import hot path: its shortcuts give the same answers and rows as the plain checks."""

from __future__ import annotations

import io
from collections import UserList
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from cirx import Platform
from cirx.errors import ImportRejected, InvalidInput, InvalidObject
from cirx.ingest.report import ImportReport
from cirx.model import stix
from cirx.model.stix import check_and_upgrade, iter_bundle
from cirx.store.schema import Relationship, StixObject
from cirx.store.writer import ImportAccess
from tests.store import stix_samples as s


def _problem(obj: dict[str, Any]) -> str | None:
    try:
        check_and_upgrade(obj, max_bytes=1 << 20)
    except InvalidObject as error:
        return error.property
    return None


@pytest.mark.parametrize(("change", "expected"), [
    ({}, None),
    ({"revoked": None}, "revoked"),
    ({"revoked": "yes"}, "revoked"),
    ({"created": ["2024-01-01T00:00:00Z"]}, "created"),
    ({"modified": "2024-02-30T00:00:00Z"}, "modified"),
    ({"name": 7}, "name"),
    ({"aliases": ["a", 1]}, "aliases"),
    ({"external_references": [1]}, "external_references"),
    ({"created_by_ref": "identity--nope"}, "created_by_ref"),
    ({"object_marking_refs": "marking-definition--x"}, "object_marking_refs"),
    # The first property at fault is named: refs before timestamps before strings.
    ({"name": 7, "modified": "yesterday", "created_by_ref": None}, "created_by_ref"),
    ({"name": 7, "modified": "yesterday"}, "modified"),
    ({"description": None, "x_custom": {"anything": [1]}}, None),
])
def test_property_checks_name_the_first_property_at_fault(change: dict[str, Any], expected: str | None) -> None:
    assert _problem(s.group(**change)) == expected
    assert _problem(s.group(**change)) == expected  # again, with the property names and timestamps learnt


def test_a_list_subclass_of_references_is_accepted_as_before() -> None:
    refs = UserList(["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"])
    assert _problem(s.group(object_marking_refs=refs)) == "object_marking_refs"  # not a list: as before
    assert _problem(s.group(object_marking_refs=list(refs))) is None


def test_versions_of_one_object_in_one_import(platform: Platform) -> None:
    relationship = s.small_world()[5]
    newer = {**relationship, "modified": "2030-01-01T00:00:00.000Z", "relationship_type": "mitigates"}
    older = {**relationship, "modified": "2019-01-01T00:00:00.000Z"}
    report = platform.writer.import_objects([relationship, newer, older, newer], ImportReport("versions"))
    assert (report.imported, report.unchanged) == (3, 1)
    with platform.engine.connect() as connection:
        latest = connection.execute(select(StixObject.modified).where(
            StixObject.stix_id == relationship["id"], StixObject.is_latest.is_(True))).scalars().all()
        edges = connection.execute(select(Relationship.relationship_type).where(
            Relationship.stix_id == relationship["id"])).scalars().all()
    assert latest == ["2030-01-01T00:00:00.000000Z"] and edges == ["mitigates"]


def test_date_added_grows_with_the_sequence_across_imports(platform: Platform) -> None:
    world = s.small_world()
    platform.writer.import_objects(world[:3], ImportReport("first"))
    platform.writer.import_objects(iter(world[3:]), ImportReport("second"))
    with platform.engine.connect() as connection:
        rows = connection.execute(select(StixObject.added_seq, StixObject.added_at)
                                  .order_by(StixObject.added_seq)).all()
    stamps = [added_at for _, added_at in rows]
    assert [seq for seq, _ in rows] == list(range(1, 8))
    assert stamps == sorted(set(stamps)) and all(len(t) == 27 and t.endswith("Z") for t in stamps)


def test_a_taxii_style_import_twice_writes_its_preamble_once(platform: Platform) -> None:
    platform.organisations.create("Org A", default_tlp="amber")
    access: ImportAccess = platform.imports.access("Org A", tlp="green")
    objects = s.small_world()
    first = platform.imports.stix_objects([dict(o) for o in objects], "push", access=access)
    count = platform.reader.count_versions()
    second = platform.imports.stix_objects([dict(o) for o in objects], "push", access=access)
    assert (first.imported, second.imported, second.unchanged) == (7, 0, 7)
    assert platform.reader.count_versions() == count  # the identities and definitions were there already
    assert platform.writer.has_versions(objects)
    assert not platform.writer.has_versions([s.group("2031-01-01T00:00:00.000Z")])


def _bundle_bytes(count: int) -> bytes:
    indicator = s.small_world()[4]
    objects = [{**indicator, "id": f"indicator--{i:08d}-0000-4000-8000-000000000000"} for i in range(count)]
    return orjson.dumps(s.bundle(*objects))


def test_a_bundle_parsed_whole_or_streamed_yields_the_same_objects(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(_bundle_bytes(400))  # over the 64 KiB first read
    with path.open("rb") as stream:
        whole = [obj for obj, _ in iter_bundle(stream, "big.json")]
    monkeypatch.setattr(stix, "WHOLE_DOCUMENT_BYTES", 0)
    with path.open("rb") as stream:
        streamed = [obj for obj, _ in iter_bundle(stream, "big.json")]
    piped = [obj for obj, _ in iter_bundle(io.BytesIO(path.read_bytes()), "pipe")]  # no size: streamed
    assert whole == streamed == piped and len(whole) == 400


def test_a_broken_large_bundle_names_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(_bundle_bytes(400)[:-100])
    with pytest.raises(InvalidInput, match=r"broken\.json: bad JSON near byte \d+"), path.open("rb") as stream:
        list(iter_bundle(stream, "broken.json"))


def test_a_rejected_envelope_still_writes_nothing(platform: Platform) -> None:
    objects = [*s.small_world(), {**s.small_world()[4], "id": "indicator--0a0a0a0a-0000-4000-8000-0a0a0a0a0a0a",
                                  "pattern": "[file:name = 'x'"}]
    with pytest.raises(ImportRejected, match="pattern"):
        platform.imports.stix_objects(objects, "push")
    assert platform.reader.count_versions() == 0


def test_added_stamps_stay_strictly_increasing_across_a_second() -> None:
    from cirx.store.writer import _AddedClock

    clock = _AddedClock("2099-01-01T00:00:00.999998Z")  # a previous stamp ahead of the clock
    first, second = clock.stamps(3), clock.stamps(2)
    assert first == ["2099-01-01T00:00:00.999999Z", "2099-01-01T00:00:01.000000Z",
                     "2099-01-01T00:00:01.000001Z"]
    assert second == ["2099-01-01T00:00:01.000002Z", "2099-01-01T00:00:01.000003Z"]


def test_repeated_versions_across_batches_of_a_first_import(platform: Platform) -> None:
    platform.writer._batch_size = 2  # the repeats fall in later batches than the first versions
    world = s.small_world()
    newer = s.group("2030-01-01T00:00:00.000Z", description="newer")
    report = platform.writer.import_objects(iter([*world, world[0], newer, world[5], newer]), ImportReport("repeats"))
    assert (report.imported, report.unchanged) == (8, 3)
    assert platform.reader.count_versions() == 8
    assert platform.reader.get(s.GROUP)["description"] == "newer"
    assert platform.reader.resolve("Sofacy") == [s.GROUP]
