"""Language switching and cancelling a form."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, lang
from knowledge_base.text import fold

logger = logging.getLogger(__name__)

FORM_SLOTS = {
    "fee_form": ["fee_country", "fee_months", "fee_salary", "fee_service_fee", "fee_rate"],
    "company_form": ["company_query"],
    "grievance_form": [
        "g_category", "g_destination", "g_province", "g_respondent",
        "g_description", "g_contact", "g_consent", "g_confirm",
    ],
    "status_form": ["status_code", "status_pin"],
}


def target_language(tracker: Tracker) -> str:
    """The language asked for: the target_language entity, else the other one."""
    for value in entity_values(tracker, "target_language"):
        folded = fold(value)
        if folded in ("en", "english", "tieng anh", "anh"):
            return "en"
        if folded in ("vi", "vietnamese", "tieng viet", "viet"):
            return "vi"
    return "en" if lang(tracker) == "vi" else "vi"


def clear_form(form: str | None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None)]
    for slot in FORM_SLOTS.get(form or "", []):
        events.append(SlotSet(slot, None))
    return events


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        target = target_language(tracker)
        dispatcher.utter_message(response=f"utter_language_changed_{target}")
        logger.info("language changed to %s", target)
        return [SlotSet("language", target)]


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        form = (tracker.active_loop or {}).get("name")
        dispatcher.utter_message(response="utter_cancelled")
        logger.info("form cancelled form=%s", form)
        return clear_form(form)
