import numpy as np
import pytest

from bench.retriever_tune import (
    OUT_OF_SCOPE,
    count,
    decisions,
    paired,
    parse_overrides,
    pool,
    ranks,
    rates,
    simplex,
    top_two,
    with_overrides,
)
from knowledge_base.retrieval.settings import ClassifierConfig, LexicalConfig


def test_overrides_are_parsed_and_converted_to_the_fields_types() -> None:
    assert parse_overrides("") == {}
    assert parse_overrides("k1=1.5, char_ngram=4") == {"k1": "1.5", "char_ngram": "4"}
    actual = with_overrides(LexicalConfig(), "k1=1.5,char_ngram=4")
    assert actual == LexicalConfig(k1=1.5, char_ngram=4)
    with pytest.raises(ValueError):
        parse_overrides("k1")


def test_boolean_overrides_read_false_as_false() -> None:
    assert with_overrides(ClassifierConfig(none_class=True), "none_class=false").none_class is False
    assert with_overrides(ClassifierConfig(), "none_class=1").none_class is True
    with pytest.raises(ValueError):
        with_overrides(ClassifierConfig(), "none_class=maybe")


def test_simplex_weights_sum_to_one_and_cover_the_corners() -> None:
    grid = simplex(0.5)
    assert grid == [(0.0, 0.0, 1.0), (0.0, 0.5, 0.5), (0.0, 1.0, 0.0), (0.5, 0.0, 0.5),
                    (0.5, 0.5, 0.0), (1.0, 0.0, 0.0)]
    assert len(simplex(0.1)) == 66


def test_ranks_keep_article_order_on_ties_and_cut_at_k() -> None:
    raw = np.array([[0.1, 0.9, 0.5], [0.5, 0.5, 0.1], [0.5, 0.5, 0.1], [0.3, 0.2, 0.1]])
    expected = np.array([2, 1, 0, -1])
    assert ranks(raw, expected).tolist() == [2, 2, 1, 0]
    assert ranks(raw, expected, k=1).tolist() == [0, 0, 1, 0]


def test_top_two_gives_the_lead_over_the_second() -> None:
    top, score, margin = top_two(np.array([[0.1, 0.9, 0.5], [0.4, 0.4, 0.0]]))
    assert top.tolist() == [1, 0]
    assert np.round(score, 3).tolist() == [0.9, 0.4]
    assert np.round(margin, 3).tolist() == [0.4, 0.0]


def test_decisions_use_both_thresholds_and_hand_off_wordless_texts() -> None:
    actual = decisions(np.array([0.7, 0.6, 0.45, 0.1, 0.9]),
                       np.array([True, True, True, True, False]), 0.6, 0.3)
    assert actual.tolist() == ["answer", "answer", "suggest", "handoff", "handoff"]


def test_counts_pool_and_become_rates() -> None:
    variants = ["en", "en", "vi", OUT_OF_SCOPE, OUT_OF_SCOPE]
    first = count(np.array([1, 3, 0, 0, 0]),
                  np.array(["answer", "suggest", "answer", "answer", "handoff"]), variants)
    second = count(np.array([1, 1, 1, 0, 0]),
                   np.array(["answer", "handoff", "suggest", "suggest", "handoff"]), variants)
    assert first["en"] == {"n": 2, "hit1": 1, "hit3": 2, "rr": pytest.approx(1 + 1 / 3),
                           "answered": 1, "answered_right": 1}
    assert first[OUT_OF_SCOPE] == {"n": 2, "answered": 1, "suggested": 0, "handed_off": 1}
    pooled = rates(pool([first, second]))
    assert pooled["all"]["n"] == 6
    assert pooled["all"]["hit@1"] == round(4 / 6, 4)
    assert pooled["all"]["answered_and_right"] == round(2 / 6, 4)
    assert pooled["all"]["right_when_answered"] == round(2 / 3, 4)
    assert pooled["vi"]["hit@3"] == 0.5
    assert pooled[OUT_OF_SCOPE] == {"n": 4, "answered": 1, "suggested": 1, "handed_off": 2}


def test_paired_differences_count_wins_and_losses_per_seed() -> None:
    def seed(hit1: int) -> dict:
        return {"all": {"n": 10, "hit1": hit1}}

    actual = paired([seed(5), seed(5), seed(5)], [seed(6), seed(7), seed(4)], "all")
    assert actual["deltas"] == [0.1, 0.2, -0.1]
    assert actual["mean"] == 0.0667
    assert actual["wins"] == 2
    assert actual["losses"] == 1
