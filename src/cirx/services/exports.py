"""Exports: one STIX 2.1 bundle, or incidents as CSV or Parquet for researchers."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO

import orjson

from cirx.services.incidents import summary_row
from cirx.store.reader import IncidentFilter, StixReader

CSV_COLUMNS = list(summary_row({"id": "", "type": "incident"}).keys())


class ExportService:
    """Streams stored objects out without holding them all in memory."""

    def __init__(self, reader: StixReader) -> None:
        self._reader = reader

    def stix(self, out: IO[bytes], *, types: list[str] | None = None,
             progress: Callable[[int], None] | None = None) -> int:
        """Write the latest version of every object (of ``types``) as one bundle; returns the count."""
        out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.uuid4()).encode() + b'","objects":[')
        count = 0
        for obj in self._reader.iter_latest(types):
            out.write(b"\n" if count == 0 else b",\n")
            out.write(orjson.dumps(obj))
            count += 1
            if progress and count % 1000 == 0:
                progress(1000)
        out.write(b"\n]}\n")
        return count

    def incidents_csv(self, out: IO[str], where: IncidentFilter) -> int:
        """Write incidents (one row each, lists joined with ';') as CSV; returns the count."""
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        count = 0
        for row in self._incident_rows(where):
            writer.writerow(row)
            count += 1
        return count

    def incidents_parquet(self, path: Path, where: IncidentFilter) -> int:
        """Write incidents as a Parquet file; returns the count."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows = list(self._incident_rows(where))
        columns = {name: [str(r[name]) for r in rows] for name in CSV_COLUMNS}
        pq.write_table(pa.table(columns), path)
        return len(rows)

    def _incident_rows(self, where: IncidentFilter) -> list[dict[str, object]]:
        if where == IncidentFilter():
            return [summary_row(obj) for obj in self._reader.iter_latest(["incident"])]
        total = self._reader.count_incidents(where)
        return [summary_row(obj) for obj in self._reader.incidents(where, limit=max(total, 1))]
