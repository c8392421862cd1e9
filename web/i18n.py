"""Page and API texts from web/messages.yml, by language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

MESSAGES_FILE = Path(__file__).with_name("messages.yml")
LANGUAGES = ("vi", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))


def pick_language(value: str | None) -> str:
    return value if value in LANGUAGES else "vi"


def texts(language: str) -> dict[str, str]:
    language = pick_language(language)
    return {key: entry[language] for key, entry in catalogue().items()}


def text(key: str, language: str) -> str:
    return catalogue()[key][pick_language(language)]
