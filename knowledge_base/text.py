"""Text normalisation shared by retrieval, matching and language detection.

Workers often type without diacritics, so matching happens on folded text: lower case, Vietnamese
diacritics removed, đ → d. Standard library only, so that the Rasa environment (Python 3.10) can
import it too.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN_RE = re.compile(r"[0-9a-z]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case `text` and strip diacritics (đ→d), keeping one character per input character.

    Keeping the length lets callers map folded offsets back onto the original text.
    """
    out = []
    for ch in text.lower():
        if ch == "đ":
            out.append("d")
            continue
        base = unicodedata.normalize("NFD", ch)
        stripped = "".join(c for c in base if unicodedata.category(c) != "Mn")
        out.append(stripped[:1] if len(stripped) >= 1 else ch)
    return "".join(out)


def tokens(text: str) -> list[str]:
    """Folded word tokens (letters and digits) of `text`."""
    return _TOKEN_RE.findall(fold(text))


def has_vietnamese_diacritics(text: str) -> bool:
    """True when `text` contains a letter with a Vietnamese diacritic or đ."""
    return any(
        ch in "đĐ" or (ch.isalpha() and unicodedata.normalize("NFD", ch) != ch) for ch in text
    )
