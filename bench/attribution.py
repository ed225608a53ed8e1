"""Attribution benchmark: latency of one attribution against every ATT&CK group, and (optionally) the evaluation.

    python bench/attribution.py [--db sqlite:///path] [--repeat 200] [--eval]

Without ``--db`` it imports the ATT&CK v18.1 bundle (../shared/data/attack) into a
SQLite store under bench/out once, as ``cirx import stix`` does.  Then:

1. builds the attribution engine from the store (knowledge + index), timed once;
2. attributes a mix of evidence sets (a typical incident, a long technique list, a
   single technique, tools only, with and without a date) ``--repeat`` times each
   and prints the median and 95th percentile per attribution (wall clock, ms),
   scoring every group and producing the full ACH table and caveats;
3. with ``--eval``, runs ``cirx eval attribution`` on the same store and prints its JSON.

Target: one attribution against all groups < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from cirx import Platform, Settings
from cirx.analysis.attribution.attributor import Attributor
from cirx.analysis.attribution.evidence import Evidence
from cirx.analysis.attribution.profiles import build_knowledge

OUT = Path(__file__).with_name("out")
BUNDLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "attack" / "enterprise-attack-v18.1-no-campaigns.json"
CASES = {
    "typical incident": {"techniques": ["T1566.001", "T1204.002", "T1059.001", "T1071.001", "T1547.001"],
                         "software": ["X-Agent"], "victim_countries": ["UA"], "sectors": ["government"],
                         "date": "2016-09-01"},
    "long technique list": {"techniques": ["T1566.001", "T1059.001", "T1105", "T1027", "T1082", "T1083", "T1057",
                                           "T1016", "T1021.002", "T1003.001", "T1070.004", "T1112", "T1055",
                                           "T1078", "T1190", "T1133", "T1486", "T1490", "T1041", "T1560.001"],
                            "date": "2023-05-01"},
    "single technique": {"techniques": ["T1059.001"]},
    "tools only": {"software": ["Mimikatz", "Cobalt Strike", "PsExec"]},
    "notes": {"notes": "Spearphishing with a macro document (T1566.001) dropped Zebrocy; C2 over HTTPS."},
}


def store(db: str | None) -> str:
    """The store to use: ``db``, or the ATT&CK bundle imported once under bench/out."""
    if db:
        return db
    OUT.mkdir(exist_ok=True)
    path = OUT / "attribution-attack.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        started = time.perf_counter()
        with Platform(Settings(database_url=url, data_dir=OUT)) as platform:
            platform.imports.stix(BUNDLE)
        print(f"imported {BUNDLE.name} in {time.perf_counter() - started:.1f} s")
    return url


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store URL (default: ATT&CK v18.1 imported under bench/out)")
    parser.add_argument("--repeat", type=int, default=200, help="attributions per evidence set")
    parser.add_argument("--eval", action="store_true", help="also run the P1/P2 evaluation")
    args = parser.parse_args()
    url = store(args.db)
    with Platform(Settings(database_url=url, data_dir=OUT)) as platform:
        started = time.perf_counter()
        knowledge = build_knowledge(platform.reader)
        read = time.perf_counter() - started
        attributor = Attributor(knowledge)
        built = time.perf_counter() - started
        print(f"knowledge read in {read:.2f} s, engine built in {built - read:.2f} s: "
              f"{int(attributor.index.live.sum())} groups, {len(attributor.index.vocab)} features, "
              f"{len(attributor.index.report_keys)} report rows\n")
        print("| evidence | items | median ms | p95 ms |")
        print("| --- | ---: | ---: | ---: |")
        every = []
        for label, data in CASES.items():
            evidence = Evidence.from_dict(data)
            attributor.attribute(evidence)  # warm up
            timings = []
            for _ in range(args.repeat):
                begin = time.perf_counter()
                result = attributor.attribute(evidence)
                timings.append((time.perf_counter() - begin) * 1000)
            every.extend(timings)
            p95 = statistics.quantiles(timings, n=20)[-1]
            print(f"| {label} | {len(result['evidence']['items'])} | {statistics.median(timings):.1f} | {p95:.1f} |")
        print(f"| all | | {statistics.median(every):.1f} | {statistics.quantiles(every, n=20)[-1]:.1f} |")
        if args.eval:
            from cirx.analysis.attribution.evaluate import run

            started = time.perf_counter()
            result = run(build_knowledge(platform.reader, incidents=False, indicators=False))
            print(f"\nevaluation in {time.perf_counter() - started:.0f} s")
            print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
