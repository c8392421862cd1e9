"""Small helpers every action uses: the user's language and the metadata payload."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.rasa_client import META_KEY
from knowledge_base.text import fold
from nlu.components.danger_rules import PROBABILITY_SIGNAL, SIGNAL_KEY

LANGUAGES = ("vi", "en")
# A form answer the worker does not know or does not want to give ("bỏ qua", "không biết", /skip).
SKIP = "skip"
SKIP_WORDS = {"skip", "bo qua", "bo", "khong biet", "ko biet", "k biet", "dont know", "don't know",
              "i don't know", "khong ro", "ko ro", "chua biet", "unknown", "-"}


def lang(tracker: Tracker) -> str:
    """The language to answer in: the `language` slot, Vietnamese by default."""
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else "vi"


def send_meta(dispatcher: CollectingDispatcher, **meta: Any) -> None:
    """Attach what the bot did (article id, score, ticket code) as a custom payload.

    Channel adapters strip it before showing replies; `hanhtrang ask` reads it.
    """
    dispatcher.utter_message(json_message={META_KEY: meta})


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> tuple[str, float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def emergency_signal(tracker: Tracker) -> str | None:
    """Which signal made the latest message an emergency (set by DangerOverride), if any."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get(SIGNAL_KEY)


def is_weak_emergency(tracker: Tracker) -> bool:
    """An emergency only by the classifier's low emergency probability (see DangerOverride)."""
    return latest_intent(tracker)[0] == "emergency" and \
        emergency_signal(tracker) == PROBABILITY_SIGNAL


def is_skip(text: str, tracker: Tracker) -> bool:
    intent, _ = latest_intent(tracker)
    return intent == "skip" or fold(text).strip(" .!") in SKIP_WORDS


def entity_values(tracker: Tracker, name: str) -> list[str]:
    return [
        str(e.get("value"))
        for e in (tracker.latest_message or {}).get("entities") or []
        if e.get("entity") == name and e.get("value") is not None
    ]


WORD = re.compile(r"[\w']+")


def folded_words(text: str) -> str:
    """The text's words folded, punctuation dropped, with a space at each end (whole words)."""
    return " " + " ".join(WORD.findall(fold(text))) + " "


def says_any(text: str, words: Iterable[str]) -> bool:
    """The text uses one of `words` (folded phrases) as whole words."""
    folded = folded_words(text)
    return any(f" {w} " in folded for w in words)
