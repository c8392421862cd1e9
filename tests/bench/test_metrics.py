from __future__ import annotations

import pytest

from bench.metrics import accuracy, mean, oos_scores, percentile, reciprocal_rank


def test_oos_scores_in_the_clinc_way() -> None:
    gold = ["balance", "balance", "transfer", None, None, None]
    predicted = ["balance", None, "transfer", None, None, "balance"]
    actual = oos_scores(gold, predicted)
    assert actual.in_scope_accuracy == 2 / 3  # an in-scope text predicted OOS is wrong
    assert actual.oos_recall == 2 / 3
    assert actual.oos_precision == 2 / 3
    assert (actual.in_scope_count, actual.oos_count) == (3, 3)


def test_oos_scores_without_oos_predictions_has_no_precision() -> None:
    actual = oos_scores(["a", None], ["a", "a"])
    assert actual.oos_precision is None
    assert actual.oos_recall == 0.0


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        oos_scores(["a"], [])
    with pytest.raises(ValueError):
        accuracy(["a"], ["a", "b"])


def test_accuracy() -> None:
    assert accuracy(["a", "b", "c", "d"], ["a", "b", "x", "d"]) == 0.75
    assert accuracy([], []) is None


def test_reciprocal_rank() -> None:
    assert reciprocal_rank("b", ["a", "b", "c"]) == 0.5
    assert reciprocal_rank("a", ["a"]) == 1.0
    assert reciprocal_rank("z", ["a", "b"]) == 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 9.0, 8.0, 7.0, 6.0]
    assert percentile(values, 50) == 5.0
    assert percentile(values, 95) == 10.0
    assert percentile(values, 0) == 1.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_mean() -> None:
    assert mean([1.0, 0.5, 0.0]) == 0.5
    assert mean([]) is None
