"""Turning a raw hybrid score into the probability that an article is the right answer.

A raw score of 0.55 means nothing to the dialogue; "right 9 times out of 10" does, and lets the
thresholds in retrieval.yml be read and chosen. The mapping is a two-feature logistic regression
(Platt scaling) on the article's raw score and its lead over the best other article: a clear winner
is more often right than a narrow one with the same score. It is fitted on questions held out of
training (and on out-of-scope questions, which are never right), so it is honest about paraphrases
the model has not seen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CALIBRATION_FILE = "calibration.json"


class CalibrationError(Exception):
    """A calibration file is missing fields or cannot be read."""


@dataclass(frozen=True)
class Calibrator:
    """P(right) = sigmoid(intercept + coef_score * raw + coef_margin * margin)."""

    intercept: float
    coef_score: float
    coef_margin: float

    def probability(self, raw: float, margin: float) -> float:
        z = self.intercept + self.coef_score * raw + self.coef_margin * margin
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    @classmethod
    def identity_like(cls) -> Calibrator:
        """A fallback for an uncalibrated model: monotone in the raw score, centred on 0.5."""
        return cls(intercept=-5.0, coef_score=10.0, coef_margin=0.0)


def margins(raw_sorted: Sequence[float]) -> list[float]:
    """Each hit's lead over the best *other* hit (negative for all but the top one)."""
    if not raw_sorted:
        return []
    if len(raw_sorted) == 1:
        return [raw_sorted[0]]
    top, second = raw_sorted[0], raw_sorted[1]
    return [top - second] + [r - top for r in raw_sorted[1:]]


def fit_calibrator(
    raw: Sequence[float], margin: Sequence[float], right: Sequence[bool]
) -> Calibrator:
    """Fit Platt scaling on top-hit examples; falls back when only one class was seen."""
    from sklearn.linear_model import LogisticRegression

    if len(set(right)) < 2:
        return Calibrator.identity_like()
    model = LogisticRegression(C=10.0, solver="lbfgs", max_iter=1000)
    model.fit([[r, m] for r, m in zip(raw, margin, strict=True)], [int(x) for x in right])
    return Calibrator(
        intercept=float(model.intercept_[0]),
        coef_score=float(model.coef_[0][0]),
        coef_margin=float(model.coef_[0][1]),
    )


def threshold_table(
    probabilities: Sequence[float], right: Sequence[bool], thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """For each threshold: share of questions at or above it, and how often those were right."""
    rows = []
    n = len(probabilities)
    for t in thresholds:
        chosen = [ok for p, ok in zip(probabilities, right, strict=True) if p >= t]
        rows.append(
            {
                "threshold": round(t, 3),
                "coverage": round(len(chosen) / n, 4) if n else 0.0,
                "precision": round(sum(chosen) / len(chosen), 4) if chosen else 1.0,
            }
        )
    return rows


def save_calibration(directory: Path, calibrator: Calibrator, report: dict[str, Any]) -> Path:
    path = directory / CALIBRATION_FILE
    payload = {"calibrator": asdict(calibrator), "heldout": report}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load_calibration(directory: Path) -> tuple[Calibrator, dict[str, Any]] | None:
    """The calibrator saved in `directory` and its held-out report, or None if there is none."""
    path = directory / CALIBRATION_FILE
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        calibrator = Calibrator(**payload["calibrator"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"{path}: {exc}") from exc
    return calibrator, dict(payload.get("heldout") or {})
