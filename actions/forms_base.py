"""Shared slot extraction for our forms.

Every form slot has a custom mapping: the slot is filled here, from the latest message, only when it
is the slot the form asked for. A message that is really something else (cancel, an emergency, a
request for a person, a knowledge-base question that is not an answer) fills nothing, so the form
rejects the turn and the rules in nlu/rules/forms.yml handle it; an answer that cannot be understood
sets the slot to None after a polite re-ask, so the form asks again. One exception: a valid answer
that is an emergency only by the classifier's low emergency probability (see extract_with).
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import is_weak_emergency, latest_intent, latest_text

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

logger = logging.getLogger(__name__)

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
        weak_emergency_answers: bool = True,
        **response_kwargs: Any,
    ) -> dict[str, Any]:
        """The requested slot's value from the latest message, or {} when the message is not one.

        `weak_emergency_answers`: a message that is an emergency only by the classifier's low
        emergency probability (no danger phrase, another intent on top) and that is a valid
        answer fills the slot, after a reminder of the hotline with an "I need help now" button:
        such messages are most often the form's ordinary answer read wrongly (a company called
        "Cứu Hộ Việt" at the "which company" step), and closing the form would lose what the
        worker typed so far. Not an answer → the emergency rules take the turn as before.
        """
        if tracker.get_slot("requested_slot") != slot:
            return {}
        intent, confidence = latest_intent(tracker)
        weak = weak_emergency_answers and is_weak_emergency(tracker)
        if intent in INTERRUPTIONS and not weak:
            return {}
        value = parse(latest_text(tracker), tracker)
        if weak:
            if value is None:
                return {}  # not an answer either: the emergency rules take the turn
            dispatcher.utter_message(response="utter_emergency_reminder")
            logger.info("weak emergency signal taken as the answer for slot=%s", slot)
            return {slot: value}
        if value is not None:
            return {slot: value}
        if intent == "ask_question" and confidence >= QUESTION_CONFIDENCE:
            return {}
        dispatcher.utter_message(response=invalid_response, **response_kwargs)
        return {slot: None}

    def passthrough(self, slot: str, value: Any) -> dict[str, Any]:
        return {slot: value}
