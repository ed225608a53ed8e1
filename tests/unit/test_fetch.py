"""``cirx data fetch``: download, check, cache and retry, against a local HTTP server only."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cirx.config import Settings
from cirx.errors import FetchError, InvalidInput
from cirx.ingest import fetch as fetch_module
from cirx.ingest.fetch import DATASETS, cached_release, fetch, list_datasets

BUNDLE = json.dumps({"type": "bundle", "id": "bundle--1", "objects": [{"type": "identity"}]}).encode()
MS_NAMES = json.dumps([{"Threat actor name": "Aqua Blizzard", "Origin/Threat": "Russia"}]).encode()
EUREPOC = {
    "EuRepoC_Global_Database_1.1.csv":
        b"ID,name,start_date,receiver_country,initiator_country,incident_type\n1,x,2020-01-01,EE,RU,DDoS\n",
    "EuRepoC_Attribution_dataset_1.1.csv": b"incident_ID,attribution_ID,attributed_initiator_country\n1,2,RU\n",
    "EuRepoC_Receiver_dataset_1.1.csv": b"ID,receiver_country,receiver_category\n1,EE,State\n",
}


@dataclass
class Mirror:
    """A local server: path -> responses served in turn (the last one repeats)."""

    url: str
    routes: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve(self, path: str, *responses: tuple[int, bytes]) -> None:
        self.routes[path] = list(responses)

    def count(self, path: str) -> int:
        return self.requests.count(path)


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    state = Mirror(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            responses = state.routes.get(self.path) or [(404, b"not found")]
            status, body = responses.pop(0) if len(responses) > 1 else responses[0]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/mirror"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "RETRY_DELAYS", (0.0, 0.0))


def settings_for(tmp_path: Path, mirror: Mirror) -> Settings:
    return Settings(data_dir=tmp_path / "data", fetch_base_url=mirror.url + "/")


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_downloads_checks_and_caches(tmp_path: Path, mirror: Mirror) -> None:
    mirror.serve("/mirror/attack/enterprise-attack-18.1.json", (200, BUNDLE))
    settings = settings_for(tmp_path, mirror)
    received: list[int] = []
    result = fetch("attack", settings, progress=received.append)
    target = tmp_path / "data" / "datasets" / "attack" / "enterprise-attack-18.1.json"
    assert target.read_bytes() == BUNDLE
    assert sum(received) == len(BUNDLE)
    (fetched,) = result.files
    assert fetched.path == target and fetched.downloaded
    assert fetched.sha256 == hashlib.sha256(BUNDLE).hexdigest()
    assert "1 downloaded" in str(result)
    assert files_in(target.parent) == [".fetched.json", "enterprise-attack-18.1.json"]

    again = fetch("attack", settings)
    assert not again.files[0].downloaded and mirror.count("/mirror/attack/enterprise-attack-18.1.json") == 1
    assert cached_release("attack", settings) == target  # what `cirx init` imports by default
    assert cached_release("eurepoc", settings) is None
    fetch("attack", settings, force=True)
    assert mirror.count("/mirror/attack/enterprise-attack-18.1.json") == 2


def test_a_changed_cached_file_is_downloaded_again(tmp_path: Path, mirror: Mirror) -> None:
    mirror.serve("/mirror/microsoft-names/MicrosoftMapping.json", (200, MS_NAMES))
    settings = settings_for(tmp_path, mirror)
    target = fetch("microsoft-names", settings).files[0].path
    target.write_text("[]", encoding="utf-8")
    assert fetch("microsoft-names", settings).files[0].downloaded
    assert target.read_bytes() == MS_NAMES


def test_checksum_mismatch_raises_and_leaves_no_file(tmp_path: Path, mirror: Mirror,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    entry = copy.deepcopy(DATASETS["attack"])
    entry["files"][0]["sha256"] = "0" * 64
    monkeypatch.setitem(DATASETS, "attack", entry)
    mirror.serve("/mirror/attack/enterprise-attack-18.1.json", (200, BUNDLE))
    with pytest.raises(FetchError) as caught:
        fetch("attack", settings_for(tmp_path, mirror))
    message = str(caught.value)
    assert message.startswith("attack: ") and "checksum mismatch" in message
    assert f"{mirror.url}/attack/enterprise-attack-18.1.json" in message
    assert files_in(tmp_path / "data" / "datasets" / "attack") == []


def test_pinned_checksum_that_matches_is_accepted_and_cached(tmp_path: Path, mirror: Mirror,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    entry = copy.deepcopy(DATASETS["attack"])
    entry["files"][0]["sha256"] = hashlib.sha256(BUNDLE).hexdigest()
    monkeypatch.setitem(DATASETS, "attack", entry)
    mirror.serve("/mirror/attack/enterprise-attack-18.1.json", (200, BUNDLE))
    settings = settings_for(tmp_path, mirror)
    assert fetch("attack", settings).files[0].downloaded
    assert not fetch("attack", settings).files[0].downloaded


@pytest.mark.parametrize(
    ("name", "path", "body", "problem"),
    [
        ("attack", "/mirror/attack/enterprise-attack-18.1.json", b"<html>rate limited</html>", "bad JSON"),
        ("attack", "/mirror/attack/enterprise-attack-18.1.json", b'{"type": "identity"}', "not 'bundle'"),
        ("microsoft-names", "/mirror/microsoft-names/MicrosoftMapping.json", b'{"a": 1}', "JSON list"),
        ("microsoft-names", "/mirror/microsoft-names/MicrosoftMapping.json", b'[{"name": "x"}]',
         "lack key(s) Threat actor name"),
        ("dcid", "/mirror/dcid/DCID_2.0_Release_update_February_2023.xlsx", b"not a zip", "not an XLSX"),
    ],
)
def test_content_check_failure_raises_and_leaves_no_file(tmp_path: Path, mirror: Mirror, name: str, path: str,
                                                         body: bytes, problem: str) -> None:
    mirror.serve(path, (200, body))
    with pytest.raises(FetchError, match="content check failed") as caught:
        fetch(name, settings_for(tmp_path, mirror))
    assert problem in str(caught.value) and str(caught.value).startswith(f"{name}: ")
    assert files_in(tmp_path / "data" / "datasets" / name) == []


def test_csv_header_check_names_the_missing_columns(tmp_path: Path, mirror: Mirror) -> None:
    for filename, body in EUREPOC.items():
        mirror.serve(f"/mirror/eurepoc/{filename}", (200, body))
    mirror.serve("/mirror/eurepoc/EuRepoC_Receiver_dataset_1.1.csv", (200, b"ID,country\n1,EE\n"))
    with pytest.raises(FetchError, match=r"header lacks column\(s\) receiver_country, receiver_category"):
        fetch("eurepoc", settings_for(tmp_path, mirror))
    # the two good files are in place; the bad one left nothing behind
    assert files_in(tmp_path / "data" / "datasets" / "eurepoc") == [
        ".fetched.json", "EuRepoC_Attribution_dataset_1.1.csv", "EuRepoC_Global_Database_1.1.csv"]


def test_server_error_is_retried_then_succeeds(tmp_path: Path, mirror: Mirror) -> None:
    path = "/mirror/microsoft-names/MicrosoftMapping.json"
    mirror.serve(path, (500, b"oops"), (503, b"busy"), (200, MS_NAMES))
    result = fetch("microsoft-names", settings_for(tmp_path, mirror))
    assert result.files[0].path.read_bytes() == MS_NAMES
    assert mirror.count(path) == 3


def test_persistent_server_error_gives_up_after_three_tries(tmp_path: Path, mirror: Mirror) -> None:
    path = "/mirror/microsoft-names/MicrosoftMapping.json"
    mirror.serve(path, (500, b"oops"))
    with pytest.raises(FetchError, match=r"HTTP 500 .*gave up after 3 tries"):
        fetch("microsoft-names", settings_for(tmp_path, mirror))
    assert mirror.count(path) == 3
    assert files_in(tmp_path / "data" / "datasets" / "microsoft-names") == []


def test_not_found_is_not_retried(tmp_path: Path, mirror: Mirror) -> None:
    with pytest.raises(FetchError) as caught:
        fetch("microsoft-names", settings_for(tmp_path, mirror))
    message = str(caught.value)
    assert message == f"microsoft-names: {mirror.url}/microsoft-names/MicrosoftMapping.json: HTTP 404 Not Found"
    assert mirror.count("/mirror/microsoft-names/MicrosoftMapping.json") == 1


def test_failed_forced_refetch_keeps_the_cached_file(tmp_path: Path, mirror: Mirror) -> None:
    path = "/mirror/microsoft-names/MicrosoftMapping.json"
    mirror.serve(path, (200, MS_NAMES), (200, b"<html>maintenance</html>"))
    settings = settings_for(tmp_path, mirror)
    target = fetch("microsoft-names", settings).files[0].path
    with pytest.raises(FetchError):
        fetch("microsoft-names", settings, force=True)
    assert target.read_bytes() == MS_NAMES
    assert files_in(target.parent) == [".fetched.json", "MicrosoftMapping.json"]


def test_mirror_rewrites_every_url_and_serves_datasets_without_official_download(
        tmp_path: Path, mirror: Mirror) -> None:
    for filename, body in EUREPOC.items():
        mirror.serve(f"/mirror/eurepoc/{filename}", (200, body))
    result = fetch("eurepoc", settings_for(tmp_path, mirror))
    assert sorted(mirror.requests) == sorted(f"/mirror/eurepoc/{name}" for name in EUREPOC)
    assert all(f.url.startswith(mirror.url + "/eurepoc/") for f in result.files)
    mirror.serve("/mirror/cfr/cfr-cyber-operations.csv", (200, b"Title,Date,Sponsor,Victims,Type\nx,2020,RU,EE,x\n"))
    assert fetch("cfr", settings_for(tmp_path, mirror)).files[0].downloaded


def test_unavailable_dataset_without_mirror_explains_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"cfr: not available for download: .*cfr\.org"):
        fetch("cfr", Settings(data_dir=tmp_path))
    with pytest.raises(FetchError, match=r"dcid: not available for download: .*ryanmaness"):
        fetch("dcid", Settings(data_dir=tmp_path))
    assert not (tmp_path / "datasets").exists()


def test_unknown_dataset_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unknown dataset 'atack'; choose one of attack, cfr"):
        fetch("atack", Settings(data_dir=tmp_path))


def test_registry_lists_every_dataset_as_plain_data() -> None:
    datasets = list_datasets()
    assert [d["name"] for d in datasets] == ["attack", "cfr", "dcid", "eurepoc", "microsoft-names"]
    json.dumps(datasets)
    for entry in datasets:
        assert entry["description"] and entry["files"]
        for file in entry["files"]:
            assert file["check"] in ("stix-bundle", "csv", "json-list", "xlsx")
            assert (file["url"] or "").startswith("https://") == entry["available"]
        assert entry["available"] or entry["note"]


def test_unreachable_server_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"microsoft-names: http://127\.0\.0\.1:1/.*gave up after 3 tries"):
        fetch("microsoft-names", Settings(data_dir=tmp_path, fetch_base_url="http://127.0.0.1:1"))


def test_a_folder_can_be_the_mirror(tmp_path: Path) -> None:
    folder = tmp_path / "mirror" / "microsoft-names"
    folder.mkdir(parents=True)
    (folder / "MicrosoftMapping.json").write_bytes(MS_NAMES)
    settings = Settings(data_dir=tmp_path / "data", fetch_base_url=(tmp_path / "mirror").as_uri())
    assert fetch("microsoft-names", settings).files[0].path.read_bytes() == MS_NAMES
