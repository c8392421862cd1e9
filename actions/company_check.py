"""Is this recruiter licensed? The licence-check form: the name, then the registry search."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, latest_text
from actions.forms_base import BaseFormValidation
from actions.knowledge import answer_if_sure
from actions.licence_check import asks_how_to_check, report_company

logger = logging.getLogger(__name__)


class ActionCompanyPrefill(Action):
    def name(self) -> str:
        return "action_company_prefill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        names = entity_values(tracker, "company")
        if not names and asks_how_to_check(latest_text(tracker)):
            answered = answer_if_sure(dispatcher, tracker, latest_text(tracker))
            if answered is not None:
                logger.info("company prefill: answered how to check instead of the form")
                return [*answered, FollowupAction("action_listen")]
        return [SlotSet("company_query", names[0] if names else None)]


class ValidateCompanyForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_company_form"

    async def extract_company_query(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            names = entity_values(t, "company")
            value = (names[0] if names else text).strip()
            return value[:200] if len(value) >= 2 and not value.startswith("/") else None

        return await self.extract_with(
            "company_query", parse, "utter_ask_company_query", dispatcher, tracker)

    def validate_company_query(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("company_query", value)


class ActionCompanyResult(Action):
    def name(self) -> str:
        return "action_company_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return report_company(dispatcher, tracker.get_slot("company_query") or "")
