"""Readers of the annotated corpora extraction is trained and evaluated on (TRAM 2, AnnoCTR).

Neither corpus ships with cirx: a user points at their copy (TRAM's
``tram2_train_docs.json`` and ``single_label_train.json``; AnnoCTR's folder
with ``ner_json``, ``linking_mitre_only`` and ``splits.tsv``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cirx.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class LabelledReport:
    """A report with technique spans (TRAM): its title, text, spans and technique set."""

    title: str
    text: str
    spans: list[tuple[int, int, str]]
    techniques: frozenset[str]


def read_tram_reports(path: Path) -> list[LabelledReport]:
    """TRAM 2's annotated reports (``tram2_train_docs.json``)."""
    data = _json(path)
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a list of TRAM reports")
    reports = []
    for doc in data:
        spans = [(int(a), int(b), str(t)) for a, b, t in doc.get("spans", [])]
        techniques = frozenset(doc.get("techniques") or {t for _, _, t in spans})
        reports.append(LabelledReport(str(doc.get("title", "")), str(doc.get("text", "")), spans, techniques))
    return reports


def read_tram_sentences(path: Path) -> list[tuple[str, str, str]]:
    """TRAM 2's single-label sentences: (text, technique, report title)."""
    data = _json(path)
    if not isinstance(data, list):
        raise InvalidInput(f"{path}: expected a list of TRAM sentences")
    return [(str(x["text"]), str(x["label"]), str(x.get("doc_title", ""))) for x in data]


def _json(path: Path) -> Any:
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc})") from exc


# -- AnnoCTR ---------------------------------------------------------------------------------------

# AnnoCTR layers that carry each type (the merged ``all_tags`` layer loses overlaps).
_LAYERS = {"ne_tags": ("LOC", "ORG", "SECTOR"), "te_tags": ("DATE",), "ce_tags": ("GROUP", "MALWARE", "TOOL")}
_LINK = re.compile(r"attack\.mitre\.org/(?:groups|software)/([GS]\d{4})")


@dataclass
class AnnotatedReport:
    """An AnnoCTR report: its text, entity spans (type, start, end) and linked mentions."""

    name: str
    text: str
    entities: list[tuple[str, int, int]] = field(default_factory=list)
    links: list[tuple[str, str, str]] = field(default_factory=list)


def read_annoctr(root: Path, split: str = "dev") -> list[AnnotatedReport]:
    """The reports of one AnnoCTR split, text rebuilt from the sentences with token offsets."""
    splits = root / "splits.tsv"
    if not splits.is_file():
        raise NotFound(f"{root}: no splits.tsv (is this the AnnoCTR folder?)")
    rows = [line.strip().split("\t") for line in splits.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = [row[0] for row in rows if row[-1] == split]
    return [_annoctr_report(root, name) for name in names]


def _annoctr_report(root: Path, name: str) -> AnnotatedReport:
    report = AnnotatedReport(name, "")
    parts: list[str] = []
    offset = 0
    for line in (root / "ner_json" / f"{name}.json").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        sentence = json.loads(line)
        text = str(sentence["text"])
        starts = _token_offsets(text, sentence["tokens"])
        for layer, types in _LAYERS.items():
            for kind, first, last in _bio_spans(sentence[layer]):
                if kind in types and starts[first] >= 0 and starts[last] >= 0:
                    end = starts[last] + len(sentence["tokens"][last])
                    report.entities.append((kind, offset + starts[first], offset + end))
        parts.append(text)
        offset += len(text) + 1
    report.text = "\n".join(parts)
    links = root / "linking_mitre_only" / f"{name}.json"
    if links.is_file():
        for line in links.read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else {}
            found = _LINK.search(str(item.get("label_link", "")))
            if found and item.get("entity_type") in ("GROUP", "MALWARE", "TOOL"):
                report.links.append((str(item["entity_type"]), str(item["mention"]).strip(), found.group(1)))
    return report


def _token_offsets(text: str, tokens: list[str]) -> list[int]:
    """Where each token starts in the sentence text (-1 where it cannot be found)."""
    starts, cursor = [], 0
    for token in tokens:
        index = text.find(token, cursor)
        if index < 0 or index - cursor > 20:
            starts.append(-1)
            continue
        starts.append(index)
        cursor = index + len(token)
    return starts


def _bio_spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """(type, first token, last token) of each BIO-tagged span."""
    spans: list[tuple[str, int, int]] = []
    for index, tag in enumerate(tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (not spans or spans[-1][2] != index - 1
                                                                or spans[-1][0] != tag[2:])):
            spans.append((tag[2:], index, index))
        elif tag.startswith("I-"):
            spans[-1] = (spans[-1][0], spans[-1][1], index)
    return spans
