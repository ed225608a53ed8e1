"""Web workspace benchmark: server time, browser paint times and latency under 20 users, per page.

    python bench/web.py [--requests 100] [--users 20] [--per-user 25] [--loads 5] [--caller anonymous]
                        [--workers 1] [--pages /,/incidents,/actors/G0007] [--rebuild] [--results]

1. The store: the web tests' seed (``tests/web/seed.py``: the offline knowledge base, ATT&CK v18.1 and
   EuRepoC from ../shared/data, plus two organisations and CERT-EE's AMBER/RED incidents), built once
   into ``bench/out/web-store/`` and reused while ``tests/web/seed.py`` is unchanged (``--rebuild``
   builds it again).
2. The server: ``cirx serve --db ... --port ...`` in a subprocess (uvicorn, one process as a user
   runs it, or ``--workers N``), with anonymous reads on (``CIRX_ANONYMOUS_READ=true``, what ``make demo`` serves).
   ``--caller owner`` sends CERT-EE's session cookie instead (the access policy with an organisation).
3. For each page: **server time**, the time to the last byte seen by a local httpx client, one user,
   ``--requests`` requests after 3 warm-up requests (p50/p99); **browser** first paint and first
   contentful paint (Chromium headless through Playwright, ``performance.getEntriesByType('paint')``),
   and the load event, the median of ``--loads`` loads in a fresh tab (static assets cached, as on any
   visit after the first); **under load**, ``--users`` threads each sending ``--per-user`` requests
   with their own keep-alive connection (p50/p95/p99 and requests/s).

Prints a Markdown table and writes it with the raw figures to ``bench/out/web.md`` and ``web.json``;
``--results`` also appends it, with the command and the date, to ``bench/RESULTS.md``.
Target (issue 7): p99 under 300 ms server time for each page.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
STORE = OUT / "web-store"
SHARED = Path(os.environ.get("CIRX_SHARED_DATA", ROOT.parent / "shared" / "data"))
CHROMIUM = os.environ.get("CIRX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
TARGET_P99_MS = 300.0
sys.path.insert(0, str(ROOT))


# -- the store -----------------------------------------------------------------------------------------


def seed_key() -> str:
    """What the cached store depends on: the seed script's text."""
    return hashlib.sha256((ROOT / "tests" / "web" / "seed.py").read_bytes()).hexdigest()[:16]


def store(rebuild: bool) -> dict[str, Any]:
    """The seeded store in ``bench/out/web-store`` (built when missing, stale or ``rebuild``): its facts."""
    marker = STORE / "seed.json"
    if not rebuild and marker.is_file():
        facts = json.loads(marker.read_text())
        if facts.get("key") == seed_key() and (STORE / "cirx.db").is_file():
            return dict(facts)
    from tests.web.seed import seed

    if not SHARED.is_dir():
        raise SystemExit(f"bench/web.py: the shared datasets are not at {SHARED} (set CIRX_SHARED_DATA)")
    shutil.rmtree(STORE, ignore_errors=True)
    STORE.mkdir(parents=True)
    started = time.perf_counter()
    seeded = seed(STORE, SHARED)
    facts = {"key": seed_key(), "owner_token": seeded.owner_token, "secret_ids": list(seeded.secret_ids),
             "built_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(facts, indent=1))
    print(f"built the store in {facts['built_s']} s: {STORE}", file=sys.stderr)
    return facts


# -- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """``cirx serve`` on the store (``workers`` processes), anonymous reads on; returns once it answers."""
    script = Path(sys.executable).with_name("cirx")
    command = [str(script)] if script.is_file() else [sys.executable, "-c", "from cirx.cli import main; main()"]
    env = dict(os.environ, CIRX_ANONYMOUS_READ="true", CIRX_DATA_DIR=str(STORE))
    OUT.mkdir(exist_ok=True)
    log = (OUT / "web-server.log").open("wb")
    options = ["--workers", str(workers)] if workers > 1 else []
    process = subprocess.Popen([*command, "serve", "--db", f"sqlite:///{STORE / 'cirx.db'}", "--port", str(port),
                                *options], stdout=log, stderr=log, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"cirx serve exited with {process.returncode}; see {OUT / 'web-server.log'}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/cirx.css", timeout=2)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("cirx serve did not answer within 120 s")


# -- measuring -----------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class PageResult:
    """The figures of one page."""

    path: str
    status: int = 0
    bytes: int = 0
    server_ms: list[float] = field(default_factory=list)
    paint: dict[str, float] = field(default_factory=dict)
    load_ms: list[float] = field(default_factory=list)
    load_wall_s: float = 0.0


def one_user(client: httpx.Client, url: str, count: int, warmup: int = 3) -> tuple[int, int, list[float]]:
    """Status, size and the time to last byte (ms) of ``count`` sequential requests after ``warmup``."""
    status = size = 0
    times = []
    for i in range(warmup + count):
        started = time.perf_counter()
        response = client.get(url)
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        status, size = response.status_code, len(body)
        if i >= warmup:
            times.append(elapsed)
    return status, size, times


def app_ms(response: httpx.Response) -> float | None:
    """The application's own time from the ``Server-Timing: app;dur=MS`` header (None without it)."""
    for part in response.headers.get("server-timing", "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name == "app" and duration:
            return float(duration)
    return None


def many_users(url: str, users: int, per_user: int,
               cookies: dict[str, str]) -> tuple[list[float], list[float], float, int]:
    """Latencies (ms) of ``users`` threads × ``per_user`` requests, the app's own times (``Server-Timing``),
    the wall time, and non-200 answers."""
    latencies: list[float] = []
    app_times: list[float] = []
    failures = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(users)

    def user() -> None:
        with httpx.Client(cookies=cookies, timeout=120) as client:
            client.get(url).read()  # open the connection before the clock starts
            barrier.wait()
            mine = []
            mine_app = []
            for _ in range(per_user):
                started = time.perf_counter()
                response = client.get(url)
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                measured = app_ms(response)
                if measured is not None:
                    mine_app.append(measured)
                if response.status_code != 200:
                    with lock:
                        failures[0] += 1
            with lock:
                latencies.extend(mine)
                app_times.extend(mine_app)

    threads = [threading.Thread(target=user) for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, app_times, time.perf_counter() - started, failures[0]


def browser_paints(base: str, paths: list[str], loads: int, cookies: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Median first paint, first contentful paint and load event (ms) of ``loads`` loads per page."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
        if cookies:
            context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
        context.new_page().goto("/static/cirx.css")  # the static assets are cached, as after a first visit
        for path in paths:
            samples: dict[str, list[float]] = {"first-paint": [], "first-contentful-paint": [], "load": []}
            for _ in range(loads):
                page = context.new_page()
                page.goto(path, wait_until="load")
                timing = page.evaluate("""() => new Promise(resolve => {
                    const finish = () => {
                        const out = {};
                        for (const e of performance.getEntriesByType('paint')) out[e.name] = e.startTime;
                        const nav = performance.getEntriesByType('navigation')[0];
                        out.load = nav.loadEventStart; out.ttfb = nav.responseStart;
                        resolve(out);
                    };
                    const painted = () => performance.getEntriesByType('paint')
                        .some(e => e.name === 'first-contentful-paint');
                    if (painted()) return finish();
                    // Paint entries may come after the load event: wait for them (at most 5 s).
                    new PerformanceObserver(() => { if (painted()) finish(); }).observe({type: 'paint', buffered: true});
                    setTimeout(finish, 5000);
                })""")
                for name in samples:
                    if name in timing:
                        samples[name].append(float(timing[name]))
                page.close()
            results[path] = {name: (statistics.median(v) if v else None) for name, v in samples.items()}
        browser.close()
    return results


# -- the report ----------------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    """A millisecond figure for the table."""
    return "n/a" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The Markdown table of the run."""
    target = f"{TARGET_P99_MS:.0f}"
    lines = [f"| page | HTTP | KiB | server p50 ms | server p99 ms | first paint ms | FCP ms | load ms | "
             f"{args.users} users p50 ms | p95 ms | p99 ms | server time under {args.users} users p50 ms | p99 ms | "
             f"req/s | server p99 < {target} ms | {args.users}-user server p99 < {target} ms | "
             f"{args.users}-user client p99 < {target} ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| --- | --- | --- |"]
    for r in results:
        verdicts = ["n/a" if value is None else "met" if value < TARGET_P99_MS else "**not met**"
                    for value in (r["server_p99"], r.get("app_p99"), r["load_p99"])]
        if r.get("reference"):
            verdicts = ["(reference)"] * 3
        lines.append(
            f"| `{r['path']}` | {r['status']} | {r['bytes'] / 1024:,.1f} | {fmt(r['server_p50'])} | "
            f"{fmt(r['server_p99'])} | {fmt(r.get('first_paint'))} | {fmt(r.get('fcp'))} | {fmt(r.get('load'))} | "
            f"{fmt(r['load_p50'])} | {fmt(r['load_p95'])} | {fmt(r['load_p99'])} | {fmt(r.get('app_p50'))} | "
            f"{fmt(r.get('app_p99'))} | {r['rps']:,.1f} | {verdicts[0]} | {verdicts[1]} | {verdicts[2]} |")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark and print (and optionally record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", default="/,/incidents,/actors/G0007")
    parser.add_argument("--requests", type=int, default=100, help="sequential requests per page (one user)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--per-user", type=int, default=25)
    parser.add_argument("--loads", type=int, default=5, help="browser loads per page")
    parser.add_argument("--reference", default="/static/favicon.svg",
                        help="a static file measured the same way: the floor set by the client and uvicorn")
    parser.add_argument("--workers", type=int, default=1, help="cirx serve --workers (processes)")
    parser.add_argument("--caller", choices=["anonymous", "owner"], default="anonymous")
    parser.add_argument("--rebuild", action="store_true", help="build the seeded store again")
    parser.add_argument("--no-browser", action="store_true", help="skip the paint timings")
    parser.add_argument("--results", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()
    command = "python bench/web.py " + " ".join(sys.argv[1:])
    paths = [p.strip() for p in args.pages.split(",") if p.strip()]

    facts = store(args.rebuild)
    cookies = {"cirx_session": facts["owner_token"]} if args.caller == "owner" else {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()
    started = time.perf_counter()
    process = serve(port, args.workers)
    results: list[dict[str, Any]] = []
    try:
        with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
            for path in [*paths, *([args.reference] if args.reference else [])]:
                status, size, times = one_user(client, path, args.requests)
                print(f"{path}: HTTP {status}, {size:,} bytes, server p50 {percentile(times, 50):.1f} ms",
                      file=sys.stderr)
                latencies, app_times, wall, failed = many_users(base + path, args.users, args.per_user, cookies)
                results.append({"path": path, "status": status, "bytes": size, "server_ms": times,
                                "server_p50": percentile(times, 50), "server_p99": percentile(times, 99),
                                "load_p50": percentile(latencies, 50), "load_p95": percentile(latencies, 95),
                                "load_p99": percentile(latencies, 99), "rps": len(latencies) / wall,
                                "load_failures": failed, "load_ms": latencies,
                                "app_p50": percentile(app_times, 50) if app_times else None,
                                "app_p99": percentile(app_times, 99) if app_times else None,
                                "reference": path == args.reference})
        paints = {} if args.no_browser else browser_paints(base, paths, args.loads, cookies)
        for r in results:
            paint = paints.get(r["path"], {})
            r.update(first_paint=paint.get("first-paint"), fcp=paint.get("first-contentful-paint"),
                     load=paint.get("load"))
    finally:
        process.terminate()
        process.wait(timeout=30)
    load_after = os.getloadavg()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rendered = table(results, args)
    note = (f"Run on {when}, {time.perf_counter() - started:.0f} s, load average {load_before[0]:.1f} at the start "
            f"and {load_after[0]:.1f} at the end ({os.cpu_count()} cores); caller: {args.caller}; "
            f"{args.requests} sequential requests per page after 3 warm-ups for the server time (time to last "
            f"byte, local httpx client); browser: median of {args.loads} loads in Chromium headless "
            f"(static assets cached); {args.users} concurrent users × {args.per_user} requests for the load "
            f"columns (`cirx serve`, {args.workers} uvicorn process{'es' if args.workers > 1 else ''}; the "
            f"{args.users} client threads run in the benchmark's own process on the same cores); the server time "
            f"under load is the app's own time from its `Server-Timing` header, the client columns the time "
            f"to last byte. `{args.reference}` is a static file measured the same way: "
            f"the floor that the client, uvicorn and the machine set.")
    print(rendered)
    print()
    print(note)
    OUT.mkdir(exist_ok=True)
    (OUT / "web.md").write_text(f"{rendered}\n\n{note}\n")
    (OUT / "web.json").write_text(json.dumps({"command": command, "when": when, "results": results}, indent=1))
    if args.results:
        section = f"\n## Web workspace (issue 7): `{command.strip()}`\n\n{note}\n\n{rendered}\n"
        with (HERE / "RESULTS.md").open("a") as handle:
            handle.write(section)


if __name__ == "__main__":
    main()
