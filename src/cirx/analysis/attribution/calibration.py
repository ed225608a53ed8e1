"""The fitted model that turns feature rows into calibrated probabilities, and the shipped file.

A :class:`Model` is a weight per feature of
:data:`~cirx.analysis.attribution.model.FEATURES`, a temperature, a bonus for
the leading actor and the coefficients of P(unknown / new actor); how each is
fitted on held-out data is in :mod:`.fitting`.

Two models ship: ``dated`` (the incident date is known: ``gap`` and
``time_kernel``) and ``undated`` (``prior`` instead).  ``calibration.json``
beside this module holds them; ``cirx eval attribution --fit`` rebuilds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cirx.analysis.attribution.model import FEATURES

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
DATED = tuple(f for f in FEATURES if f != "prior")
UNDATED = tuple(f for f in FEATURES if not f.startswith(("gap", "time_kernel")))
UNKNOWN_FEATURES = ("unknown", "unknown_size", "unknown_best")
# Used only when no calibration file is there: rounded from the fit on ATT&CK v18.1.
DEFAULT_MODELS: dict[str, dict[str, Any]] = {
    "dated": {"weights": {"jm_techniques": 0.65, "jm_software": 1.13, "cosine": -3.0, "match_techniques": 1.0,
                          "match_software": 1.83, "nearest_report": 1.97, "time_kernel": 1.02,
                          "jm_techniques_x_size": -0.15, "jm_software_x_size": -0.18, "cosine_x_size": 2.63,
                          "match_techniques_x_size": -0.61, "match_software_x_size": -0.15,
                          "nearest_report_x_size": 1.59, "gap_x_size": -0.38, "time_kernel_x_size": -0.21},
              "temperature": 1.0, "top_bonus": 0.2, "unknown": [1.76, 0.83, 1.9]},
    "undated": {"weights": {"jm_techniques": 0.65, "jm_software": 1.21, "cosine": -3.88, "match_techniques": 1.3,
                            "match_software": 1.98, "nearest_report": 2.16, "prior": 0.9,
                            "jm_techniques_x_size": -0.14, "jm_software_x_size": -0.21, "cosine_x_size": 3.5,
                            "match_techniques_x_size": -0.83, "match_software_x_size": -0.21,
                            "nearest_report_x_size": 1.4},
                "temperature": 1.0, "top_bonus": 0.14, "unknown": [1.76, 0.83, 1.9]},
}
_UNKNOWN = [FEATURES.index(name) for name in UNKNOWN_FEATURES]


@dataclass(frozen=True)
class Model:
    """Weights, temperature, the leading actor's bonus and (optionally) the unknown coefficients."""

    weights: np.ndarray
    temperature: float = 1.0
    top_bonus: float = 0.0
    unknown: np.ndarray | None = None

    def calibrated(self, scores: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        """Raw logits (last axis: actor rows, then "unknown") to calibrated logits.

        ``features`` (same leading shape, then rows x FEATURES) gives the unknown
        row's features when the model has its own unknown coefficients.
        """
        scaled = np.array(scores, dtype=float) / self.temperature
        actors = scaled[..., :-1]
        leading = actors == actors.max(axis=-1, keepdims=True)
        scaled[..., :-1] = actors + self.top_bonus * leading
        if self.unknown is not None and features is not None:
            scaled[..., -1] = features[..., -1, _UNKNOWN] @ self.unknown
        return scaled

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: non-zero weights by feature name, temperature, bonus, unknown coefficients."""
        out: dict[str, Any] = {
            "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, self.weights, strict=True) if w},
            "temperature": round(self.temperature, 6), "top_bonus": round(self.top_bonus, 6)}
        if self.unknown is not None:
            out["unknown"] = [round(float(v), 6) for v in self.unknown]
            out["unknown_features"] = list(UNKNOWN_FEATURES)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        """Read the JSON form back."""
        weights = data.get("weights", {})
        unknown = data.get("unknown")
        return cls(np.array([float(weights.get(name, 0.0)) for name in FEATURES]),
                   float(data.get("temperature", 1.0)), float(data.get("top_bonus", 0.0)),
                   np.array(unknown, dtype=float) if unknown is not None else None)


def log_sum_exp(logits: np.ndarray) -> np.ndarray:
    """log(sum(exp(logits))) over the last axis (-inf entries count as 0)."""
    top = logits.max(axis=-1)
    return np.asarray(top + np.log(np.exp(logits - top[..., None]).sum(axis=-1)))


def load_calibration(path: Path | None = None) -> dict[str, Any]:
    """The shipped calibration (or the file at ``path``); the built-in defaults when there is none."""
    source = path or CALIBRATION_FILE
    if source.exists():
        data: dict[str, Any] = json.loads(source.read_text())
        data.setdefault("source", str(source.name if path is None else source))
        return data
    return {"models": DEFAULT_MODELS, "source": "built-in defaults (no calibration file)"}


def save_calibration(data: dict[str, Any], path: Path | None = None) -> Path:
    """Write a calibration file; returns where."""
    target = path or CALIBRATION_FILE
    target.write_text(json.dumps(data, indent=2) + "\n")
    return target
