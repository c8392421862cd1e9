"""The hybrid retriever over a small article set, with a tiny model trained in the test."""

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.retrieval import Hit, Retriever
from knowledge_base.retrieval.calibration import Calibrator
from knowledge_base.retrieval.hybrid import RetrieverBuildError, semantic_texts
from knowledge_base.retrieval.settings import load_config
from knowledge_base.retrieval.training import train_default_model
from tests.knowledge_base.retrieval_samples import sample_articles

pytestmark = pytest.mark.slow

CONFIG = replace(load_config(), training=replace(load_config().training, epochs=4))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return train_default_model(sample_articles(), tmp_path_factory.mktemp("model"), CONFIG)


@pytest.fixture(scope="module")
def retriever(model_dir) -> Retriever:
    return Retriever.build(sample_articles(), model_dir, CONFIG)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("công ty thu phí dịch vụ tối đa mấy tháng lương", "fees.service_fee"),
        ("cong ty thu phi dich vu toi da may thang luong", "fees.service_fee"),
        ("how much service fee is allowed", "fees.service_fee"),
        ("bao giờ lấy lại được tiền ký quỹ", "fees.deposit"),
        ("di nhat lam thuc tap sinh", "dest.japan"),
        ("số điện thoại khẩn cấp để gọi khi gặp nạn", "help.hotlines"),
        ("tien dihc vu", "fees.service_fee"),
    ],
)
def test_search_finds_the_article(retriever, text, expected):
    hits = retriever.search(text)
    assert hits[0].kb_id == expected


def test_search_returns_k_hits_best_first_with_scores_in_range(retriever):
    hits = retriever.search("phí dịch vụ", k=3)
    assert len(hits) == 3
    assert all(isinstance(h, Hit) for h in hits)
    assert [h.raw for h in hits] == sorted((h.raw for h in hits), reverse=True)
    for hit in hits:
        assert 0.0 <= hit.score <= 1.0
        assert 0.0 <= hit.lexical <= 1.0
        assert 0.0 <= hit.semantic <= 1.0
    assert hits[0].score > hits[1].score


def test_raw_score_combines_the_three_signals_with_configured_weights(retriever):
    hit = retriever.search("tiền ký quỹ", k=1)[0]
    weights = CONFIG.hybrid
    expected = (
        weights.lexical_weight * hit.lexical
        + weights.semantic_weight * hit.semantic
        + weights.classifier_weight * hit.classifier
    )
    assert weights.classifier_weight > 0
    assert 0.0 < hit.classifier <= 1.0
    assert hit.raw == pytest.approx(expected, abs=1e-6)


def test_without_classifier_weight_no_classifier_is_fitted(model_dir):
    config = replace(CONFIG, hybrid=replace(CONFIG.hybrid, classifier_weight=0.0))
    plain = Retriever.build(sample_articles(), model_dir, config, use_cache=False)
    hit = plain.search("tiền ký quỹ", k=1)[0]
    assert plain.classifier is None
    assert hit.classifier == 0.0
    assert hit.raw == pytest.approx(0.4 * hit.lexical + 0.2 * hit.semantic, abs=1e-6)


def test_chat_shorthand_matches_the_full_words(retriever):
    hits = retriever.search("cty dc thu bn thang luong tien dv", k=1)
    assert hits[0].kb_id == "fees.service_fee"


def test_semantic_score_is_the_best_match_over_the_article_questions(retriever):
    question = "Khi nào được nhận lại tiền ký quỹ?"  # one of the deposit article's questions
    deposit = next(h for h in retriever.search(question, k=4) if h.kb_id == "fees.deposit")
    assert deposit.semantic == pytest.approx(1.0, abs=1e-4)


def test_text_without_words_gives_no_hits(retriever):
    assert retriever.search("?? !!") == []
    assert retriever.search("phi dich vu", k=0) == []


def test_unrelated_question_scores_below_an_exact_question(retriever):
    unrelated = retriever.search("giá vàng hôm nay", k=1)[0].score
    exact = retriever.search("Tiền ký quỹ là gì?", k=1)[0].score
    assert unrelated < exact


def test_decide_uses_the_thresholds(model_dir, retriever):
    config = replace(CONFIG, answer_threshold=0.7, suggest_threshold=0.3)
    decide = Retriever.build(sample_articles(), model_dir, config, model=retriever.model).decide
    hit = Hit(kb_id="fees.deposit", score=0.0, lexical=0.0, semantic=0.0)
    actual = [decide([replace(hit, score=s)]) for s in (0.9, 0.7, 0.5, 0.3, 0.1)] + [decide([])]
    expected = ["answer", "answer", "suggest", "suggest", "handoff", "handoff"]
    assert actual == expected


def test_question_embeddings_are_cached_next_to_the_model_and_reused(model_dir, tmp_path):
    cache = tmp_path / "cache"
    first = Retriever.build(sample_articles(), model_dir, CONFIG, cache_dir=cache)
    files = sorted(p.name for p in cache.glob("embeddings-*.npy"))
    assert len(files) == 1
    texts = sum((semantic_texts(a) for a in sample_articles()), [])
    assert np.load(cache / files[0]).shape == (len(texts), CONFIG.training.embedding_dim)

    # A changed article set gets a new key, and the old matrix is removed.
    Retriever.build(sample_articles()[:2], model_dir, CONFIG, cache_dir=cache)
    assert sorted(p.name for p in cache.glob("embeddings-*.npy")) != files
    assert len(list(cache.glob("embeddings-*.npy"))) == 1
    again = Retriever.build(
        sample_articles(), model_dir, CONFIG, cache_dir=cache, model=first.model
    )
    assert again.search("ky quy", k=1)[0].kb_id == first.search("ky quy", k=1)[0].kb_id


def test_build_without_articles_is_an_error(model_dir):
    with pytest.raises(RetrieverBuildError):
        Retriever.build([], model_dir, CONFIG)


def test_uncalibrated_model_still_gives_monotone_scores(model_dir, tmp_path):
    plain = Retriever.build(
        sample_articles(),
        model_dir,
        CONFIG,
        cache_dir=tmp_path,
        calibrator=Calibrator.identity_like(),
    )
    hits = plain.search("phi dich vu", k=3)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_latency(retriever):
    """Prints p50/p95 latency of one search; not asserted (machines differ)."""
    queries = ["phi dich vu toi da", "when do I get my deposit back", "đi nhật cần gì"] * 40
    timings = []
    for text in queries:
        started = time.perf_counter()
        retriever.search(text, k=3)
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = np.percentile(timings, [50, 95])
    print(f"\nsearch latency over {len(timings)} queries: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    assert len(timings) == 120
