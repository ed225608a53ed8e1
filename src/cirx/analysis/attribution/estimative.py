"""ICD 203 estimative language: the likelihood term for a probability, and confidence levels.

The terms and ranges come from the ``estimative-language`` taxonomy that
``pytaxonomies`` ships (MISP, after ICD 203: "Very likely - highly probable -
80-95%"); a built-in copy is used when the package cannot be read.  The scale
stops at 1% and 99%: below 1% still reads "almost no chance" and above 99%
"almost certain", so the lowest band covers 0-5% and the highest 95-100%.
Adjacent bands share a boundary; a probability on it takes the higher band.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CONFIDENCE_LEVELS = ("low", "moderate", "high")
_BUILT_IN = (
    ("almost-no-chance", "almost no chance", "remote", 1, 5),
    ("very-unlikely", "very unlikely", "highly improbable", 5, 20),
    ("unlikely", "unlikely", "improbable", 20, 45),
    ("roughly-even-chance", "roughly even chance", "roughly even odds", 45, 55),
    ("likely", "likely", "probable", 55, 80),
    ("very-likely", "very likely", "highly probable", 80, 95),
    ("almost-certain", "almost certain", "nearly certain", 95, 99),
)
_RANGE = re.compile(r"(\d{1,2})\s*-\s*(\d{1,3})\s*%")


@dataclass(frozen=True)
class Band:
    """One ICD 203 likelihood term and its stated range (fractions)."""

    id: str
    term: str
    synonym: str
    low: float
    high: float

    @property
    def stated(self) -> str:
        """The range as ICD 203 states it ("80-95%")."""
        return f"{round(self.low * 100)}-{round(self.high * 100)}%"


@lru_cache(maxsize=1)
def bands() -> tuple[Band, ...]:
    """The seven likelihood bands, lowest first (from pytaxonomies when it can be read)."""
    rows = list(_BUILT_IN)
    try:
        from pytaxonomies import Taxonomies

        taxonomy = Taxonomies().get("estimative-language")
        if taxonomy is None:
            raise LookupError("pytaxonomies has no estimative-language taxonomy")
        entries = next(v for v in taxonomy.to_dict()["values"] if v["predicate"] == "likelihood-probability")
        read = []
        for entry, (band_id, term, synonym, _low, _high) in zip(entries["entry"], _BUILT_IN, strict=True):
            found = _RANGE.search(entry.get("expanded", ""))
            if entry.get("value") != band_id or not found:
                raise ValueError(f"unexpected estimative-language entry {entry.get('value')!r}")
            read.append((band_id, term, synonym, int(found.group(1)), int(found.group(2))))
        rows = read
    except Exception:  # the package's copy is a convenience; the built-in one is the same scale
        rows = list(_BUILT_IN)
    return tuple(Band(band_id, term, synonym, low / 100, high / 100) for band_id, term, synonym, low, high in rows)


def band_of(probability: float) -> Band:
    """The ICD 203 band a probability falls in."""
    scale = bands()
    for band in reversed(scale):
        if probability >= band.low:
            return band
    return scale[0]


def estimative(probability: float) -> str:
    """The ICD 203 term for a probability ("very likely")."""
    return band_of(probability).term


def observed_range(band: Band) -> tuple[float, float]:
    """The range a band's observed frequency should fall in (the ends widened to 0 and 1)."""
    scale = bands()
    low = 0.0 if band == scale[0] else band.low
    high = 1.0 if band == scale[-1] else band.high
    return low, high
