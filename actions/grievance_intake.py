"""The grievance form: what happened, where, who, a description, safe contact and consent."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SKIP, entity_values, is_skip, lang, latest_intent, send_meta
from actions.context import get_context
from actions.forms_base import BaseFormValidation
from actions.identity import sender_of
from knowledge_base.destinations import find_country
from knowledge_base.text import fold

logger = logging.getLogger(__name__)

CONTACT_CHOICES = ("any", "neutral", "none")
CONSENT_CHOICES = ("authorities", "all", "anonymous")
MIN_DESCRIPTION = 15


def categories() -> dict[str, Any]:
    return dict(get_context().grievance.categories.by_id)


def description_from(text: str) -> str | None:
    """The complaint's story: long enough to act on, not a button payload, at most 4,000 chars."""
    text = text.strip()
    if len(text) < MIN_DESCRIPTION or text.startswith("/"):
        return None
    return text[:4000]


def choice_from(text: str, tracker: Tracker, options: tuple[str, ...]) -> str | None:
    """A button's choice entity, or the option's number typed by the worker."""
    for value in entity_values(tracker, "choice"):
        if value in options:
            return value
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(options):
        return options[int(stripped) - 1]
    return None


def contact_choice(text: str, tracker: Tracker) -> str | None:
    """Whether we may message the worker: a button or its number, or a plain yes / no.

    "có", "đồng ý", "ok" (affirm) is read as the middle option, messages in neutral words: the
    worker said messaging is fine but did not say anyone else may read the phone. "không" (deny)
    means no messages.
    """
    chosen = choice_from(text, tracker, CONTACT_CHOICES)
    if chosen is not None:
        return chosen
    intent, _ = latest_intent(tracker)
    return {"affirm": "neutral", "deny": "none"}.get(intent)


def parse_category(text: str, tracker: Tracker) -> str | None:
    cats = categories()
    for value in entity_values(tracker, "category"):
        if value in cats:
            return value
    ids = list(cats)
    stripped = text.strip()
    if stripped.isdigit() and 1 <= int(stripped) <= len(ids):
        return ids[int(stripped) - 1]
    folded = fold(text)
    for cat_id, cat in cats.items():
        labels = [fold(v) for v in cat.label.values()]
        if any(label and (label in folded or folded in label) for label in labels):
            return cat_id
    return None


def category_buttons(language: str) -> list[dict[str, str]]:
    return [
        {"title": f"{i}. {cat.label.get(language) or cat.label['vi']}",
         "payload": "/inform" + json.dumps({"category": cat_id}, separators=(",", ":"))}
        for i, (cat_id, cat) in enumerate(categories().items(), start=1)
    ]


def attach_pending_files(code: str, sender: Any) -> int:
    """Photos or documents the worker sent before the ticket existed become its attachments."""
    from bot.attachments import claim_pending
    from grievance.service import GrievanceError

    ctx = get_context()
    count = 0
    for item in claim_pending(ctx.settings.db_path, sender.channel, sender.user_id):
        try:
            ctx.grievance.add_attachment(code, item.data, item.original_name, item.mime)
            count += 1
        except GrievanceError as exc:
            logger.warning("attachment refused ticket=%s code=%s", code, exc.code)
    return count


class ActionAskCategory(Action):
    def name(self) -> str:
        return "action_ask_g_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_ask_g_category",
                                 buttons=category_buttons(lang(tracker)))
        return []


class ActionGrievancePrefill(Action):
    def name(self) -> str:
        return "action_grievance_prefill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events = [SlotSet(s, None) for s in
                  ("g_category", "g_destination", "g_province", "g_respondent", "g_description",
                   "g_contact", "g_consent", "g_confirm")]
        cats = categories()
        category = next((v for v in entity_values(tracker, "category") if v in cats), None)
        if category:
            events.append(SlotSet("g_category", category))
        # Coming from the fee check or the licence check, reuse what the worker already said.
        country = tracker.get_slot("fee_country")
        if category == "fee_overcharge" and country:
            events.append(SlotSet("g_destination", country))
        company = tracker.get_slot("company_query")
        if category == "recruitment_fraud" and company:
            events.append(SlotSet("g_respondent", company))
        dispatcher.utter_message(response="utter_grievance_intro")
        return events


class ValidateGrievanceForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_grievance_form"

    async def extract_g_category(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "g_category", parse_category, "utter_invalid_choice", dispatcher, tracker)

    async def extract_g_destination(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            return SKIP if is_skip(text, t) else find_country(text)

        return await self.extract_with(
            "g_destination", parse, "utter_invalid_country", dispatcher, tracker)

    async def extract_g_province(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            if is_skip(text, t):
                return SKIP
            return get_context().grievance.router.resolve_province(text)

        return await self.extract_with(
            "g_province", parse, "utter_invalid_province", dispatcher, tracker)

    async def extract_g_respondent(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            return SKIP if is_skip(text, t) else (text.strip()[:200] or None)

        return await self.extract_with(
            "g_respondent", parse, "utter_invalid_choice", dispatcher, tracker)

    async def extract_g_description(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "g_description", lambda text, _t: description_from(text),
            "utter_description_too_short", dispatcher, tracker,
            # a story that reads as danger still alerts the hotline (ActionEmergency's
            # complaint_story), and the complaint goes on with it as its story
            weak_emergency_answers=False)

    async def extract_g_contact(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "g_contact", contact_choice,
            "utter_invalid_choice", dispatcher, tracker)

    async def extract_g_consent(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "g_consent", lambda text, t: choice_from(text, t, CONSENT_CHOICES),
            "utter_invalid_choice", dispatcher, tracker)

    async def extract_g_confirm(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            intent, _ = latest_intent(t)
            return "yes" if intent == "affirm" else None

        return await self.extract_with(
            "g_confirm", parse, "utter_confirm_yes_no", dispatcher, tracker)

    def validate_g_category(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_category", value)

    def validate_g_destination(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_destination", value)

    def validate_g_province(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_province", value)

    def validate_g_respondent(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_respondent", value)

    def validate_g_description(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_description", value)

    def validate_g_contact(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_contact", value)

    def validate_g_consent(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_consent", value)

    def validate_g_confirm(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("g_confirm", value)


class ActionAskConfirm(Action):
    """Shows the summary before the worker confirms."""

    def name(self) -> str:
        return "action_ask_g_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from actions.grievance_render import summary_values

        language = lang(tracker)
        dispatcher.utter_message(response="utter_g_summary", **summary_values(tracker, language))
        dispatcher.utter_message(response="utter_ask_g_confirm", summary="")
        return []


class ActionSubmitGrievance(Action):
    def name(self) -> str:
        return "action_submit_grievance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from actions.grievance_render import new_ticket_from, utter_received

        if tracker.get_slot("g_confirm") != "yes":
            return []
        sender = sender_of(tracker)
        ticket, pin = get_context().grievance.file_ticket(new_ticket_from(tracker, sender))
        # The ticket is committed to disk before the worker sees its code.
        attached = attach_pending_files(ticket.code, sender)
        utter_received(dispatcher, ticket, pin, lang(tracker))
        send_meta(dispatcher, ticket_code=ticket.code)
        logger.info("grievance filed ticket=%s category=%s attachments=%s",
                    ticket.code, ticket.category, attached)
        return [SlotSet("last_ticket", ticket.code), SlotSet("g_confirm", None)]
