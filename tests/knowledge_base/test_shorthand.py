"""Chat shorthand expansion, on the real table and on a table written in the test."""

from pathlib import Path

import pytest

from knowledge_base.shorthand import ShorthandError, expand, load_shorthand
from knowledge_base.text import fold, tokens


def test_common_short_forms_expand_to_the_words_of_the_questions():
    actual = expand(tokens("cty dc lay bn tien xkld ko"))
    expected = "cong ty duoc lay bao nhieu tien xuat khau lao dong khong".split()
    assert actual == expected


def test_unknown_words_are_kept_in_order():
    assert expand(["phi", "dich", "vu"]) == ["phi", "dich", "vu"]


def test_ambiguous_forms_are_not_in_the_table():
    table = load_shorthand()
    # "e" also starts visa names (E-9), "dk" is both "được" and "điều kiện", "hong" is also "hỏng".
    for ambiguous in ("e", "dk", "hong", "ct", "nc", "tt"):
        assert ambiguous not in table


def test_table_keys_and_values_are_folded_words():
    for short, words in load_shorthand().items():
        assert short == fold(short) and short.isalnum()
        for word in words:
            assert word == fold(word) and word.isalnum()


def test_a_table_that_is_not_a_mapping_is_refused(tmp_path: Path):
    path = tmp_path / "shorthand.yml"
    path.write_text("- ko\n- dc\n", encoding="utf-8")
    with pytest.raises(ShorthandError):
        load_shorthand(path)


def test_an_empty_expansion_is_refused(tmp_path: Path):
    path = tmp_path / "shorthand.yml"
    path.write_text("ko: ''\n", encoding="utf-8")
    with pytest.raises(ShorthandError):
        load_shorthand(path)
