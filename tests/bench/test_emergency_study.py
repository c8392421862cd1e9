from __future__ import annotations

import numpy as np
import scipy.sparse

from bench.emergency_study import best_at, block_tfidf, curve, folded


def test_folded_text_is_what_the_pipeline_tokenizer_reads() -> None:
    assert folded("Cứu  em ĐI") == "cuu em di"


def test_curve_counts_recall_and_precision_at_each_threshold() -> None:
    scores = np.array([0.9, 0.6, 0.4, 0.1])
    gold = np.array([True, False, True, False])
    actual = curve(lambda t: scores >= t, [0.5, 0.3], gold)
    expected = [(0.5, 0.5, 0.5), (0.3, 1.0, 2 / 3)]
    assert actual == expected


def test_best_at_takes_the_highest_recall_that_keeps_the_precision() -> None:
    points = [(0.5, 0.5, 0.5), (0.3, 1.0, 2 / 3), (0.7, 0.4, 1.0)]
    assert best_at(points, 0.6) == (0.3, 1.0, 2 / 3)
    assert best_at(points, 0.9) == (0.7, 0.4, 1.0)
    assert best_at(points, 1.1) == (None, None, None)


def test_block_tfidf_uses_the_training_idf_and_unit_rows() -> None:
    train = scipy.sparse.csr_matrix(np.array([[1, 0], [1, 1]]))
    test = scipy.sparse.csr_matrix(np.array([[0, 3], [0, 0]]))
    weighted_train, weighted_test = block_tfidf(train, test)
    norms = np.sqrt(np.asarray(weighted_train.multiply(weighted_train).sum(axis=1)).ravel())
    assert np.allclose(norms, [1.0, 1.0])
    assert np.allclose(weighted_test.toarray(), [[0.0, 1.0], [0.0, 0.0]])
    # In the second row, the rarer second column weighs more than the first.
    row = weighted_train.toarray()[1]
    assert row[1] > row[0]
