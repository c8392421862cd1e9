from __future__ import annotations

import pytest

from bot.formatting import (
    UnknownMessage,
    language_hint,
    load_messages,
    normalise_language,
    split_text,
    text,
)


def test_short_text_is_one_chunk():
    assert split_text("  Xin chào.  ", 4096) == ["Xin chào."]


def test_split_prefers_sentence_ends():
    value = "Câu một dài. Câu hai dài hơn! Câu ba? Câu bốn."
    assert split_text(value, 30) == ["Câu một dài. Câu hai dài hơn!", "Câu ba? Câu bốn."]


def test_split_keeps_every_word_and_respects_limit():
    value = ("Điều 7 quy định rõ. " * 300).strip()
    chunks = split_text(value, 2000)
    assert all(len(c) <= 2000 for c in chunks)
    assert " ".join(chunks) == value


def test_sentence_longer_than_limit_cut_at_spaces_then_hard():
    assert split_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_newlines_are_breaks():
    assert split_text("dòng một\ndòng hai", 12) == ["dòng một", "dòng hai"]


def test_every_message_has_both_languages():
    for key, entry in load_messages().items():
        assert set(entry) == {"vi", "en"}, key


def test_text_in_language_with_values():
    assert text("attachment_added", "en", code="HT-2026-000001") == (
        "I have attached your file to case HT-2026-000001."
    )
    assert text("rasa_down", None).startswith("Xin lỗi")
    with pytest.raises(UnknownMessage):
        text("no_such_key", "vi")


def test_rasa_down_names_the_confirmed_hotline_in_both_languages():
    assert "+84 981 84 84 84" in text("rasa_down", "vi")
    assert "+84 981 84 84 84" in text("rasa_down", "en")


def test_language_hint_order():
    assert language_hint("how much", "vi", "en") == "vi"
    assert language_hint("phí bao nhiêu", None, "en") == "vi"
    assert language_hint("phi bao nhieu", None, "en-US") == "en"
    assert language_hint("hello", None, None) is None
    assert normalise_language("fr") == "en"
    assert normalise_language(None) == "vi"
