"""The supervised article classifier over the sample articles."""

import numpy as np
import pytest

from knowledge_base.retrieval.classifier import ArticleClassifier, normalise, training_texts
from knowledge_base.retrieval.settings import ClassifierConfig
from tests.knowledge_base.retrieval_samples import sample_articles


@pytest.fixture(scope="module")
def classifier() -> ArticleClassifier:
    return ArticleClassifier.fit(sample_articles(), ClassifierConfig())


def test_probabilities_follow_the_article_order_and_sum_to_one(classifier):
    proba = classifier.probabilities("phí dịch vụ tối đa bao nhiêu")
    assert proba.shape == (len(sample_articles()),)
    assert float(proba.sum()) == pytest.approx(1.0, abs=1e-5)
    best = classifier.article_ids[int(np.argmax(proba))]
    assert best == "fees.service_fee"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiền ký quỹ bao giờ được trả lại", "fees.deposit"),
        ("tien ky quy bao gio dc tra lai", "fees.deposit"),
        ("how much is the service fee", "fees.service_fee"),
    ],
)
def test_the_right_article_is_most_likely(classifier, text, expected):
    proba = classifier.probabilities(text)
    assert classifier.article_ids[int(np.argmax(proba))] == expected


def test_text_without_words_gives_zeros(classifier):
    assert float(classifier.probabilities("?!").sum()) == 0.0


def test_fitting_twice_gives_the_same_probabilities():
    a = ArticleClassifier.fit(sample_articles(), ClassifierConfig())
    b = ArticleClassifier.fit(sample_articles(), ClassifierConfig())
    text = "ky quy"
    assert np.array_equal(a.probabilities(text), b.probabilities(text))


def test_training_texts_are_normalised_questions_and_titles():
    article = sample_articles()[0]
    texts = training_texts(article)
    count = sum(len(q) for q in article.questions.values()) + sum(
        1 for t in article.title.values() if t
    )
    assert len(texts) == count
    assert all(t == normalise(t) for t in texts)


def test_normalise_folds_and_expands_shorthand():
    assert normalise("Cty ĐC thu bn?") == "cong ty duoc thu bao nhieu"


def test_features_are_the_unions_features(classifier):
    text = normalise("cty giu ho chieu cua em co dc ko")
    direct = classifier._features(text)
    union = classifier._vectorizer.transform([text])
    assert (direct != union).nnz == 0 and direct.shape == union.shape


NONE_TEXTS = ["thời tiết Tokyo hôm nay", "weather in tokyo tomorrow", "giá vàng hôm nay",
              "du lịch Nhật mùa hoa anh đào", "tourist visa japan", "công thức nấu phở",
              "ket qua bong da", "xin visa du lich nhat", "sakura season tokyo trip"]


def test_a_none_class_takes_probability_from_the_articles_for_texts_like_its_own():
    plain = ArticleClassifier.fit(sample_articles(), ClassifierConfig())
    with_none = ArticleClassifier.fit(sample_articles(), ClassifierConfig(), NONE_TEXTS)
    off_topic = "thời tiết Tokyo tuần này thế nào"
    assert float(plain.probabilities(off_topic).sum()) == pytest.approx(1.0, abs=1e-5)
    assert float(with_none.probabilities(off_topic).sum()) < 0.5
    assert with_none.probabilities(off_topic).shape == (len(sample_articles()),)
    question = "tiền ký quỹ bao giờ được trả lại"
    best = with_none.article_ids[int(np.argmax(with_none.probabilities(question)))]
    assert best == "fees.deposit"
    assert float(with_none.probabilities(question).max()) > 0.5


def test_the_none_probability_is_what_the_articles_leave():
    plain = ArticleClassifier.fit(sample_articles(), ClassifierConfig())
    with_none = ArticleClassifier.fit(sample_articles(), ClassifierConfig(), NONE_TEXTS)
    off_topic = "thời tiết Tokyo tuần này thế nào"
    assert with_none.none_probability(off_topic) == pytest.approx(
        1.0 - float(with_none.probabilities(off_topic).sum()), abs=1e-5)
    assert with_none.none_probability(off_topic) > 0.5
    assert with_none.none_probability("tiền ký quỹ bao giờ được trả lại") < 0.5
    assert plain.none_probability(off_topic) == 0.0  # no "none" class
    assert with_none.none_probability("?!") == 0.0  # no words
