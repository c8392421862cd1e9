"""Shared slot extraction for our forms.

Every form slot has a custom mapping: the slot is filled here, from the latest message, only when it
is the slot the form asked for. A message that is really something else (cancel, an emergency, a
request for a person, a knowledge-base question that is not an answer) fills nothing, so the form
rejects the turn and the rules in nlu/rules/forms.yml handle it; an answer that cannot be understood
sets the slot to None after a polite re-ask, so the form asks again.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, latest_text

INTERRUPTIONS = frozenset(
    {
        "cancel",
        "emergency",
        "human_handoff",
        "ask_article",
        "ask_details",
        "change_language",
        "bot_challenge",
        "help",
    }
)
QUESTION_CONFIDENCE = 0.5

Parser = Callable[[str, Tracker], Any]


class BaseFormValidation(FormValidationAction, abc.ABC):
    """Abstract: rasa-sdk registers only the concrete subclasses."""

    @abc.abstractmethod
    def name(self) -> str:
        """The validation action's name, validate_<form>."""

    async def extract_with(
        self,
        slot: str,
        parse: Parser,
        invalid_response: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        **response_kwargs: Any,
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        intent, confidence = latest_intent(tracker)
        if intent in INTERRUPTIONS:
            return {}
        value = parse(latest_text(tracker), tracker)
        if value is not None:
            return {slot: value}
        if intent == "ask_question" and confidence >= QUESTION_CONFIDENCE:
            return {}
        dispatcher.utter_message(response=invalid_response, **response_kwargs)
        return {slot: None}

    def passthrough(self, slot: str, value: Any) -> dict[str, Any]:
        return {slot: value}
