"""Where is my complaint? By code + PIN, or at once for the same chat identity."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, lang, latest_text, send_meta
from actions.context import get_context
from actions.forms_base import BaseFormValidation
from actions.identity import sender_of

logger = logging.getLogger(__name__)

CODE_RE = re.compile(r"\bHT[-\s]?(\d{4})[-\s]?(\d{6})\b", re.IGNORECASE)
PIN_RE = re.compile(r"\b(\d{6})\b")


def find_code(text: str) -> str | None:
    match = CODE_RE.search(text)
    return f"HT-{match.group(1)}-{match.group(2)}" if match else None


def find_pin_beside_code(text: str) -> str | None:
    """A PIN typed in the same message as the code ("HT-2026-000015 645928"), if any."""
    match = PIN_RE.search(CODE_RE.sub(" ", text))
    return match.group(1) if match and find_code(text) else None


def utter_status(dispatcher: CollectingDispatcher, ticket: Any, language: str) -> None:
    from actions.grievance_render import ticket_values

    values = ticket_values(ticket, language)
    dispatcher.utter_message(response="utter_status", **values)
    if values.get("resolve_by"):
        dispatcher.utter_message(response="utter_resolve_note", **values)
    send_meta(dispatcher, ticket_code=ticket.code)


class ActionStatusPrefill(Action):
    """Same chat identity: answer at once. A code in the message: skip asking for it."""

    def name(self) -> str:
        return "action_status_prefill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        service = get_context().grievance
        sender = sender_of(tracker)
        code = next(iter(entity_values(tracker, "ticket_code")), None) or find_code(
            latest_text(tracker))
        code = find_code(code) if code else None
        own = {t.code: t for t in service.tickets_for_user(sender.channel, sender.user_id)}
        wanted = [own[code]] if code in own else ([] if code else list(own.values())[-3:])
        if wanted:
            for ticket in wanted:
                utter_status(dispatcher, ticket, lang(tracker))
            logger.info("status for own tickets n=%s", len(wanted))
            # Nothing to ask: fill the form's slots so it completes at once.
            return [SlotSet("status_code", "own"), SlotSet("status_pin", "own")]
        pin = find_pin_beside_code(latest_text(tracker)) if code else None
        return [SlotSet("status_code", code), SlotSet("status_pin", pin)]


class ValidateStatusForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_status_form"

    async def extract_status_code(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            return find_code(next(iter(entity_values(t, "ticket_code")), text))

        return await self.extract_with(
            "status_code", parse, "utter_invalid_code", dispatcher, tracker)

    async def extract_status_pin(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, _t: Tracker) -> str | None:
            match = PIN_RE.search(text)
            return match.group(1) if match else None

        return await self.extract_with(
            "status_pin", parse, "utter_ask_status_pin", dispatcher, tracker)

    def validate_status_code(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("status_code", value)

    def validate_status_pin(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("status_pin", value)


class ActionStatusResult(Action):
    def name(self) -> str:
        return "action_status_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from grievance.service import GrievanceError

        code, pin = tracker.get_slot("status_code"), tracker.get_slot("status_pin")
        events = [SlotSet("status_code", None), SlotSet("status_pin", None)]
        if code == "own":
            return events
        try:
            ticket = get_context().grievance.lookup(code or "", pin or "")
        except GrievanceError as exc:
            logger.info("status lookup failed: %s", exc.code)
            locked = exc.code == "locked"
            dispatcher.utter_message(
                response="utter_status_locked" if locked else "utter_status_not_found")
            return events
        utter_status(dispatcher, ticket, lang(tracker))
        return events


