"""Extraction throughput on one core: cirx's IoC extractor against ioc-finder and iocsearcher, the full
pipeline, and the worst case over hostile inputs (long lines of dots, at-signs, hex...).

    python bench/extraction.py [--db sqlite:///...] [--sample-kb 400] [--json]

Texts: the TRAM reports in ../shared/data/tram (else a synthetic report).  Every extractor runs on the
same texts in this one run; each third-party call runs in a child process with a time limit, so a
catastrophic backtrack shows as a time-out instead of hanging the bench.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one core

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

HOSTILE = {
    "dots": "a." * 500_000, "defanged dots": "a[.]" * 250_000, "digits and dots": "1." * 500_000,
    "at-signs": "a@b." * 250_000, "one long word": "a" * 1_000_000, "hxxp + long word": "hxxp://" + "a" * 999_993,
    "backslashes": "HKLM\\" + "a b\\" * 250_000, "hex": "ab12" * 250_000, "brackets": "[(.)]" * 200_000,
    "sentences": "Word. " * 166_666, "mixed": "x.y@z[.]w\\" * 100_000,
}


def corpus() -> list[str]:
    """The TRAM reports, else a synthetic report made of the IoC gold suite's cases."""
    tram = SHARED / "tram" / "tram2_train_docs.json"
    if tram.is_file():
        return [doc["text"] for doc in json.loads(tram.read_text(encoding="utf-8"))]
    gold = json.loads((ROOT / "tests" / "extract" / "ioc_gold.json").read_text(encoding="utf-8"))
    text = " ".join(case["text"] for case in gold["cases"])
    return [text] * 200


def _third_party(name: str, texts: list[str], queue: Any) -> None:
    if name == "ioc-finder":
        from ioc_finder import find_iocs

        def run(text: str) -> None:
            find_iocs(text)
    else:
        from iocsearcher.searcher import Searcher

        searcher = Searcher()

        def run(text: str) -> None:
            searcher.search_data(text)
    started = time.process_time()
    for text in texts:
        run(text)
    queue.put(time.process_time() - started)


def third_party(name: str, texts: list[str], limit: float) -> float | None:
    """CPU seconds a third-party extractor takes on ``texts``; None when it ran past ``limit`` seconds."""
    queue: Any = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=_third_party, args=(name, texts, queue))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return float(queue.get()) if not queue.empty() else None


def timed(function: Any, texts: list[str]) -> float:
    started = time.process_time()
    for text in texts:
        function(text)
    return time.process_time() - started


def extractor(db: str | None) -> Any:
    """The full pipeline: the store's names and model, else names and a model from the ATT&CK bundle."""
    from cirx.extract.entities import build_gazetteer
    from cirx.extract.service import Extractor
    from cirx.extract.techniques import TechniqueModel, attack_examples

    if db:
        from cirx import Platform, Settings

        return Extractor.for_platform(Platform(Settings.from_env(database_url=db)).init())
    bundle = SHARED / "attack" / "enterprise-attack-v18.1-no-campaigns.json"
    if not bundle.is_file():
        sys.path.insert(0, str(ROOT))
        from tests.extract.fixtures import attack_bundle

        objects = attack_bundle()["objects"]
    else:
        objects = json.loads(bundle.read_text(encoding="utf-8"))["objects"]
    examples, names = attack_examples(objects)
    return Extractor(TechniqueModel.train(examples, names, min_examples=1), build_gazetteer(objects))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store to take names and the technique model from")
    parser.add_argument("--sample-kb", type=int, default=400, help="size of the text the third parties get")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds a third-party run may take")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from cirx.extract import warninglists
    from cirx.extract.iocs import extract_iocs
    from cirx.extract.text import Document

    warninglists.warm()
    texts = corpus()
    total = sum(len(t.encode("utf-8")) for t in texts)
    sample, size = [], 0
    for text in texts:
        if size >= args.sample_kb * 1024:
            break
        sample.append(text)
        size += len(text.encode("utf-8"))
    results: dict[str, Any] = {"corpus_bytes": total, "sample_bytes": size, "cpu_seconds": {}, "mb_per_s": {}}

    def record(name: str, seconds: float | None, nbytes: int) -> None:
        results["cpu_seconds"][name] = None if seconds is None else round(seconds, 3)
        results["mb_per_s"][name] = None if not seconds else round(nbytes / 1e6 / seconds, 3)

    record("cirx iocs (corpus)", timed(extract_iocs, texts), total)
    record("cirx iocs (sample)", timed(extract_iocs, sample), size)
    for name in ("ioc-finder", "iocsearcher"):
        record(f"{name} (sample)", third_party(name, sample, args.limit), size)
    pipeline = extractor(args.db)
    record("cirx full pipeline (corpus)",
           timed(lambda text: pipeline.extract(Document("bench", "text", text)), texts), total)
    worst: dict[str, float] = {}
    for name, text in HOSTILE.items():
        seconds = timed(lambda t: pipeline.extract(Document("hostile", "text", t)), [text])
        worst[name] = round(seconds / (len(text) / 1e6), 3)
    results["hostile_seconds_per_mb_full_pipeline"] = worst
    long_line = ["see " + "a." * 25_000 + " and " + "x" * 50_000]
    results["long_line_100kb_cpu_seconds"] = {
        "cirx iocs": round(timed(extract_iocs, long_line), 3),
        **{name: third_party(name, long_line, 60.0) for name in ("ioc-finder", "iocsearcher")}}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, rate in results["mb_per_s"].items():
        print(f"{name:32s} {rate if rate is not None else 'timed out':>10} MB/s")
    print("hostile inputs, full pipeline, s/MB:", worst)
    print("100 KB long line, CPU s (None: timed out):", results["long_line_100kb_cpu_seconds"])


if __name__ == "__main__":
    main()
