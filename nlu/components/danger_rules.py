"""Danger phrases that make a message an emergency, whatever the classifier said.

Plain Python (no Rasa import): tested in our environment and used by the Rasa component
`danger_override.DangerOverride`. Phrases live in danger_phrases.yml beside this file.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge_base.shorthand import expand
from knowledge_base.text import fold, has_vietnamese_diacritics

PHRASES_FILE = Path(__file__).with_name("danger_phrases.yml")

# DangerOverride adds SIGNAL_KEY to the intent of a message it made an emergency, saying which
# signal did it; the actions read it (actions/emergency.py): inside a form, an emergency seen only
# through the classifier's low emergency probability alerts the hotline and lets the form go on.
SIGNAL_KEY = "emergency_signal"
PHRASE_SIGNAL = "danger_phrase"
TOP_SIGNAL = "classifier_top"
PROBABILITY_SIGNAL = "emergency_probability"


@lru_cache(maxsize=4)
def danger_pattern(path: str = str(PHRASES_FILE)) -> re.Pattern[str]:
    groups = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    together = groups.pop("together", None) or {}
    groups.pop("over", None)
    alternatives = [_alternatives([p for items in groups.values() for p in items])]
    for first, second in together.values():
        a, b = _alternatives(first), _alternatives(second)
        # both kinds of words in one line of the matched text (folded text, then the text as
        # written: shows_danger joins them with a newline), in either order
        alternatives.append(f"{a}[^\n]*{b}|{b}[^\n]*{a}")
    return re.compile("|".join(f"(?:{alt})" for alt in alternatives))


@lru_cache(maxsize=4)
def over_pattern(path: str = str(PHRASES_FILE)) -> re.Pattern[str]:
    """Words saying the danger is over: the writer is home or safe now (the `over` list)."""
    groups = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    phrases = groups.get("over") or []
    return re.compile(_alternatives(phrases) if phrases else "(?!)")


def _alternatives(phrases: list[str]) -> str:
    """One regex matching any of the phrases on word boundaries (longest first)."""
    matched = sorted({_as_matched(str(p)) for p in phrases}, key=len, reverse=True)
    return r"(?<![a-z0-9])(?:" + "|".join(re.escape(p) for p in matched) + r")(?![a-z0-9])"


def _as_matched(phrase: str) -> str:
    """A phrase written with diacritics (or in Korean) is matched as written, on the text as
    written: "bị giam" (detained) must not match "bị giảm" (cut, as in a pay cut), which folds
    alike. Every other phrase is folded like the text (Latin phrases are written folded already;
    Japanese and Chinese ones lose only voicing marks, on both sides alike)."""
    if has_vietnamese_diacritics(phrase):
        return unicodedata.normalize("NFC", phrase.lower())
    return fold(phrase)


def shows_danger(text: str, pattern: re.Pattern[str] | None = None,
                 over: re.Pattern[str] | None = None) -> bool:
    """True when the folded text contains a danger phrase (on word boundaries; a phrase in a
    script without spaces between words, such as "助けて", matches inside a longer text), or the
    text as written contains a phrase written with diacritics, and does not say the danger is
    over ("last year the boss hit me, now I am home safe, I want to report him": a grievance;
    the classifier still decides whether it is an emergency).

    Chat shorthand is expanded first (knowledge_base/shorthand.py: "ko" → "khong", "dc" →
    "duoc"), so "ko cho ra ngoai" matches the phrase "khong cho ra ngoai" without listing every
    short spelling.
    """
    folded = " ".join(expand(fold(text).replace("’", "'").split()))
    written = unicodedata.normalize("NFC", text.lower())
    both = folded + "\n" + written
    if (over or over_pattern()).search(both):
        return False
    return bool((pattern or danger_pattern()).search(both))
