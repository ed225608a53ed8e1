"""The extraction pipeline: a document in; techniques, indicators and entities out.

:class:`Extractor` holds what extraction needs (the technique model and the
gazetteer of names); :meth:`Extractor.for_platform` loads the model trained by
``cirx extract train`` from the data directory, or builds the default one from
the store's ATT&CK data on first use, and reads the names from the store.
Nothing here reaches the network.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cirx.errors import NotFound
from cirx.extract.entities import Entity, build_gazetteer, extract_entities
from cirx.extract.gazetteer import Gazetteer
from cirx.extract.iocs import Indicator, extract_iocs
from cirx.extract.techniques import MODEL_FILE, TechniqueHit, TechniqueModel, attack_examples
from cirx.extract.text import Document, Sentence, sentences

if TYPE_CHECKING:
    from cirx.platform import Platform

STORE_ONLY_THRESHOLD = -0.8
_NAME_TYPES = ["intrusion-set", "threat-actor", "malware", "tool"]
_ATTACK_TYPES = ["attack-pattern", "relationship", "intrusion-set", "malware", "tool"]


@dataclass
class Extraction:
    """What was extracted from one document, with offsets into ``document.text``."""

    document: Document
    sentences: list[Sentence]
    techniques: list[TechniqueHit]
    indicators: list[Indicator]
    entities: list[Entity]

    def sentence_of(self, offset: int) -> Sentence | None:
        """The sentence that holds a character offset."""
        starts = [s.start for s in self.sentences]
        index = bisect.bisect_right(starts, offset) - 1
        if 0 <= index < len(self.sentences) and self.sentences[index].end >= offset:
            return self.sentences[index]
        return None

    def as_dict(self) -> dict[str, Any]:
        """The ``cirx extract --json`` output."""
        indicators = []
        for indicator in self.indicators:
            item = indicator.as_dict()
            sentence = self.sentence_of(indicator.start)
            item["sentence"] = sentence.text if sentence else None
            indicators.append(item)
        return {
            "source": self.document.source,
            "format": self.document.format,
            "characters": len(self.document.text),
            "techniques": [hit.as_dict() for hit in self.techniques],
            "indicators": indicators,
            "entities": [entity.as_dict() for entity in self.entities],
        }


class Extractor:
    """Runs the pipeline; build one per platform (or per test) and reuse it."""

    def __init__(self, model: TechniqueModel | None, gazetteer: Gazetteer) -> None:
        self.model = model
        self.gazetteer = gazetteer

    @classmethod
    def for_platform(cls, platform: Platform, *, techniques: bool = True) -> Extractor:
        """The extractor of a platform: its trained (or default) model and its store's names."""
        model = load_or_build_model(platform) if techniques else None
        return cls(model, build_gazetteer(platform.reader.iter_latest(_NAME_TYPES, include_revoked=False)))

    def extract(self, document: Document) -> Extraction:
        """Extract everything from a document."""
        cut = list(sentences(document.text))
        hits = self.model.predict(cut) if self.model is not None else []
        indicators = extract_iocs(document.text)
        # A name inside an indicator (Microsoft in HKCU\Software\Microsoft\...) is no mention.
        spans = sorted((i.start, i.end) for i in indicators if i.type in ("url", "registry", "filename", "email"))
        entities = [e for e in extract_entities(document.text, self.gazetteer) if not _within(spans, e.start, e.end)]
        return Extraction(document, cut, hits, indicators, entities)


def _within(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of the sorted ``spans``."""
    index = bisect.bisect_right(spans, (start, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= start and end <= spans[index][1]


def model_path(platform: Platform) -> Path:
    """Where the platform's technique model lives (in its data directory)."""
    return platform.settings.data_dir / "extract" / MODEL_FILE


_BUILDING = threading.Lock()
_LOADED: dict[str, tuple[float, TechniqueModel]] = {}


def load_or_build_model(platform: Platform) -> TechniqueModel:
    """The saved model (kept in memory until the file changes), else the default one built once and saved.

    Builds are serialised: a caller arriving while another builds waits and then gets its result.
    """
    path = model_path(platform)
    with _BUILDING:
        if path.is_file():
            stamp = path.stat().st_mtime
            cached = _LOADED.get(str(path))
            if cached is not None and cached[0] == stamp:
                return cached[1]
            try:
                model = TechniqueModel.load(path)
            except Exception:  # a model pickled by another scikit-learn version: build it again
                path.unlink()
            else:
                _LOADED[str(path)] = (stamp, model)
                return model
        model = build_default_model(platform)
        model.save(path)
        _LOADED[str(path)] = (path.stat().st_mtime, model)
        return model


def warm_up_model(platform: Platform) -> threading.Thread | None:
    """Build the default technique model in the background when none is saved yet (as ``cirx serve`` starts).

    Returns the thread, or None when a model is already saved; a store without ATT&CK data is left as it is.
    """
    if model_path(platform).is_file():
        return None

    def build() -> None:
        # Without ATT&CK techniques there is nothing to build: the review desk says so on upload.
        with contextlib.suppress(NotFound):
            load_or_build_model(platform)

    thread = threading.Thread(target=build, name="cirx-technique-model", daemon=True)
    thread.start()
    return thread


def build_default_model(platform: Platform) -> TechniqueModel:
    """Train on the store's TLP:CLEAR ATT&CK techniques, procedure examples and group/software descriptions.

    The model is shared by every user of the platform, so it learns only from what everyone may see.
    """
    from cirx.access.policy import ANONYMOUS
    from cirx.store.reader import StixReader

    public = StixReader(platform.init().engine, ANONYMOUS, anonymous_read=True)
    examples, names = attack_examples(public.iter_latest(_ATTACK_TYPES, include_revoked=False))
    if not names:
        raise NotFound("the store has no ATT&CK techniques: run 'cirx init' (or import the ATT&CK bundle)")
    # Without annotated reports there are few negatives: a stricter threshold keeps precision.
    model = TechniqueModel.train(examples, names, min_examples=1, threshold=STORE_ONLY_THRESHOLD)
    model.info["source"] = "store (ATT&CK, TLP:CLEAR)"
    return model
