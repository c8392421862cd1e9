import numpy as np
import pytest

from knowledge_base.retrieval.lexical import LexicalIndex, char_features, word_features
from knowledge_base.retrieval.settings import LexicalConfig
from tests.knowledge_base.retrieval_samples import sample_articles


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(sample_articles(), LexicalConfig())


def top(index: LexicalIndex, text: str) -> str:
    scores = index.scores(text)
    return index.article_ids[int(np.argmax(scores))]


def test_word_features_are_folded_words_and_word_pairs():
    actual = word_features("Phí dịch vụ")
    expected = ["phi", "dich", "vu", "phi_dich", "dich_vu"]
    assert actual == expected


def test_char_features_mark_word_boundaries():
    actual = char_features("Đi Nhật", 3)
    expected = [" di", "di ", "i n", " nh", "nha", "hat", "at "]
    assert actual == expected


def test_char_features_of_text_without_words_are_empty():
    assert char_features("?!", 3) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiền dịch vụ tối đa mấy tháng lương", "fees.service_fee"),
        ("tien dich vu toi da may thang luong", "fees.service_fee"),
        ("khi nào lấy lại tiền ký quỹ", "fees.deposit"),
        ("when can I get the deposit back", "fees.deposit"),
        ("đi nhật làm thực tập sinh", "dest.japan"),
        ("so duong day nong", "help.hotlines"),
    ],
)
def test_questions_with_and_without_diacritics_find_their_article(index, text, expected):
    assert top(index, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tien dihc vu toi da", "fees.service_fee"),
        ("tien kyquy", "fees.deposit"),
        ("hotlien number", "help.hotlines"),
    ],
)
def test_typos_still_match_through_character_ngrams(index, text, expected):
    assert top(index, text) == expected


def test_scores_are_normalised_between_zero_and_one(index):
    scores = index.scores("phi dich vu phi dich vu ky quy nhat ban hotline")
    assert scores.shape == (4,)
    assert float(scores.min()) >= 0.0
    assert float(scores.max()) <= 1.0


def test_unrelated_question_scores_low_everywhere(index):
    related = float(index.scores("tiền dịch vụ tối đa bao nhiêu").max())
    unrelated = float(index.scores("giá vàng hôm nay").max())
    assert unrelated < 0.15
    assert related > 3 * unrelated


def test_text_without_words_scores_zero(index):
    assert index.scores("???").tolist() == [0.0, 0.0, 0.0, 0.0]


def test_answer_text_counts_less_than_questions():
    articles = sample_articles()
    heavy = LexicalIndex.build(articles, LexicalConfig(answer_weight=1.0))
    light = LexicalIndex.build(articles, LexicalConfig(answer_weight=0.0))
    # "ngân hàng" appears in the deposit answer and in one deposit question.
    text = "ngan hang"
    assert heavy.scores(text)[1] > light.scores(text)[1] > 0.0


def test_index_is_deterministic():
    first = LexicalIndex.build(sample_articles(), LexicalConfig()).scores("phi dich vu nhat")
    second = LexicalIndex.build(sample_articles(), LexicalConfig()).scores("phi dich vu nhat")
    assert first.tolist() == second.tolist()
