"""``cirx eval extraction``: how well extraction does, measured on annotated data.

- Techniques, per document, on TRAM 2 reports split *by report* (k-fold
  cross-validation over the reports, or a separate test file): micro-F1 and
  macro-F1 (over techniques) of each report's technique set, and the mean
  per-report F1, for cirx and for the baseline side by side.  The baseline is a
  TF-IDF logistic regression trained on the TRAM training reports alone; cirx
  adds ATT&CK's procedure examples and uses a linear SVM.  Only the techniques
  TRAM annotates are scored (the annotators labelled no others).
- Entities, on AnnoCTR's dev split, per type: exact-span and overlap ("lenient")
  precision, recall and F1, and how many linked mentions get the right ATT&CK id.
- Indicators, on a gold suite of defanged variants and benign traps.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from cirx.extract.corpora import LabelledReport, read_annoctr
from cirx.extract.entities import extract_entities
from cirx.extract.gazetteer import Gazetteer
from cirx.extract.iocs import extract_iocs
from cirx.extract.techniques import Example, TechniqueModel, report_examples
from cirx.extract.text import sentences

BASELINE_THRESHOLD = 0.05
_ANNOCTR_TYPES = {"GROUP": "group", "MALWARE": "malware", "TOOL": "tool", "LOC": "country",
                  "ORG": "organisation", "SECTOR": "sector", "DATE": "date"}


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (0 when nothing was found or expected)."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def set_scores(predicted: Sequence[set[str]], gold: Sequence[set[str]]) -> dict[str, float]:
    """Micro-F1, macro-F1 (over labels) and mean per-document F1 of predicted label sets."""
    tp = fp = fn = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    documents = []
    for found, expected in zip(predicted, gold, strict=True):
        for label in found & expected:
            per[label][0] += 1
        for label in found - expected:
            per[label][1] += 1
        for label in expected - found:
            per[label][2] += 1
        tp, fp, fn = tp + len(found & expected), fp + len(found - expected), fn + len(expected - found)
        documents.append(f1(len(found & expected), len(found - expected), len(expected - found))
                         if found or expected else 1.0)
    macro = sum(f1(*counts) for counts in per.values()) / len(per) if per else 0.0
    return {"micro_f1": round(f1(tp, fp, fn), 4), "macro_f1": round(macro, 4),
            "document_f1": round(sum(documents) / len(documents), 4) if documents else 0.0,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0, "documents": len(documents)}


def split_by_report(reports: Sequence[LabelledReport], folds: int, seed: int = 0) -> list[list[int]]:
    """Report indices in ``folds`` groups (by report, never by sentence)."""
    order = list(range(len(reports)))
    random.Random(seed).shuffle(order)
    return [order[k::folds] for k in range(folds)]


Trainer = Callable[[list[LabelledReport], list[tuple[str, str, str]]], Callable[[str], set[str]]]


def cirx_trainer(attack: list[Example], names: dict[str, str]) -> Trainer:
    """cirx's technique model: TRAM reports and sentences plus ATT&CK's examples.

    The model learns the techniques TRAM annotates; ATT&CK's procedure examples of the other techniques
    stay in as down-weighted negatives (see :class:`TechniqueModel`).
    """
    def train(reports: list[LabelledReport], single: list[tuple[str, str, str]]) -> Callable[[str], set[str]]:
        examples = _tram_examples(reports, single)
        labels = {label for example in examples for label in example.labels}
        model = TechniqueModel.train(examples + attack, names, labels=labels)
        return lambda text: {hit.id for hit in model.predict(list(sentences(text)))}
    return train


def baseline_trainer(reports: list[LabelledReport], single: list[tuple[str, str, str]]) -> Callable[[str], set[str]]:
    """The baseline: TF-IDF and logistic regression on the TRAM training reports alone."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    examples = _tram_examples(reports, single)
    labels = sorted({label for example in examples for label in example.labels})
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=150_000)
    matrix = vectorizer.fit_transform([e.text for e in examples])
    targets = MultiLabelBinarizer(classes=labels).fit_transform([sorted(e.labels) for e in examples])
    model = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear")).fit(matrix, targets)

    def predict(text: str) -> set[str]:
        cut = [s.text for s in sentences(text)]
        if not cut:
            return set()
        best = model.predict_proba(vectorizer.transform(cut)).max(axis=0)
        return {label for label, p in zip(labels, best, strict=True) if p >= BASELINE_THRESHOLD}
    return predict


def _tram_examples(reports: Iterable[LabelledReport], single: list[tuple[str, str, str]]) -> list[Example]:
    reports = list(reports)
    titles = {r.title for r in reports}
    examples = [e for report in reports for e in report_examples(report)]
    examples += [Example(report.text[start:end], frozenset({label}))  # the annotated spans themselves
                 for report in reports for start, end, label in report.spans]
    examples += [Example(text, frozenset({label})) for text, label, title in single if title in titles]
    return examples


def evaluate_techniques(trainers: dict[str, Trainer], reports: list[LabelledReport],
                        single: list[tuple[str, str, str]], *, test: list[LabelledReport] | None = None,
                        folds: int = 5, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Per-document scores of each trainer: on ``test`` if given, else by k-fold over the reports."""
    plan = [(list(reports), list(test))] if test else [
        ([r for i, r in enumerate(reports) if i not in set(group)], [reports[i] for i in group])
        for group in split_by_report(reports, folds)]
    core = {label for _text, label, _title in single}
    results: dict[str, Any] = {}
    for name, trainer in trainers.items():
        predicted: list[set[str]] = []
        gold: list[set[str]] = []
        for index, (train, held_out) in enumerate(plan):
            if progress:
                progress(f"{name}: fold {index + 1}/{len(plan)}")
            scored = {t for r in train for t in r.techniques}
            predict = trainer(train, single)
            for report in held_out:
                predicted.append(predict(report.text) & scored)
                gold.append(set(report.techniques) & scored)
        results[name] = {"all_techniques": _scores(predicted, gold)}
        if core:
            results[name]["tram_core"] = _scores([p & core for p in predicted], [g & core for g in gold])
    results["protocol"] = "held-out test file" if test else f"{folds}-fold cross-validation by report"
    results["label_spaces"] = {"all_techniques": "every technique TRAM annotates in the training reports",
                               "tram_core": f"the {len(core)} techniques of TRAM's single-label sentence set"}
    return results


def _scores(predicted: list[set[str]], gold: list[set[str]]) -> dict[str, Any]:
    per_document = [round(f1(len(p & g), len(p - g), len(g - p)), 3) if p or g else 1.0
                    for p, g in zip(predicted, gold, strict=True)]
    return set_scores(predicted, gold) | {"per_document_f1": per_document}


def evaluate_entities(root: Path, gazetteer: Gazetteer, split: str = "dev") -> dict[str, Any]:
    """Per-type precision/recall/F1 (exact and lenient) and linking accuracy on AnnoCTR."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    links = Counter[str]()
    reports = read_annoctr(root, split)
    for report in reports:
        found = extract_entities(report.text, gazetteer)
        for gold_type, ours in _ANNOCTR_TYPES.items():
            expected = [(s, e) for k, s, e in report.entities if k == gold_type]
            predicted = [(x.start, x.end) for x in found if x.type == ours]
            exact = len(set(expected) & set(predicted))
            lenient = _overlaps(predicted, expected)
            counts[gold_type].update({"exact_tp": exact, "exact_fp": len(predicted) - exact,
                                      "exact_fn": len(expected) - exact, "tp": lenient,
                                      "fp": len(predicted) - lenient, "fn": len(expected) - lenient})
        for _kind, mention, attack_id in report.links:
            mentions = [x for x in found if x.text.casefold() == mention.casefold()]
            links.update({"linked": 1, "found": bool(mentions),
                          "right": any(x.id == attack_id for x in mentions)})
    scores = {kind: {"f1": round(f1(c["tp"], c["fp"], c["fn"]), 4),
                     "precision": round(c["tp"] / (c["tp"] + c["fp"]), 4) if c["tp"] + c["fp"] else 0.0,
                     "recall": round(c["tp"] / (c["tp"] + c["fn"]), 4) if c["tp"] + c["fn"] else 0.0,
                     "exact_f1": round(f1(c["exact_tp"], c["exact_fp"], c["exact_fn"]), 4),
                     "gold": c["tp"] + c["fn"]} for kind, c in counts.items()}
    return {"split": split, "reports": len(reports), "types": scores,
            "linking": {"linked_mentions": links["linked"], "found": links["found"], "right_id": links["right"],
                        "right_of_linked": round(links["right"] / links["linked"], 4) if links["linked"] else 0.0,
                        "right_of_found": round(links["right"] / links["found"], 4) if links["found"] else 0.0}}


def _overlaps(predicted: list[tuple[int, int]], expected: list[tuple[int, int]]) -> int:
    """Predicted spans that overlap a distinct expected span (one to one)."""
    used: set[int] = set()
    hits = 0
    for start, end in predicted:
        for index, (gold_start, gold_end) in enumerate(expected):
            if index not in used and start < gold_end and gold_start < end:
                used.add(index)
                hits += 1
                break
    return hits


def evaluate_iocs(path: Path) -> dict[str, Any]:
    """Precision and recall on the IoC gold suite (a JSON file of cases)."""
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    per: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[dict[str, Any]] = []
    for case in cases:
        found = {(i.type, i.value) for i in extract_iocs(case["text"])}
        expected = {(kind, value) for kind, value in case["expected"]}
        for kind, _ in found & expected:
            per[kind]["tp"] += 1
        for kind, _ in found - expected:
            per[kind]["fp"] += 1
        for kind, _ in expected - found:
            per[kind]["fn"] += 1
        if found != expected:
            misses.append({"text": case["text"], "extra": sorted(found - expected), "missed": sorted(expected - found)})
    total = Counter[str]()
    for counts in per.values():
        total.update(counts)
    precision = total["tp"] / (total["tp"] + total["fp"]) if total["tp"] + total["fp"] else 0.0
    recall = total["tp"] / (total["tp"] + total["fn"]) if total["tp"] + total["fn"] else 0.0
    return {"cases": len(cases), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1(total["tp"], total["fp"], total["fn"]), 4),
            "per_type": {kind: dict(counts) for kind, counts in sorted(per.items())}, "misses": misses}
