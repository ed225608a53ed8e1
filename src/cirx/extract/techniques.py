"""ATT&CK techniques in report text: a sentence classifier trained offline, scored per document.

Training data (all offline):

- ATT&CK *procedure examples*: the descriptions of ``uses`` relationships from
  groups and software to techniques ("APT28 used a spearphishing attachment..."),
  and the techniques' own names and descriptions, read from the store (after
  ``cirx import stix enterprise-attack.json``) or from an ATT&CK bundle file;
- TRAM 2's annotated reports, when the user has them: every sentence of a report
  is an example, labelled with the techniques whose annotated spans it holds, the
  others are the negatives that teach the model what ordinary prose looks like;
  and TRAM's single-label sentences;
- without TRAM, the descriptions of groups and software serve as negatives.

The model is a TF-IDF (word unigrams and bigrams, sublinear) one-vs-rest linear
SVM.  When it is trained on a subset of the techniques (TRAM's), the examples of the
other techniques (ATT&CK's procedures for them) stay in as negatives at a reduced
weight (``OUTSIDE_WEIGHT``): ordinary attack prose that is not about these techniques,
but not as sure a negative as a report's own unannotated sentences.

A document's techniques are those whose best sentence scores above the threshold;
that sentence is the evidence, and the margin is mapped to a score in (0, 1) that
is 0.5 at the threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cirx.errors import InvalidInput
from cirx.extract.corpora import LabelledReport
from cirx.extract.text import Sentence, sentences

DEFAULT_THRESHOLD = -0.4
SLOPE = 3.0
OUTSIDE_WEIGHT = 0.3
MODEL_FILE = "techniques.joblib"
BATCH = 2000
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_CITATION = re.compile(r"\(Citation:[^)]*\)")
_TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")


@dataclass(frozen=True)
class Example:
    """One training text and its techniques (none: a negative)."""

    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class TechniqueHit:
    """A technique found in a document: its id, name, score and evidence sentence."""

    id: str
    name: str
    score: float
    evidence: str
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        """The output contract's form."""
        return {"id": self.id, "name": self.name, "score": round(self.score, 3), "evidence": self.evidence,
                "start": self.start, "end": self.end}


def clean_attack_text(text: str) -> str:
    """ATT&CK prose without Markdown links and citations."""
    return _CITATION.sub("", _LINK.sub(r"\1", text)).replace("<code>", "").replace("</code>", "").strip()


def _attack_id(obj: dict[str, Any]) -> str | None:
    for ref in obj.get("external_references") or []:
        if ref.get("source_name") == "mitre-attack" and _TECHNIQUE_ID.match(str(ref.get("external_id", ""))):
            return str(ref["external_id"])
    return None


def attack_examples(objects: Iterable[dict[str, Any]], *, negatives: bool = True
                    ) -> tuple[list[Example], dict[str, str]]:
    """Examples from ATT&CK objects: procedures, technique descriptions, and negatives; and technique names."""
    items = list(objects)
    techniques: dict[str, str] = {}
    names: dict[str, str] = {}
    descriptions: dict[str, str] = {}
    examples: list[Example] = []
    for obj in items:
        if obj.get("type") != "attack-pattern" or obj.get("revoked") or obj.get("x_mitre_deprecated"):
            continue
        technique = _attack_id(obj)
        chains = {phase.get("kill_chain_name") for phase in obj.get("kill_chain_phases") or []}
        if technique and (not chains or "mitre-attack" in chains):
            techniques[str(obj["id"])] = technique
            names[technique] = str(obj.get("name", technique))
            descriptions[technique] = clean_attack_text(str(obj.get("description", ""))).split("\n")[0]
            examples.append(Example(f"{names[technique]}. {descriptions[technique]}", frozenset({technique})))
    procedures = 0
    for obj in items:
        kind = obj.get("type")
        if kind == "relationship" and obj.get("relationship_type") == "uses" and obj.get("description"):
            technique = techniques.get(str(obj.get("target_ref")))
            if technique and not obj.get("revoked"):
                examples.append(Example(clean_attack_text(str(obj["description"])), frozenset({technique})))
                procedures += 1
        elif negatives and kind in ("intrusion-set", "malware", "tool") and obj.get("description"):
            for sentence in sentences(clean_attack_text(str(obj["description"]))):
                examples.append(Example(sentence.text, frozenset()))
    if not procedures:  # no procedure examples (the galaxies' ATT&CK): learn from the descriptions' sentences
        for technique, description in descriptions.items():
            for sentence in list(sentences(description))[:4]:
                examples.append(Example(sentence.text, frozenset({technique})))
    return examples, names


def report_examples(report: LabelledReport) -> list[Example]:
    """Every sentence of an annotated report, labelled with the techniques of the spans it holds."""
    examples = []
    for sentence in sentences(report.text):
        labels = set()
        for start, end, technique in report.spans:
            overlap = min(end, sentence.end) - max(start, sentence.start)
            if overlap > 0 and (overlap >= 0.5 * (end - start) or overlap >= 0.5 * (sentence.end - sentence.start)
                                or overlap >= 40):
                labels.add(technique)
        examples.append(Example(sentence.text, frozenset(labels)))
    return examples


@dataclass
class TechniqueModel:
    """A trained technique classifier (see the module's docstring)."""

    vectorizer: Any
    classifier: Any
    labels: list[str]
    names: dict[str, str]
    threshold: float = DEFAULT_THRESHOLD
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def train(cls, examples: Sequence[Example], names: dict[str, str], *, labels: Iterable[str] | None = None,
              min_examples: int = 2, threshold: float = DEFAULT_THRESHOLD, c: float = 1.0,
              outside_weight: float = OUTSIDE_WEIGHT) -> TechniqueModel:
        """Train on ``examples``; ``labels`` restricts the techniques (default: those with enough examples).

        An example whose techniques are all outside the trained ones is a negative of weight ``outside_weight``.
        """
        from collections import Counter

        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import MultiLabelBinarizer
        from sklearn.svm import LinearSVC

        counts = Counter(label for example in examples for label in example.labels)
        wanted = sorted(set(labels) if labels is not None else {t for t, n in counts.items() if n >= min_examples})
        wanted = [t for t in wanted if counts[t] > 0]
        if not wanted:
            raise InvalidInput("no technique has training examples: import ATT&CK or give TRAM data")
        keep = set(wanted)
        texts = [e.text for e in examples]
        targets = [sorted(e.labels & keep) for e in examples]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=150_000,
                                     dtype=_float32())
        matrix = vectorizer.fit_transform(texts)
        columns = MultiLabelBinarizer(classes=wanted).fit_transform(targets)
        weights = np.array([outside_weight if e.labels and not e.labels & keep else 1.0 for e in examples])
        estimators = [LinearSVC(C=c).fit(matrix, columns[:, j], sample_weight=weights) for j in range(len(wanted))]
        vectorizer.stop_words_ = None  # the pruned vocabulary: large and never used again
        info = {"examples": len(examples), "positives": sum(1 for t in targets if t), "techniques": len(wanted),
                "outside_negatives": int((weights != 1.0).sum())}
        return cls(vectorizer, _Linear.of(estimators), wanted, {t: names.get(t, t) for t in wanted}, threshold, info)

    def decisions(self, texts: Sequence[str]) -> Any:
        """The margin of every text for every technique (a texts × techniques array)."""
        import numpy as np

        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.classifier.decision_function(self.vectorizer.transform(texts))

    def score(self, margin: float) -> float:
        """A margin as a score in (0, 1), 0.5 at the threshold."""
        return 1.0 / (1.0 + math.exp(-SLOPE * (margin - self.threshold)))

    def predict(self, document: Sequence[Sentence]) -> list[TechniqueHit]:
        """The document's techniques, best first, each with its best sentence as evidence.

        Sentences are scored in batches, keeping only each technique's best margin, so memory stays
        flat however many sentences a document has.
        """
        import numpy as np

        if not document:
            return []
        best = np.full(len(self.labels), -np.inf)
        best_rows = np.zeros(len(self.labels), dtype=np.int64)
        for offset in range(0, len(document), BATCH):
            margins = self.decisions([s.text for s in document[offset:offset + BATCH]])
            rows = margins.argmax(axis=0)
            values = margins[rows, np.arange(len(self.labels))]
            better = values > best
            best[better] = values[better]
            best_rows[better] = rows[better] + offset
        hits = []
        for column in np.flatnonzero(best >= self.threshold):
            technique = self.labels[int(column)]
            sentence = document[int(best_rows[column])]
            hits.append(TechniqueHit(technique, self.names.get(technique, technique), self.score(float(best[column])),
                                     sentence.text, sentence.start, sentence.end))
        return sorted(hits, key=lambda hit: -hit.score)

    def save(self, path: Path) -> None:
        """Write the model (joblib) to ``path``."""
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)

    @staticmethod
    def load(path: Path) -> TechniqueModel:
        """Read a model :meth:`save` wrote."""
        import joblib

        model = joblib.load(path)
        if not isinstance(model, TechniqueModel):
            raise InvalidInput(f"{path}: not a cirx technique model")
        return model


@dataclass
class _Linear:
    """The trained one-vs-rest SVMs as one sparse weight matrix (small to store, fast to apply)."""

    weights: Any
    bias: Any

    @classmethod
    def of(cls, estimators: Sequence[Any]) -> _Linear:
        """Collect the weights of fitted binary linear models (one per technique), pruning tiny ones."""
        import numpy as np
        from scipy import sparse

        weights = np.vstack([estimator.coef_.ravel() for estimator in estimators]).astype(np.float32)
        weights[np.abs(weights) < 1e-3] = 0.0
        bias = np.array([float(estimator.intercept_[0]) for estimator in estimators], dtype=np.float32)
        return cls(sparse.csr_matrix(weights.T), bias)

    def decision_function(self, matrix: Any) -> Any:
        """Margins: texts × techniques."""
        import numpy as np

        product = matrix @ self.weights
        dense = product.toarray() if hasattr(product, "toarray") else np.asarray(product)
        return dense + self.bias


def _float32() -> Any:
    import numpy as np

    return np.float32
