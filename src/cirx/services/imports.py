"""Imports: STIX bundles, the offline knowledge base, IR datasets and user CSV/XLSX.

Each file is imported in one transaction: all of it or none of it.  A
directory is imported file by file, each with its own report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from cirx.config import Settings
from cirx.errors import InvalidInput, NotFound
from cirx.ingest.report import ImportReport
from cirx.model.incident import cirx_identity, extension_definition
from cirx.model.stix import iter_bundle
from cirx.store.writer import Progress, StixWriter

Reader = Callable[[Path, ImportReport], Iterator[dict[str, Any]]]


def _cirx_objects() -> list[dict[str, Any]]:
    """Objects every derived record refers to: cirx's identity and its extension definitions."""
    return [cirx_identity(), extension_definition()]


class ImportService:
    """Runs importers and writes what they yield."""

    def __init__(self, writer: StixWriter, settings: Settings) -> None:
        self._writer = writer
        self._settings = settings

    def stix(self, source: str | Path, progress: Progress | None = None) -> list[ImportReport]:
        """Import a STIX 2.0/2.1 bundle file, every ``*.json`` of a directory, or ``-`` for stdin."""
        if str(source) == "-":
            return [self._stix_stream(sys.stdin.buffer, "<stdin>", progress)]
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not files:
                raise NotFound(f"{path}: no .json files in this directory")
        elif path.is_file():
            files = [path]
        else:
            raise NotFound(f"{path}: no such file or directory")
        reports = []
        for file in files:
            with file.open("rb") as stream:
                reports.append(self._stix_stream(stream, str(file), progress))
        return reports

    def _stix_stream(self, stream: Any, label: str, progress: Progress | None) -> ImportReport:
        report = ImportReport(source=label)
        objects = (obj for obj, _size in iter_bundle(stream, label))
        return self._writer.import_objects(objects, report, progress)

    def knowledge_base(self, progress: Progress | None = None) -> ImportReport:
        """Load the offline knowledge base from pymispgalaxies and pytaxonomies."""
        from cirx.ingest.knowledge import read_knowledge_base, read_taxonomies

        report = ImportReport(source="offline knowledge base (pymispgalaxies, pytaxonomies)")

        def objects() -> Iterator[dict[str, Any]]:
            yield from _cirx_objects()
            yield from read_taxonomies(report)
            yield from read_knowledge_base(report)

        return self._writer.import_objects(objects(), report, progress)

    def dataset(self, name: str, path: Path, progress: Progress | None = None) -> ImportReport:
        """Import an IR dataset (``eurepoc``, ``cfr``, ``dcid``) from a file or folder."""
        reader = self._dataset_reader(name)
        if not path.exists():
            raise NotFound(f"{path}: no such file or directory")
        report = ImportReport(source=f"{name} {path}")
        return self._writer.import_objects(_chain(_cirx_objects(), reader(path, report)), report, progress)

    def rows(self, path: Path, mapping: Path, progress: Progress | None = None) -> ImportReport:
        """Import a user's CSV/XLSX file as incidents, driven by a mapping file."""
        from cirx.ingest.mapping import load_mapping
        from cirx.ingest.tabular import read_table

        spec = load_mapping(mapping)
        report = ImportReport(source=f"{path} (mapping {mapping.name})")
        return self._writer.import_objects(
            _chain(_cirx_objects(), read_table(path, spec, report)), report, progress)

    @staticmethod
    def _dataset_reader(name: str) -> Reader:
        if name == "eurepoc":
            from cirx.ingest.eurepoc import read_eurepoc
            return read_eurepoc
        if name == "cfr":
            from cirx.ingest.cfr import read_cfr
            return read_cfr
        if name == "dcid":
            from cirx.ingest.dcid import read_dcid
            return read_dcid
        raise InvalidInput(f"unknown dataset {name!r}; choose eurepoc, cfr or dcid")


def _chain(*parts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for part in parts:
        yield from part
