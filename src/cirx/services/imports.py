"""Imports: STIX bundles, MISP events, the offline knowledge base, IR datasets and user CSV/XLSX.

Each file is imported in one transaction: all of it or none of it.  A
directory is imported file by file, each with its own report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from cirx.access.anonymise import pseudonym_identity
from cirx.access.organisations import OrganisationService
from cirx.access.tlp import parse_level
from cirx.config import Settings
from cirx.errors import InvalidInput, NotFound
from cirx.ingest.report import ImportReport
from cirx.model.ids import deterministic_id
from cirx.model.incident import cirx_identity, extension_definition
from cirx.model.stix import iter_bundle
from cirx.store.writer import PLATFORM_IMPORT, ImportAccess, Progress, StixWriter

Reader = Callable[[Path, ImportReport], Iterator[dict[str, Any]]]
# Bundle files at least this large are streamed, parsed and checked in a second process (see
# StixWriter); smaller ones are parsed whole (cirx.model.stix.iter_bundle) and checked in a thread.
PARALLEL_FROM_BYTES = 64 * 1024 * 1024


def _cirx_objects() -> list[dict[str, Any]]:
    """Objects every derived record refers to: cirx's identity and its extension definitions."""
    return [cirx_identity(), extension_definition()]


def json_files(path: Path, what: str, skip: str | None = None) -> list[Path]:
    """``path`` itself, or every ``*.json`` under a folder (but one named ``skip``), sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise NotFound(f"{path}: no such file or directory")
    files = sorted(p for p in path.rglob("*.json") if p.is_file() and p.name != skip)
    if not files:
        raise NotFound(f"{path}: no {what} .json files in this directory")
    return files


class ImportService:
    """Runs importers and writes what they yield."""

    def __init__(self, writer: StixWriter, settings: Settings, organisations: OrganisationService) -> None:
        self._writer = writer
        self._settings = settings
        self._organisations = organisations

    def access(self, org: str | None = None, *, tlp: str | None = None, share_with: Sequence[str] = (),
               recipients: Sequence[str] = (), anonymous: bool = False) -> ImportAccess:
        """How an import is shared: as organisation ``org`` with marking ``tlp`` (default: the org's).

        Without ``org`` the platform itself contributes (TLP:CLEAR unless ``tlp`` says otherwise).
        """
        if org is None:
            if share_with or recipients or anonymous:
                raise InvalidInput("sharing groups, recipients and anonymity need --org")
            return ImportAccess(default_tlp=parse_level(tlp) if tlp else "clear", mark_objects=bool(tlp))
        record = self._organisations.get(org)
        level = parse_level(tlp) if tlp else record.default_tlp
        return ImportAccess(
            owner_org=record.id, default_tlp=level, mark_objects=True,
            groups=tuple(self._organisations.group_id(g) for g in share_with),
            orgs=tuple(self._organisations.get(r).id for r in recipients),
            pseudonym_ref=deterministic_id("identity", "cirx-pseudonym", record.pseudonym) if anonymous else None,
        )

    def _contributor(self, access: ImportAccess) -> list[dict[str, Any]]:
        """The contributor's identity, or its pseudonym for an anonymised contribution."""
        objects: list[dict[str, Any]] = []
        if access.owner_org is not None:
            record = self._organisations.get(access.owner_org)
            if access.pseudonym_ref is not None:
                objects.append(pseudonym_identity(access.pseudonym_ref, record.pseudonym))
            else:
                objects.append(self._organisations.identity_object(record))
        return objects

    def _write_preamble(self, access: ImportAccess) -> None:
        """Store the objects an import refers to as the platform's own, once it succeeded.

        cirx's identity and extension definitions are TLP:CLEAR; a contributor's
        identity (or pseudonym) TLP:GREEN, for member organisations.  They are
        constants (a re-run finds them unchanged), so writing them in a
        transaction of their own keeps the import itself all-or-nothing, and a
        contributor's marking or anonymity never touches them.  A rejected import
        leaves nothing behind, these included.
        """
        platform_objects, contributor = _cirx_objects(), self._contributor(access)
        if self._writer.has_versions(platform_objects + contributor):
            return  # the usual case after the first import: one look-up, no write transaction
        self._writer.import_objects(platform_objects, ImportReport(source="cirx objects"))
        if contributor:
            self._writer.import_objects(contributor, ImportReport(source="contributor identity"),
                                        access=ImportAccess(default_tlp="green"))

    def stix(self, source: str | Path, progress: Progress | None = None,
             access: ImportAccess = PLATFORM_IMPORT) -> list[ImportReport]:
        """Import a STIX 2.0/2.1 bundle file, every ``*.json`` of a directory, or ``-`` for stdin."""
        if str(source) == "-":
            return [self._stix_stream(sys.stdin.buffer, "<stdin>", progress, access)]
        reports = []
        for file in json_files(Path(source), "STIX bundle"):
            parallel = file.stat().st_size >= PARALLEL_FROM_BYTES
            with file.open("rb") as stream:
                reports.append(self._stix_stream(stream, str(file), progress, access, parallel=parallel))
        return reports

    def stix_stream(self, stream: Any, label: str, progress: Progress | None = None,
                    access: ImportAccess = PLATFORM_IMPORT) -> ImportReport:
        """Import one bundle from an open binary stream (a file, stdin, a request body)."""
        return self._stix_stream(stream, label, progress, access)

    def stix_objects(self, objects: Iterable[Any], label: str,
                     access: ImportAccess = PLATFORM_IMPORT) -> ImportReport:
        """Import STIX objects already parsed (a TAXII envelope's), all or nothing, as from a bundle."""
        report = ImportReport(source=label)
        self._writer.import_objects(objects if isinstance(objects, list) else iter(objects), report, None, access)
        if access.owner_org is not None:
            self._write_preamble(access)
        return report

    def _stix_stream(self, stream: Any, label: str, progress: Progress | None,
                     access: ImportAccess, *, parallel: bool = False) -> ImportReport:
        report = ImportReport(source=label)
        objects = (obj for obj, _size in iter_bundle(stream, label))
        self._writer.import_objects(objects, report, progress, access, parallel=parallel)
        if access.owner_org is not None:
            self._write_preamble(access)
        return report

    def misp(self, source: str | Path, progress: Progress | None = None,
             access: ImportAccess = PLATFORM_IMPORT) -> list[ImportReport]:
        """Import MISP events (converted by misp-stix): an event file, a restSearch response, a list of
        events, or every ``*.json`` of a folder such as a MISP feed; each file all or nothing.

        An event's ``tlp:*`` tags mark every object made from it; untagged objects get ``access``'s
        default, as in any import.
        """
        from cirx.ingest.misp import FEED_INDEX, read_misp

        reports = []
        for file in json_files(Path(source), "MISP event", skip=FEED_INDEX):
            report = ImportReport(source=str(file))
            self._writer.import_objects(read_misp(file, report), report, progress, access)
            if access.owner_org is not None:
                self._write_preamble(access)
            reports.append(report)
        return reports

    def knowledge_base(self, progress: Progress | None = None) -> ImportReport:
        """Load the offline knowledge base from pymispgalaxies and pytaxonomies."""
        from cirx.ingest.knowledge import read_knowledge_base, read_taxonomies

        report = ImportReport(source="offline knowledge base (pymispgalaxies, pytaxonomies)")

        def objects() -> Iterator[dict[str, Any]]:
            yield from _cirx_objects()
            yield from read_taxonomies(report)
            yield from read_knowledge_base(report)

        return self._writer.import_objects(objects(), report, progress)

    def dataset(self, name: str, path: Path, progress: Progress | None = None,
                access: ImportAccess = PLATFORM_IMPORT) -> ImportReport:
        """Import an IR dataset (``eurepoc``, ``cfr``, ``dcid``) from a file or folder."""
        reader = self._dataset_reader(name)
        if not path.exists():
            raise NotFound(f"{path}: no such file or directory")
        report = ImportReport(source=f"{name} {path}")
        self._writer.import_objects(reader(path, report), report, progress, access)
        self._write_preamble(access)
        return report

    def rows(self, path: Path, mapping: Path, progress: Progress | None = None,
             access: ImportAccess = PLATFORM_IMPORT) -> ImportReport:
        """Import a user's CSV/XLSX file as incidents, driven by a mapping file."""
        from cirx.ingest.mapping import load_mapping
        from cirx.ingest.tabular import read_table

        spec = load_mapping(mapping)
        report = ImportReport(source=f"{path} (mapping {mapping.name})")
        self._writer.import_objects(read_table(path, spec, report), report, progress, access)
        self._write_preamble(access)
        return report

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
