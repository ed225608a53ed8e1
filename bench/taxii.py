"""TAXII 2.1 benchmark: cirx against medallion (memory backend), driven by the same httpx client code.

    python bench/taxii.py [--small 1000,4000] [--large 100000,1000000] [--clients 50] [--page 1000]

One run measures:
  1. at each ``--small`` size, for medallion 3 (memory backend, its own Flask server, started as a
     subprocess with a config written to a temporary folder) and for cirx (uvicorn subprocess, fresh
     SQLite store): POST objects/s (envelopes of ``--chunk`` indicators) and GET paging objects/s
     (``limit`` + ``next`` through the whole collection);
  2. cirx alone at each ``--large`` size: the store is filled through the platform API
     (``platform.writer.import_objects``, patterns not re-validated; the larger size extends the
     smaller store), then served by uvicorn and paged by a non-admin organisation's reader token
     (the access policy on): objects/s for the whole collection, the time of the first and the
     last page (by ``next`` and by ``added_after``), p50/p99 latency of page requests from
     ``--clients`` concurrent clients, and the SQLite plan of the page query.
Objects are the synthetic indicators of ``bench/synth.py``, marked TLP:GREEN, contributed by
organisation A and read by organisation B.  Prints Markdown tables and cirx/medallion ratios and
writes them, with the raw figures, to ``bench/out/taxii.md`` and ``bench/out/taxii.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
TAXII = "application/taxii+json;version=2.1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def app_factory() -> Any:
    """The cirx web app on the store named by ``CIRX_DATABASE_URL`` (for ``uvicorn --factory``)."""
    from cirx import Platform, Settings
    from cirx.api.app import create_app

    return create_app(Platform(Settings.from_env()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def objects(start: int, stop: int) -> Iterator[dict[str, Any]]:
    from synth import indicator

    for i in range(start, stop):
        yield dict(indicator(i), object_marking_refs=[GREEN])


# -- servers --------------------------------------------------------------------------------------------


class Target:
    """A running TAXII server: where its collection is and how to authenticate to it."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], collection_url: str,
                 writer: dict[str, Any], reader: dict[str, Any]) -> None:
        self.name, self.process, self.collection_url = name, process, collection_url
        self.writer, self.reader = writer, reader

    def client(self, who: str = "reader") -> httpx.Client:
        options = self.writer if who == "writer" else self.reader
        return httpx.Client(headers={"Accept": TAXII, **options.get("headers", {})}, auth=options.get("auth"),
                            timeout=900)  # medallion answers the first page of 4,000 in minutes

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _wait(url: str, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see bench/out/{name}.log")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start")


def start_medallion(tmp: Path) -> Target:
    """medallion 3 with its memory backend, one API root and one collection, on its Flask server."""
    port, collection = free_port(), str(uuid.uuid4())
    data = {
        "/discovery": {"title": "medallion", "default": f"http://127.0.0.1:{port}/bench/",
                       "api_roots": [f"http://127.0.0.1:{port}/bench/"]},
        "bench": {
            "information": {"title": "bench", "versions": [TAXII], "max_content_length": 512 << 20},
            "status": [],
            "collections": [{"id": collection, "title": "bench", "can_read": True, "can_write": True,
                             "media_types": ["application/stix+json;version=2.1"], "objects": [],
                             "manifest": []}],
        },
    }
    (tmp / "medallion-data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": str(tmp / "medallion-data.json")},
              "users": {"bench": "bench"}, "taxii": {"max_page_size": 10_000}}
    (tmp / "medallion.json").write_text(json.dumps(config))
    log = (OUT / "medallion.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "medallion.scripts.run", "--port", str(port),
                                "--log-level", "ERROR", str(tmp / "medallion.json")], stdout=log, stderr=log)
    _wait(f"http://127.0.0.1:{port}/taxii2/", process, "medallion")
    auth = {"auth": ("bench", "bench")}
    return Target("medallion", process, f"http://127.0.0.1:{port}/bench/collections/{collection}/", auth, auth)


def make_cirx_store(db: Path) -> tuple[str, str]:
    """A SQLite store with organisations A (contributor) and B (reader); returns their tokens."""
    from cirx import Platform, Settings

    with Platform(Settings(database_url=f"sqlite:///{db}", data_dir=db.parent)) as platform:
        platform.organisations.create("Org A", default_tlp="amber")
        platform.organisations.create("Org B", default_tlp="amber")
        writer = platform.organisations.create_token("Org A", role="contributor")[0]
        reader = platform.organisations.create_token("Org B", role="reader")[0]
    return writer, reader


def fill_cirx_store(db: Path, start: int, stop: int) -> float:
    """Import indicators ``start``..``stop`` as Org A at TLP:GREEN through the platform API; seconds."""
    from cirx import Platform, Settings
    from cirx.ingest.report import ImportReport

    settings = Settings(database_url=f"sqlite:///{db}", data_dir=db.parent, validate_patterns=False)
    with Platform(settings) as platform:
        began = time.perf_counter()
        platform.writer.import_objects(objects(start, stop), ImportReport(source="bench"),
                                       access=platform.imports.access("Org A", tlp="green"))
        return time.perf_counter() - began


def start_cirx(db: Path, writer: str, reader: str) -> Target:
    """cirx served by uvicorn (one process) on the SQLite store ``db``."""
    from cirx.taxii.collections import SHARED_ID

    port = free_port()
    env = dict(os.environ, CIRX_DATABASE_URL=f"sqlite:///{db}", CIRX_DATA_DIR=str(db.parent))
    log = (OUT / "cirx.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--factory",
                                "taxii:app_factory", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning", "--no-access-log"], stdout=log, stderr=log, env=env)
    _wait(f"http://127.0.0.1:{port}/taxii2/", process, "cirx")
    return Target("cirx", process, f"http://127.0.0.1:{port}/taxii2/cirx/collections/{SHARED_ID}/",
                  {"headers": {"Authorization": f"Bearer {writer}"}},
                  {"headers": {"Authorization": f"Bearer {reader}"}})


# -- the client (the same for both servers) ------------------------------------------------------------


def post_all(target: Target, count: int, chunk: int) -> float:
    """POST ``count`` indicators in envelopes of ``chunk``; seconds."""
    envelopes = [orjson.dumps({"objects": list(objects(s, min(s + chunk, count)))}) for s in range(0, count, chunk)]
    with target.client("writer") as client:
        began = time.perf_counter()
        for body in envelopes:
            response = client.post(target.collection_url + "objects/", content=body,
                                   headers={"Content-Type": TAXII})
            assert response.status_code == 202, response.text[:300]
            status = response.json()
            assert status["status"] == "complete" and status["failure_count"] == 0, str(status)[:300]
        return time.perf_counter() - began


def page_all(target: Target, page: int) -> dict[str, Any]:
    """GET every object, ``page`` at a time, following ``next``: count, seconds, per-page times, tokens."""
    url = target.collection_url + "objects/"
    count, times, tokens, last_added = 0, [], [], []
    params: dict[str, Any] = {"limit": page}
    with target.client() as client:
        began = time.perf_counter()
        while True:
            started = time.perf_counter()
            response = client.get(url, params=params)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
            envelope = orjson.loads(response.content)
            count += len(envelope.get("objects", []))
            last_added.append(response.headers.get("X-TAXII-Date-Added-Last"))
            if not envelope.get("more"):
                break
            tokens.append(envelope["next"])
            params = {"limit": page, "next": envelope["next"]}
        seconds = time.perf_counter() - began
    return {"count": count, "seconds": seconds, "times": times, "tokens": tokens, "last_added": last_added}


def median_request(target: Target, params: dict[str, Any], repeat: int = 7) -> float:
    """Median seconds of one GET of the objects endpoint with ``params``."""
    times = []
    with target.client() as client:
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(target.collection_url + "objects/", params=params)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
    return statistics.median(times)


def concurrent_pages(target: Target, tokens: list[str], page: int, clients: int, each: int) -> dict[str, float]:
    """``clients`` threads, each GETting ``each`` random pages: p50/p99 latency and objects/s overall."""
    latencies: list[float] = []
    received = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def work(seed: int) -> None:
        pick = random.Random(seed)
        mine, got = [], 0
        with target.client() as client:
            start.wait()
            for _ in range(each):
                params = {"limit": page, "next": pick.choice(tokens)}
                began = time.perf_counter()
                response = client.get(target.collection_url + "objects/", params=params)
                mine.append(time.perf_counter() - began)
                assert response.status_code == 200
                got += response.content.count(b'"type":"indicator"')
        with lock:
            latencies.extend(mine)
            received[0] += got

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "p50": ordered[len(ordered) // 2],
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], "objects_per_s": received[0] / seconds}


def query_plan(db: Path, reader: str) -> str:
    """SQLite's plan for a page of the shared collection, as org B (filters: type, version last, next)."""
    from cirx import Platform, Settings
    from cirx.access.policy import visible_clause
    from cirx.store.schema import StixObject
    from cirx.taxii.queries import Filters, page_sql

    with Platform(Settings(database_url=f"sqlite:///{db}", data_dir=db.parent)) as platform:
        principal = platform.authenticate(reader)
        with platform.engine.connect() as connection:
            sql = page_sql(connection, [StixObject.stix_id, StixObject.doc], [visible_clause(principal)],
                           Filters(types=("indicator",), after_seq=500_000))
            plan = [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    return "\n".join(plan)


# -- the run --------------------------------------------------------------------------------------------


def compare(sizes: list[int], chunk: int, page: int, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        for name in ("medallion", "cirx"):
            if name == "medallion":
                target = start_medallion(tmp)
            else:
                db = tmp / f"small-{size}.db"
                target = start_cirx(db, *make_cirx_store(db))
            try:
                post_seconds = post_all(target, size, chunk)
                runs = [page_all(target, page)]  # up to 3 passes, fewer when one pass is slow
                while len(runs) < 3 and sum(r["seconds"] for r in runs) < 20:
                    runs.append(page_all(target, page))
                # cirx also serves the contributor's identity objects (a few): count what was received
                assert all(size <= r["count"] <= size + 10 for r in runs), [r["count"] for r in runs]
                get_seconds = statistics.median(r["seconds"] for r in runs)
                received = runs[0]["count"]
            finally:
                target.stop()
            rows.append({"server": name, "objects": size, "post_per_s": size / post_seconds,
                         "get_per_s": received / get_seconds, "post_s": post_seconds, "get_s": get_seconds})
            print(f"  {name} {size:,}: POST {size / post_seconds:,.0f}/s, GET {received / get_seconds:,.0f}/s",
                  flush=True)
    return rows


def large(sizes: list[int], page: int, clients: int, each: int, tmp: Path) -> list[dict[str, Any]]:
    if not sizes:  # --large "": the comparison with medallion only
        return []
    db = tmp / "large.db"
    writer, reader = make_cirx_store(db)
    rows, filled = [], 0
    for size in sizes:
        import_seconds = fill_cirx_store(db, filled, size)
        print(f"  imported {size - filled:,} through the platform API in {import_seconds:.1f} s", flush=True)
        filled = size
        target = start_cirx(db, writer, reader)
        try:
            walk = page_all(target, page)
            assert size <= walk["count"] <= size + 10, walk["count"]
            first = median_request(target, {"limit": page})
            last = median_request(target, {"limit": page, "next": walk["tokens"][-1]})
            last_by_date = median_request(target, {"limit": page, "added_after": walk["last_added"][-2]})
            crowd = concurrent_pages(target, walk["tokens"], page, clients, each)
        finally:
            target.stop()
        row = {"objects": size, "import_s": import_seconds, "get_per_s": walk["count"] / walk["seconds"],
               "first_page_s": first, "last_page_s": last, "last_page_added_after_s": last_by_date, **crowd}
        rows.append(row)
        print(f"  cirx {size:,}: GET {row['get_per_s']:,.0f}/s, first page {first * 1000:.1f} ms, last "
              f"{last * 1000:.1f} ms (added_after {last_by_date * 1000:.1f} ms), {clients} clients p50 "
              f"{crowd['p50'] * 1000:.0f} ms p99 {crowd['p99'] * 1000:.0f} ms", flush=True)
    rows[-1]["plan"] = query_plan(db, reader)
    return rows


def report(small: list[dict[str, Any]], big: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"### cirx vs medallion (memory backend): POST in envelopes of {args.chunk}, GET pages of {args.page}",
             "", "| objects | server | POST objects/s | GET paging objects/s |", "| ---: | --- | ---: | ---: |"]
    lines += [f"| {r['objects']:,} | {r['server']} | {r['post_per_s']:,.0f} | {r['get_per_s']:,.0f} |" for r in small]
    lines += ["", "| objects | POST ratio cirx/medallion | GET ratio cirx/medallion |", "| ---: | ---: | ---: |"]
    for size in sorted({r["objects"] for r in small}):
        ours = next(r for r in small if r["objects"] == size and r["server"] == "cirx")
        theirs = next(r for r in small if r["objects"] == size and r["server"] == "medallion")
        lines.append(f"| {size:,} | {ours['post_per_s'] / theirs['post_per_s']:.1f}x | "
                     f"{ours['get_per_s'] / theirs['get_per_s']:.1f}x |")
    lines += ["", f"### cirx alone, SQLite, read by a non-admin organisation (pages of {args.page}; "
              f"{args.clients} concurrent clients × {args.each} random pages)", "",
              "| objects | filled via platform API (s) | GET paging objects/s | first page ms | last page ms (next) "
              "| last page ms (added_after) | p50 ms | p99 ms | objects/s under load |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['objects']:,} | {r['import_s']:.1f} | {r['get_per_s']:,.0f} | {r['first_page_s'] * 1000:.1f} | "
              f"{r['last_page_s'] * 1000:.1f} | {r['last_page_added_after_s'] * 1000:.1f} | {r['p50'] * 1000:.0f} | "
              f"{r['p99'] * 1000:.0f} | {r['objects_per_s']:,.0f} |" for r in big]
    if big:
        lines += ["", "SQLite plan of a page query (org B, `match[type]=indicator`, `next`):", "", "```",
                  big[-1]["plan"], "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="1000,4000")
    parser.add_argument("--large", default="100000,1000000")
    parser.add_argument("--chunk", type=int, default=1000, help="objects per POST")
    parser.add_argument("--page", type=int, default=1000, help="objects per GET page")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--each", type=int, default=20, help="page requests per concurrent client")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.small.split(",") if s]
    big_sizes = [int(s) for s in args.large.split(",") if s]
    began, load = time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print("cirx vs medallion:", flush=True)
        small = compare(sizes, args.chunk, args.page, tmp)
        print("cirx alone:", flush=True)
        big = large(big_sizes, args.page, args.clients, args.each, tmp)
    text = report(small, big, args)
    text += (f"\n\n(whole run: {time.perf_counter() - began:.0f} s on {os.cpu_count()} CPUs; load average at the "
             f"start {load[0]:.1f}, at the end {os.getloadavg()[0]:.1f})")
    print()
    print(text)
    (OUT / "taxii.md").write_text(text + "\n")
    (OUT / "taxii.json").write_text(json.dumps({"small": small, "large": big}, indent=2))


if __name__ == "__main__":
    main()
