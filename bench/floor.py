"""Floors: how fast the ingest and TAXII POST targets could be met at all on this machine, in one run.

    python bench/floor.py [--rounds 3] [--posts 4000] [--chunk 1000]

Issue 2 asks for the ATT&CK bundle at >= 50,000 objects/s into SQLite, and issue 3 for TAXII POST at
>= 10x medallion at 4,000 indicators. This measures what no implementation in this stack can beat,
side by side with cirx and (for POST) medallion, each import or server in its own process:

  1. ATT&CK v18.1 (../shared/data/attack), timed like ``bench/ingest.py`` (file read to commit):
     - ``parse``: read the file and ``orjson.loads`` it, touch every object's id (nothing stored);
     - ``store only``: the same, then one row per object (id, type, modified, the document re-dumped)
       into a single SQLite table with its primary key, WAL and ``synchronous=NORMAL`` and the page
       cache cirx uses, one transaction and its commit: no property check, no pattern check, no
       version look-up, no relationship, alias or full-text row;
     - ``store only, not durable``: the same with no journal and ``synchronous=OFF``, a bound below any
       store that survives a crash;
     - cirx's own import (``platform.imports.stix``) into a fresh store.
  2. TAXII POST of ``--posts`` synthetic indicators (``bench/synth.py``) in envelopes of ``--chunk``,
     by the client of ``bench/taxii.py`` (pre-serialised bodies, one httpx connection, the status
     resource read back), to four servers on loopback:
     - medallion 3, memory backend (the peer named in issue 3);
     - ``parse only``: uvicorn (httptools, as cirx runs) with a bare ASGI app that reads the body,
       ``orjson.loads`` it and answers a TAXII status resource: no check, nothing stored;
     - ``store only``: the same app, plus the rows of part 1 into SQLite and a commit per envelope;
     - ``checks + store only``: the same, after cirx's own object checks
       (``cirx.model.stix.check_and_upgrade``: properties, identifiers, timestamps, every pattern);
     - cirx (``cirx serve``'s app, SQLite, a contributor's token).
Each part runs ``--rounds`` times, alternating, so load changes touch every system alike; medians and
ranges are printed as Markdown with the ratios to the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ATTACK = HERE.parents[1] / "shared" / "data" / "attack" / "enterprise-attack-v18.1-no-campaigns.json"
SCHEMA = "CREATE TABLE objects (id TEXT, type TEXT, modified TEXT, document BLOB, PRIMARY KEY (id, modified))"
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536",
           "PRAGMA temp_store=MEMORY")
# Not durable (no journal, no sync): not a store anyone should run, only the bound below every durable one.
UNSAFE = ("PRAGMA journal_mode=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-65536",
          "PRAGMA temp_store=MEMORY")


# -- part 1: the bundle ------------------------------------------------------------------------------------


def open_store(path: str, durable: bool = True) -> Any:
    """A SQLite file with one table of documents and cirx's durability settings (or none)."""
    import sqlite3

    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in PRAGMAS if durable else UNSAFE:
        connection.execute(pragma)
    connection.execute(SCHEMA)
    return connection


def store_rows(connection: Any, objects: list[dict[str, Any]]) -> None:
    """One row per object, one transaction, committed."""
    import orjson

    rows = [(o["id"], o["type"], o.get("modified", ""), orjson.dumps(o)) for o in objects]
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany("INSERT INTO objects VALUES (?, ?, ?, ?)", rows)
    connection.execute("COMMIT")


def worker(kind: str, bundle: str, db: str) -> dict[str, float]:
    """One timed import of ``bundle`` in this process: 'parse', 'store', 'unsafe' or 'cirx'."""
    import orjson

    if kind == "cirx":
        from ingest import worker_cirx

        return worker_cirx(bundle, db)
    connection = open_store(db, durable=kind == "store") if kind in ("store", "unsafe") else None
    began = time.perf_counter()
    with open(bundle, "rb") as stream:
        objects = orjson.loads(stream.read())["objects"]
    ids = sum(1 for o in objects if o["id"])
    if connection is not None:
        store_rows(connection, objects)
    seconds = time.perf_counter() - began
    return {"objects": ids, "seconds": seconds}


def run_worker(kind: str, bundle: str, db: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--worker", kind, bundle, db], check=True,
                            capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


# -- part 2: TAXII POST --------------------------------------------------------------------------------------


def floor_app(store: bool, check: bool = False) -> Any:
    """A bare ASGI app answering TAXII POSTs: parse the envelope, optionally check and store it, return a status."""
    import uuid

    import orjson

    from cirx.model.stix import check_and_upgrade

    connection = open_store(os.environ["FLOOR_DB"]) if store else None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST":
            objects = orjson.loads(bytes(body))["objects"]
            if check:
                objects = [check_and_upgrade(o, max_bytes=1 << 20) for o in objects]
            if connection is not None:
                store_rows(connection, objects)
            answer = {"id": str(uuid.uuid4()), "status": "complete", "total_count": len(objects),
                      "success_count": len(objects), "failure_count": 0, "pending_count": 0}
            status = 202
        else:  # the readiness probe
            answer, status = {"title": "floor"}, 200
        payload = orjson.dumps(answer)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/taxii+json;version=2.1"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    return app


def parse_only_app() -> Any:
    """``uvicorn --factory`` entry: the parse-only floor."""
    return floor_app(store=False)


def store_only_app() -> Any:
    """``uvicorn --factory`` entry: the store-only floor."""
    return floor_app(store=True)


def check_store_app() -> Any:
    """``uvicorn --factory`` entry: cirx's object checks (patterns validated), then the store-only floor."""
    return floor_app(store=True, check=True)


def start_floor(name: str, factory: str, db: Path) -> Any:
    from taxii import OUT, Target, _wait, free_port

    port = free_port()
    env = dict(os.environ, FLOOR_DB=str(db))
    log = (OUT / f"{name}.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--app-dir", str(HERE), "--factory",
                                f"floor:{factory}", "--host", "127.0.0.1", "--port", str(port),
                                "--log-level", "warning", "--no-access-log"], stdout=log, stderr=log, env=env)
    _wait(f"http://127.0.0.1:{port}/taxii2/", process, name)
    return Target(name, process, f"http://127.0.0.1:{port}/floor/collections/c/", {}, {})


def post_round(count: int, chunk: int, tmp: Path, round_no: int) -> dict[str, float]:
    """objects/s of one POST run per server."""
    from taxii import make_cirx_store, post_all, start_cirx, start_medallion

    rates = {}
    factories = {"parse only": "parse_only_app", "store only": "store_only_app",
                 "checks + store only": "check_store_app"}
    for name in ("medallion", *factories, "cirx"):
        db = tmp / f"post-{round_no}-{name.replace(' ', '-')}.db"
        if name == "medallion":
            target = start_medallion(tmp)
        elif name == "cirx":
            target = start_cirx(db, *make_cirx_store(db))
        else:
            target = start_floor(name.replace(" ", "-").replace("+", "and"), factories[name], db)
        try:
            rates[name] = count / post_all(target, count, chunk)
        finally:
            target.stop()
    return rates


# -- report --------------------------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--worker", nargs=3)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    (HERE / "out").mkdir(exist_ok=True)
    lines = [f"load average at the start: {os.getloadavg()[0]:.1f}", ""]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if ATTACK.exists():
            bundle: dict[str, list[float]] = {"parse": [], "unsafe": [], "store": [], "cirx": []}
            for i in range(args.rounds):
                for kind, rates in bundle.items():
                    result = run_worker(kind, str(ATTACK), str(tmp / f"{kind}-{i}.db"))
                    rates.append(result["objects"] / result["seconds"])
            lines += ["| ATT&CK v18.1 (20,258 objects) | objects/s, median (range) | share of the 50,000/s target |",
                      "| --- | ---: | ---: |"]
            labels = {"parse": "read + orjson parse only",
                      "unsafe": "store only, not durable (no journal, synchronous=OFF)",
                      "store": "store only (one table, WAL, synchronous=NORMAL, commit)", "cirx": "cirx import"}
            for kind, rates in bundle.items():
                lines.append(f"| {labels[kind]} | {spread(rates)} | {statistics.median(rates) / 50_000:.2f} |")
            lines.append("")
        posts: dict[str, list[float]] = {}
        for i in range(args.rounds):
            for name, rate in post_round(args.posts, args.chunk, tmp, i).items():
                posts.setdefault(name, []).append(rate)
        medallion = posts["medallion"]
        lines += [f"| POST {args.posts:,} indicators in envelopes of {args.chunk:,} | objects/s, median (range) | "
                  "x medallion, per round: median (range) |", "| --- | ---: | ---: |"]
        for name, rates in posts.items():
            ratios = [r / m for r, m in zip(rates, medallion, strict=True)]
            lines.append(f"| {name} | {spread(rates)} | {statistics.median(ratios):.1f}x "
                         f"({min(ratios):.1f}–{max(ratios):.1f}x) |")
    lines += ["", f"load average at the end: {os.getloadavg()[0]:.1f}"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
