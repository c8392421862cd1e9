import pytest

from nlu.components.language_rules import detect_language, marker_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phí dịch vụ đi Nhật bao nhiêu?", "vi"),
        ("phi dich vu di nhat bao nhieu", "vi"),
        ("cty giu ho chieu cua em", "vi"),
        ("xkld dai loan can bn tien", "vi"),
        ("How much is the service fee for Japan?", "en"),
        ("my boss keep my passport", "en"),
        ("i want to make a complaint", "en"),
        ("HT-2026-000123", None),
        ("123456", None),
        ("ok", None),
        ("nghe an", None),  # a province typed without diacritics keeps the conversation's language
        # letter openings and closings (session 8: "Dear team," was answered in Vietnamese)
        ("Dear team,", "en"),
        ("Good afternoon officer", "en"),
        ("Best regards", "en"),
    ],
)
def test_detects_vietnamese_with_or_without_diacritics_and_english(text, expected):
    vi, en = marker_words()
    assert detect_language(text, vi, en) == expected


def test_marker_lists_do_not_decide_on_shared_words():
    vi, en = marker_words()
    shared = vi & en
    # A word in both lists counts for neither, so "the" (thế / the) cannot tip the balance.
    assert detect_language(" ".join(sorted(shared)) or "x", vi, en) is None
