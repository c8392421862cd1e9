"""Which language a message is in: Vietnamese diacritics first, then marker words.

Plain Python (no Rasa import), so the rule is tested in our own environment and used by the Rasa
component `language_detector.LanguageDetector`.
"""

from __future__ import annotations

from collections.abc import Set
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge_base.text import has_vietnamese_diacritics, tokens

WORDS_FILE = Path(__file__).with_name("language_words.yml")


@lru_cache(maxsize=4)
def marker_words(path: str = str(WORDS_FILE)) -> tuple[frozenset[str], frozenset[str]]:
    words = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return frozenset(str(words["vi"]).split()), frozenset(str(words["en"]).split())


def detect_language(text: str, vi_words: Set[str], en_words: Set[str]) -> str | None:
    """'vi', 'en', or None when the text gives no clear signal (a code, a number, "ok")."""
    if has_vietnamese_diacritics(text):
        return "vi"
    words = tokens(text)
    vi = sum(1 for w in words if w in vi_words and w not in en_words)
    en = sum(1 for w in words if w in en_words and w not in vi_words)
    if vi > en:
        return "vi"
    if en > vi:
        return "en"
    return None
