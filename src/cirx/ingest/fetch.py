"""``cirx data fetch NAME``: download an official dataset release, checked and cached.

:data:`DATASETS` is the registry: for each dataset, where its official release
lives, its files (with a sha256 where the release is immutable and known) and
a content check each file must pass.  :func:`fetch` downloads into
``{data_dir}/datasets/{name}/``: each file goes to a temporary file beside its
target, is checked, then renamed into place, so a failed or interrupted fetch
never leaves a half-written file.  Transient errors (connection problems,
HTTP 5xx, 408, 429) are retried with backoff.  A file already there whose
sha256 matches the pinned one (or, with none pinned, the one recorded when it
was fetched, in ``.fetched.json``) is not downloaded again unless ``force``.

When ``settings.fetch_base_url`` is set, every URL becomes
``{fetch_base_url}/{name}/{filename}``: a mirror for air-gapped sites, which
also serves datasets that have no official download URL.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import ijson

from cirx.config import Settings
from cirx.errors import FetchError, InvalidInput


class DatasetFile(TypedDict):
    """One file of a dataset release."""

    name: str
    url: str | None  # None: no official download URL (a mirror may serve it)
    sha256: str | None
    check: str  # "stix-bundle", "csv", "json-list" or "xlsx"
    columns: NotRequired[list[str]]  # csv: header columns; json-list: keys of the first entry


class Dataset(TypedDict):
    """One dataset cirx knows how to fetch."""

    description: str
    homepage: str
    licence: str
    available: bool  # False: no stable official download; fetch needs a mirror
    note: str
    files: list[DatasetFile]


# sha256 is pinned only for immutable releases whose bytes we have verified; the
# others are recorded at first fetch.
DATASETS: dict[str, Dataset] = {
    "attack": {
        "description": "MITRE ATT&CK Enterprise v18.1, one STIX 2.1 bundle",
        "homepage": "https://attack.mitre.org/",
        "licence": "MITRE ATT&CK terms of use (royalty-free; keep the copyright notice)",
        "available": True,
        "note": "",
        "files": [{
            "name": "enterprise-attack-18.1.json",
            "url": "https://raw.githubusercontent.com/mitre-attack/attack-stix-data/master/"
                   "enterprise-attack/enterprise-attack-18.1.json",
            "sha256": None,
            "check": "stix-bundle",
        }],
    },
    "eurepoc": {
        "description": "European Repository of Cyber Incidents v1.1: global, attribution and receiver tables",
        "homepage": "https://zenodo.org/records/7848941",
        "licence": "see the Zenodo record; cite EuRepoC",
        "available": True,
        "note": "",
        "files": [
            {"name": "EuRepoC_Global_Database_1.1.csv",
             "url": "https://zenodo.org/records/7848941/files/EuRepoC_Global_Database_1.1.csv?download=1",
             "sha256": None, "check": "csv",
             "columns": ["ID", "name", "start_date", "receiver_country", "initiator_country", "incident_type"]},
            {"name": "EuRepoC_Attribution_dataset_1.1.csv",
             "url": "https://zenodo.org/records/7848941/files/EuRepoC_Attribution_dataset_1.1.csv?download=1",
             "sha256": None, "check": "csv",
             "columns": ["incident_ID", "attribution_ID", "attributed_initiator_country"]},
            {"name": "EuRepoC_Receiver_dataset_1.1.csv",
             "url": "https://zenodo.org/records/7848941/files/EuRepoC_Receiver_dataset_1.1.csv?download=1",
             "sha256": None, "check": "csv",
             "columns": ["ID", "receiver_country", "receiver_category"]},
        ],
    },
    "cfr": {
        "description": "Council on Foreign Relations Cyber Operations Tracker",
        "homepage": "https://www.cfr.org/cyber-operations/",
        "licence": "(c) Council on Foreign Relations",
        "available": False,
        "note": "CFR publishes no stable download of the Cyber Operations Tracker: export it from "
                "https://www.cfr.org/cyber-operations/ by hand and run `cirx import cfr FILE`, "
                "or serve cfr-cyber-operations.csv from a mirror (CIRX_FETCH_BASE_URL)",
        "files": [{"name": "cfr-cyber-operations.csv", "url": None, "sha256": None, "check": "csv",
                   "columns": ["Title", "Date", "Sponsor", "Victims", "Type"]}],
    },
    "dcid": {
        "description": "Dyadic Cyber Incident and Campaign Dataset 2.0 (Feb 2023 update)",
        "homepage": "https://www.ryanmaness.com/cyber-conflict-dataset",
        "licence": "academic dataset; cite Maness, Valeriano and Jensen",
        "available": False,
        "note": "the authors host DCID 2.0 on a web page with no stable file URL: download "
                "DCID_2.0_Release_update_February_2023.xlsx from https://www.ryanmaness.com/cyber-conflict-dataset "
                "and run `cirx import dcid FILE`, or serve it from a mirror (CIRX_FETCH_BASE_URL)",
        "files": [{"name": "DCID_2.0_Release_update_February_2023.xlsx", "url": None, "sha256": None,
                   "check": "xlsx"}],
    },
    "microsoft-names": {
        "description": "Microsoft threat-actor naming map: actor, origin, other vendors' names",
        "homepage": "https://github.com/microsoft/mstic/tree/master/PublicFeeds/ThreatActorNaming",
        "licence": "MIT",
        "available": True,
        "note": "",
        "files": [{
            "name": "MicrosoftMapping.json",
            "url": "https://raw.githubusercontent.com/microsoft/mstic/master/PublicFeeds/"
                   "ThreatActorNaming/MicrosoftMapping.json",
            "sha256": None,
            "check": "json-list",
            "columns": ["Threat actor name"],
        }],
    },
}

MANIFEST = ".fetched.json"
RETRY_DELAYS: tuple[float, ...] = (1.0, 4.0)  # seconds before the 2nd and 3rd try
TIMEOUT_S = 60.0
CHUNK = 1 << 16
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchedFile:
    """One file of a fetch: where it is, where it came from, whether it was downloaded."""

    path: Path
    url: str
    sha256: str
    size: int
    downloaded: bool


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did."""

    name: str
    directory: Path
    files: list[FetchedFile] = field(default_factory=list)

    def __str__(self) -> str:
        got = sum(f.downloaded for f in self.files)
        return (f"{self.name}: {len(self.files)} file(s) in {self.directory} "
                f"({got} downloaded, {len(self.files) - got} already cached)")


def list_datasets() -> list[dict[str, Any]]:
    """The registry as plain data, one entry per dataset (for ``cirx data list``)."""
    return [{"name": name, **json.loads(json.dumps(entry))} for name, entry in sorted(DATASETS.items())]


def fetch(name: str, settings: Settings, *, progress: Callable[[int], None] | None = None,
          force: bool = False) -> FetchResult:
    """Download dataset ``name`` into ``settings.data_dir/datasets/name``; see the module docstring.

    ``progress`` is called with the number of bytes received as they arrive.
    Raises :class:`FetchError` naming the dataset, the URL and the problem.
    """
    dataset = DATASETS.get(name)
    if dataset is None:
        raise InvalidInput(f"unknown dataset {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    mirror = settings.fetch_base_url.rstrip("/")
    if not dataset["available"] and not mirror:
        raise FetchError(f"{name}: not available for download: {dataset['note']}")
    directory = Path(settings.data_dir) / "datasets" / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"{name}: cannot create {directory}: {exc.strerror or exc}") from exc
    manifest = _read_manifest(directory)
    result = FetchResult(name=name, directory=directory)
    for entry in dataset["files"]:
        url = (f"{mirror}/{urllib.parse.quote(name)}/{urllib.parse.quote(entry['name'])}"
               if mirror else str(entry["url"]))
        target = directory / entry["name"]
        expected = entry["sha256"] or manifest.get(entry["name"], {}).get("sha256")
        if not force and expected and target.is_file() and _sha256(target) == expected:
            result.files.append(FetchedFile(target, url, expected, target.stat().st_size, False))
            continue
        digest, size = _download_with_retries(name, url, entry, target, progress)
        manifest[entry["name"]] = {"url": url, "sha256": digest, "size": size}
        _write_manifest(directory, manifest)
        result.files.append(FetchedFile(target, url, digest, size, True))
    return result


def cached_release(name: str, settings: Settings) -> Path | None:
    """The file of dataset ``name`` that an earlier ``fetch`` left, checked, in the data directory."""
    dataset = DATASETS.get(name)
    if dataset is None:
        raise InvalidInput(f"unknown dataset {name!r}; choose one of {', '.join(sorted(DATASETS))}")
    directory = Path(settings.data_dir) / "datasets" / name
    manifest = _read_manifest(directory) if directory.is_dir() else {}
    for entry in dataset["files"]:
        target = directory / entry["name"]
        if entry["name"] in manifest and target.is_file():
            return target
    return None


def _download_with_retries(name: str, url: str, entry: DatasetFile, target: Path,
                           progress: Callable[[int], None] | None) -> tuple[str, int]:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https", "file"):
        raise FetchError(f"{name}: {url}: unsupported URL scheme {scheme!r} (use http, https or file)")
    for attempt in range(len(RETRY_DELAYS) + 1):
        try:
            return _download(name, url, entry, target, progress)
        except _Transient as problem:
            if attempt == len(RETRY_DELAYS):
                raise FetchError(f"{name}: {url}: {problem} (gave up after {attempt + 1} tries)") from problem
            time.sleep(RETRY_DELAYS[attempt])
    raise AssertionError("unreachable")


class _Transient(Exception):
    """A failure worth trying again."""


def _download(name: str, url: str, entry: DatasetFile, target: Path,
              progress: Callable[[int], None] | None) -> tuple[str, int]:
    """Download ``url`` to ``target`` through a checked temporary file; return (sha256, size)."""
    request = urllib.request.Request(url, headers={"User-Agent": "cirx (dataset fetch)"})
    handle, temporary = tempfile.mkstemp(prefix=f".{entry['name']}.", suffix=".part", dir=target.parent)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                    while chunk := response.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress:
                            progress(len(chunk))
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
                exc.close()
                if exc.code in _TRANSIENT_STATUS:
                    raise _Transient(problem) from exc
                raise FetchError(f"{name}: {url}: {problem}") from exc
            except (urllib.error.URLError, HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", None) or exc
                raise _Transient(f"download failed: {reason}") from exc
        sha = digest.hexdigest()
        if entry["sha256"] and sha != entry["sha256"]:
            raise FetchError(f"{name}: {url}: checksum mismatch: expected sha256 {entry['sha256']}, got {sha}")
        wrong = _content_problem(Path(temporary), entry)
        if wrong:
            raise FetchError(f"{name}: {url}: content check failed: {wrong}")
        os.replace(temporary, target)
        return sha, size
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _content_problem(path: Path, entry: DatasetFile) -> str | None:
    """Why the file is not what the registry expects, or None when it is."""
    check = entry["check"]
    wanted = entry.get("columns", [])
    try:
        if check == "stix-bundle":
            return _bundle_problem(path)
        if check == "csv":
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
                header = [c.strip() for c in next(csv.reader(handle), [])]
            missing = [c for c in wanted if c not in header]
            return f"CSV header lacks column(s) {', '.join(missing)}" if missing else None
        if check == "json-list":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            if not isinstance(data, list) or not data or not all(isinstance(e, dict) for e in data):
                return "not a non-empty JSON list of objects"
            missing = [c for c in wanted if c not in data[0]]
            return f"entries lack key(s) {', '.join(missing)}" if missing else None
        if check == "xlsx":
            if not zipfile.is_zipfile(path):
                return "not an XLSX workbook (not a zip file)"
            with zipfile.ZipFile(path) as archive:
                return None if "xl/workbook.xml" in archive.namelist() else "not an XLSX workbook"
    except (ValueError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
        return str(exc)
    raise AssertionError(f"unknown content check {check!r}")


def _bundle_problem(path: Path) -> str | None:
    kind = None
    objects = False
    with path.open("rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "type" and event == "string":
                    kind = value
                elif prefix == "objects" and event == "start_array":
                    objects = True
                elif prefix == "" and event not in ("start_map", "map_key", "end_map"):
                    return "not a JSON object"
        except ijson.JSONError as exc:
            return f"bad JSON: {exc}"
    if kind != "bundle":
        return f"JSON type is {kind!r}, not 'bundle'"
    return None if objects else "the bundle has no objects list"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(directory: Path, manifest: dict[str, dict[str, Any]]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True)
    handle, temporary = tempfile.mkstemp(prefix=".fetched.", suffix=".part", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, directory / MANIFEST)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
