"""Pure metrics of the benchmarks: accuracy, out-of-scope precision/recall, MRR, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OosScores:
    in_scope_accuracy: float | None
    oos_recall: float | None
    oos_precision: float | None
    in_scope_count: int
    oos_count: int


def oos_scores(gold: Sequence[str | None], predicted: Sequence[str | None]) -> OosScores:
    """Scores in the CLINC150 way. None means out of scope (gold) or "predicted out of scope".

    In-scope accuracy counts an in-scope text predicted out of scope as wrong; out-of-scope
    precision is the share of texts predicted out of scope that really are.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    pairs = list(zip(gold, predicted, strict=True))
    in_scope = [(g, p) for g, p in pairs if g is not None]
    oos = [(g, p) for g, p in pairs if g is None]
    predicted_oos = [(g, p) for g, p in pairs if p is None]
    return OosScores(
        in_scope_accuracy=ratio(sum(g == p for g, p in in_scope), len(in_scope)),
        oos_recall=ratio(sum(p is None for _, p in oos), len(oos)),
        oos_precision=ratio(sum(g is None for g, _ in predicted_oos), len(predicted_oos)),
        in_scope_count=len(in_scope),
        oos_count=len(oos),
    )


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float | None:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    return ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold))


def reciprocal_rank(expected: str, ranked: Sequence[str]) -> float:
    """1/position of the expected item in a ranked list, 0 when absent."""
    for position, item in enumerate(ranked, start=1):
        if item == expected:
            return 1.0 / position
    return 0.0


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): a value that was actually observed."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
