"""Ingest benchmark: cirx against the OASIS ``stix2`` library, on the same objects, in one run.

    python bench/ingest.py [--indicators 1000000] [--stix2-sample 20000]

Measures, each in its own process so that peak memory (max RSS) is that run's alone:
  1. the ATT&CK Enterprise bundle (../shared/data/attack): cirx into a fresh SQLite store,
     and ``stix2.parse`` + ``MemoryStore`` on the same bundle;
  2. a synthetic bundle of indicators, every STIX pattern validated: cirx on the whole bundle
     and on its first N indicators, ``stix2.parse`` (which validates patterns) on the same N
     (stix2 runs about 1,100-1,500 indicators/s here: ``--stix2-sample 1000000`` compares the
     whole million in about 13 minutes, the default 20,000 in about a minute);
  3. agreement of cirx's pattern validator with ``stix2-patterns`` on the test corpus.
Prints a Markdown table to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ATTACK = HERE.parents[1] / "shared" / "data" / "attack" / "enterprise-attack-v18.1-no-campaigns.json"
sys.path.insert(0, str(HERE))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_cirx(bundle: str, db: str) -> dict[str, float]:
    """Import one bundle into a fresh SQLite store."""
    from cirx import Platform, Settings

    platform = Platform(Settings(database_url=f"sqlite:///{db}")).init()
    started = time.perf_counter()
    [report] = platform.imports.stix(bundle)
    seconds = time.perf_counter() - started
    platform.close()
    return {"objects": report.imported, "seconds": seconds, "peak_mib": _peak_mib()}


def worker_stix2(bundle: str, limit: int) -> dict[str, float]:
    """``stix2.parse`` every object (up to ``limit``) into a MemoryStore."""
    import ijson
    import stix2

    store = stix2.MemoryStore()
    started = time.perf_counter()
    count = 0
    with open(bundle, "rb") as stream:
        objects = ijson.items(stream, "objects.item", use_float=True)
        for obj in itertools.islice(objects, limit if limit > 0 else None):
            version = "2.1" if "spec_version" in obj else "2.0"  # ATT&CK is published as STIX 2.0
            store.add(stix2.parse(obj, allow_custom=True, version=version))
            count += 1
    seconds = time.perf_counter() - started
    return {"objects": count, "seconds": seconds, "peak_mib": _peak_mib()}


def head_bundle(source: Path, count: int, target: Path) -> Path:
    """The first ``count`` objects of a bundle, as a bundle of their own."""
    import ijson

    with source.open("rb") as stream, target.open("w") as out:
        out.write('{"type": "bundle", "id": "bundle--6f2d0f7e-3e6b-4a36-9b7e-0c4d1d7c9a10", "objects": [')
        for i, obj in enumerate(itertools.islice(ijson.items(stream, "objects.item", use_float=True), count)):
            out.write(("," if i else "") + json.dumps(obj))
        out.write("]}")
    return target


def run_worker(*args: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--worker", *args], check=True,
                            capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def pattern_agreement() -> tuple[int, int]:
    """(patterns checked, disagreements with stix2-patterns) on the test corpus."""
    from cirx.model.pattern import pattern_error
    from pattern_corpus import corpus
    from pattern_speed import reference

    patterns = corpus()
    wrong = [p for p, _ in patterns if (pattern_error(p) is None) != reference(p)]
    return len(patterns), len(wrong)


def row(label: str, result: dict[str, float]) -> str:
    rate = result["objects"] / result["seconds"]
    return (f"| {label} | {int(result['objects']):,} | {result['seconds']:.2f} | {rate:,.0f} | "
            f"{result['peak_mib']:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--stix2-sample", type=int, default=20_000)
    parser.add_argument("--worker", nargs="+")
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        result = worker_cirx(*rest) if kind == "cirx" else worker_stix2(rest[0], int(rest[1]))
        print(json.dumps(result))
        return

    from synth import write_bundle

    out = HERE / "out"
    out.mkdir(exist_ok=True)
    lines = ["| run | objects | seconds | objects/s | peak MiB |", "| --- | ---: | ---: | ---: | ---: |"]
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        if ATTACK.exists():
            cirx = run_worker("cirx", str(ATTACK), f"{tmp}/attack.db")
            stix2 = run_worker("stix2", str(ATTACK), "0")
            lines += [row("ATT&CK v18.1, cirx → SQLite", cirx), row("ATT&CK v18.1, stix2.parse → MemoryStore", stix2)]
            ratios.append(("ATT&CK bundle", cirx, stix2))
        big = write_bundle(out / f"indicators-{args.indicators}.json", args.indicators)
        sample = head_bundle(big, args.stix2_sample, Path(tmp) / "sample.json")
        cirx_big = run_worker("cirx", str(big), f"{tmp}/big.db")
        cirx_sample = run_worker("cirx", str(sample), f"{tmp}/sample.db")
        stix2_sample = run_worker("stix2", str(sample), "0")
        lines += [
            row(f"{args.indicators:,} indicators, patterns validated, cirx → SQLite", cirx_big),
            row(f"first {args.stix2_sample:,} of them, cirx → SQLite", cirx_sample),
            row(f"first {args.stix2_sample:,} of them, stix2.parse → MemoryStore", stix2_sample),
        ]
        ratios.append((f"{args.stix2_sample:,} indicators", cirx_sample, stix2_sample))
    print("\n".join(lines))
    print()
    for label, ours, theirs in ratios:
        ratio = (ours["objects"] / ours["seconds"]) / (theirs["objects"] / theirs["seconds"])
        print(f"- {label}: cirx is {ratio:.1f}x stix2 (objects/s)")
    checked, wrong = pattern_agreement()
    print(f"- pattern validation: {checked} corpus patterns, {wrong} disagreements with stix2-patterns")


if __name__ == "__main__":
    main()
