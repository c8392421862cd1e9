"""Channel-neutral text helpers: the adapters' own texts, language choice, message splitting.

Why here: Telegram (4,096 characters) and Zalo (2,000) both need long bot answers cut where a
reader expects a break, and both speak to the worker in the worker's language.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
MESSAGES_PATH = Path(__file__).with_name("messages.yml")

# Letters that only Vietnamese uses among the languages we serve.
_VI_CHARS = re.compile(
    "[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]", re.IGNORECASE
)
# A sentence ends after . ! ? … (optionally closed by quotes/brackets) followed by space.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")


class UnknownMessage(KeyError):
    """A message key missing from bot/messages.yml."""


@lru_cache(maxsize=4)
def load_messages(path: str = str(MESSAGES_PATH)) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh) or {}
    return data


def text(key: str, language: str | None, **values: Any) -> str:
    """The adapter's own text `key` in `language` (Vietnamese when unknown)."""
    entry = load_messages().get(key)
    if entry is None:
        raise UnknownMessage(key)
    lang = normalise_language(language)
    template = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template


def normalise_language(code: str | None) -> str:
    """Map a channel's language code (e.g. Telegram's 'en-US') to one we serve."""
    if not code:
        return DEFAULT_LANGUAGE
    short = code.lower().split("-")[0].split("_")[0]
    return short if short in LANGUAGES else "en" if short else DEFAULT_LANGUAGE


def language_hint(
    message_text: str | None, preferred: str | None, channel_code: str | None
) -> str | None:
    """A hint for Rasa: the worker's chosen language, then the text's diacritics, then the app's."""
    if preferred in LANGUAGES:
        return preferred
    if message_text and _VI_CHARS.search(message_text):
        return "vi"
    if channel_code:
        return normalise_language(channel_code)
    return None


def split_text(value: str, limit: int) -> list[str]:
    """Cut `value` into chunks of at most `limit` characters, at sentence ends where possible."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    value = value.strip()
    if len(value) <= limit:
        return [value] if value else []
    pieces: list[str] = []
    pos = 0
    for match in _SENTENCE_END.finditer(value):
        pieces.append(value[pos : match.end()])
        pos = match.end()
    pieces.append(value[pos:])
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if len(current) + len(piece) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.strip())
        current = ""
        while len(piece) > limit:
            cut = _word_cut(piece, limit)
            chunks.append(piece[:cut].strip())
            piece = piece[cut:]
        current = piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _word_cut(piece: str, limit: int) -> int:
    """Where to cut a sentence longer than `limit`: the last space, else hard at the limit."""
    space = piece.rfind(" ", 0, limit + 1)
    return space if space > 0 else limit
