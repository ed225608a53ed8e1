"""Acceptance: EuRepoC, CFR and DCID through the CLI; `stats dyads --json` against independent counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from cirx import Platform
from tests.cli.cli_helpers import cirx_failure, cirx_json
from tests.conftest import shared_data
from tests.unit.test_ir_datasets import cfr_pairs_from_csv, dcid_pairs_from_csv, eurepoc_pairs_from_csv

pytestmark = pytest.mark.shared_data

DATASETS: list[tuple[str, tuple[str, ...], int, Callable[[], Counter[Any]]]] = [
    ("eurepoc", ("eurepoc",), 1643, eurepoc_pairs_from_csv),
    ("cfr", ("cfr-cyber-operations-tracker", "cfr_cyber_operations_tracker_coded.csv"), 713, cfr_pairs_from_csv),
    ("dcid", ("dcid",), 429, dcid_pairs_from_csv),
]


def dyads_of(rows: list[dict[str, Any]]) -> Counter[Any]:
    return Counter({(r["initiator"], r["receiver"]): r["incidents"] for r in rows})


@pytest.mark.parametrize(("name", "where", "incidents", "independent"), DATASETS, ids=[d[0] for d in DATASETS])
def test_dataset_import_and_dyads(name: str, where: tuple[str, ...], incidents: int,
                                  independent: Callable[[], Counter[Any]], tmp_path: Any) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    path = str(shared_data(*where))
    report = cirx_json("import", name, path, "--db", db)
    assert report["rejected"] == []
    assert report["imported"] == incidents
    again = cirx_json("import", name, path, "--db", db)
    assert again["imported"] == 0 and again["unchanged"] == incidents
    assert dyads_of(cirx_json("stats", "dyads", "--db", db)) == independent()
    listed = cirx_json("incidents", "list", "--limit", "5000", "--db", db)
    assert len(listed) == incidents
    assert all(any(ref["source_name"] == name for ref in i["external_references"]) for i in listed)


def test_eurepoc_on_postgresql_gives_the_same_dyads(postgres_platform: Platform) -> None:
    report = postgres_platform.imports.dataset("eurepoc", shared_data("eurepoc"))
    assert report.imported == 1643
    from cirx.store.reader import IncidentFilter

    assert dyads_of(postgres_platform.incidents.stats("dyads", IncidentFilter())) == eurepoc_pairs_from_csv()
    hits = postgres_platform.incidents.list(IncidentFilter(text="Bundestag"))
    assert hits and all("Bundestag" in (i.get("name", "") + i.get("description", "")) for i in hits)


def test_a_bad_dataset_row_fails_the_whole_file(tmp_path: Any) -> None:
    import csv

    source = shared_data("eurepoc", "EuRepoC_Global_Database_1.1.csv")
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [row for _, row in zip(range(4), csv.reader(handle), strict=False)]
    rows[3][rows[0].index("start_date")] = "23/13/2020"  # line 4: a date that does not exist
    bad = tmp_path / "EuRepoC_Global_Database_1.1.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    stderr = cirx_failure("import", "eurepoc", str(bad), "--db", db)
    assert "row 4" in stderr and "start_date" in stderr and "nothing imported" in stderr
    assert cirx_json("stats", "dyads", "--db", db) == []
