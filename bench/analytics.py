"""Benchmarks of the norms analytics: country profiles over EuRepoC, dyad statistics over 100,000 incidents.

    python bench/analytics.py [--incidents 100000] [--repeat 3]

1. Imports EuRepoC v1.1 (../shared/data/eurepoc) into a SQLite store under
   bench/out (once) and times building the profiles of every country it names
   (one pass: incidents, assessments, responses, Budapest status, capacity).
2. Writes N synthetic incidents (deterministic: 60 states, power-law dyads,
   2000-2023, types and intensities) into another SQLite store (once) and times
   the dyad statistics: rows from the index tables plus the aggregation
   (``cirx stats dyad-trends``), the rivalries, and the aggregation alone over
   in-memory rows.

Reports the best of ``--repeat`` runs (wall clock, seconds).  Targets: all
EuRepoC profiles < 2 s; dyad statistics over 100,000 incidents < 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cirx import Platform, Settings
from cirx.analysis.norms import trends
from cirx.analysis.norms.service import NormsService
from cirx.ingest.report import ImportReport
from cirx.model.incident import cirx_identity, extension_definition, make_incident
from cirx.store.reader import IncidentFilter

OUT = Path(__file__).with_name("out")
EUREPOC = Path(__file__).resolve().parents[2] / "shared" / "data" / "eurepoc"
STATES = ("US", "CN", "RU", "IR", "KP", "IL", "UA", "GB", "DE", "FR", "IN", "PK", "KR", "JP", "TW", "SA", "TR",
          "AZ", "AM", "GE", "EE", "LT", "LV", "PL", "NL", "BE", "IT", "ES", "SE", "FI", "NO", "DK", "CA", "AU",
          "BR", "MX", "AR", "CL", "CO", "VE", "EG", "ET", "NG", "ZA", "KE", "MA", "DZ", "SY", "IQ", "LB", "AE",
          "QA", "VN", "PH", "MY", "ID", "TH", "SG", "BD", "LK")
TYPES = ("espionage", "data-theft", "ddos", "defacement", "ransomware", "disruption", "sabotage", "doxing")


def best(label: str, run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``run`` (wall clock), printed with its CPU time."""
    timings, cpu, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"{label}: {min(timings):.3f} s wall, {min(cpu):.3f} s CPU (best of {repeat}; "
          f"wall {', '.join(f'{t:.3f}' for t in timings)}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return min(timings), result


def platform(name: str) -> Platform:
    """A platform on a SQLite file under bench/out."""
    OUT.mkdir(exist_ok=True)
    return Platform(Settings(database_url=f"sqlite:///{OUT / name}", data_dir=OUT)).init()


def synthetic(count: int) -> Iterator[dict[str, Any]]:
    """``count`` deterministic synthetic incidents between the 60 states."""
    rng = random.Random(20261122)
    weights = [1 / (i + 1) for i in range(len(STATES))]
    for i in range(count):
        initiator = rng.choices(STATES, weights)[0]
        receiver = rng.choices(STATES, weights)[0]
        while receiver == initiator:
            receiver = rng.choice(STATES)
        year = rng.randint(2000, 2023)
        yield make_incident(
            source="synthetic", external_id=str(i), name=f"Synthetic incident {i}",
            modified="2026-01-01T00:00:00.000Z",
            ir={"initiator_countries": [initiator], "receiver_countries": [receiver],
                "incident_types": rng.sample(TYPES, rng.randint(1, 2)),
                "start_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "intensity": {"value": float(rng.randint(0, 8)), "scale": "synthetic"}})


def profiles(repeat: int) -> float:
    """Time every EuRepoC country's profile."""
    cirx = platform("analytics-eurepoc.db")
    if not cirx.reader.count_incidents(IncidentFilter()):
        cirx.imports.dataset("eurepoc", EUREPOC)
    service = NormsService(cirx.engine, cirx.reader)
    seconds, found = best("profiles of every EuRepoC country", service.profiles, repeat)
    print(f"  {len(found)} countries from {cirx.reader.count_incidents(IncidentFilter())} incidents")
    best("  one profile (UA)", lambda: service.profile("UA"), repeat)
    cirx.close()
    return seconds


def dyads(count: int, repeat: int) -> float:
    """Time dyad statistics over ``count`` synthetic incidents."""
    cirx = platform(f"analytics-{count}.db")
    if cirx.reader.count_incidents(IncidentFilter()) != count:
        started = time.perf_counter()
        cirx.writer.import_objects(iter([cirx_identity(), extension_definition(), *synthetic(count)]),
                                   ImportReport(source="synthetic"))
        print(f"wrote {count} synthetic incidents in {time.perf_counter() - started:.1f} s")
    service = NormsService(cirx.engine, cirx.reader)
    everything = IncidentFilter()
    seconds, found = best(f"dyad trends over {count} incidents (store + aggregation)",
                          lambda: service.dyad_trends(everything), repeat)
    print(f"  {len(found)} directed dyads")
    best(f"dyad trends without intensity over {count} incidents", lambda: service.dyad_trends(everything,
                                                                                              intensity=False), repeat)
    best(f"rivalries over {count} incidents (store + aggregation)", lambda: service.rivalries(everything), repeat)
    best(f"`cirx stats dyads` over {count} incidents (SQL group by)", lambda: cirx.reader.dyads(everything), repeat)
    rows = service.rows(everything)
    best(f"dyad trends over {count} in-memory rows (aggregation alone)", lambda: trends.dyad_trends(rows), repeat)
    cirx.close()
    return seconds


def main() -> None:
    """Run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    profile_seconds = profiles(args.repeat)
    dyad_seconds = dyads(args.incidents, args.repeat)
    print(f"targets: profiles {profile_seconds:.2f} s (< 2 s), dyads {dyad_seconds:.2f} s (< 1 s)")


if __name__ == "__main__":
    main()
