"""Emergencies first: contacts before anything else, then an urgent ticket.

Also the hand-off to a person.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, is_weak_emergency, lang, latest_text, send_meta
from actions.context import get_context
from actions.grievance_intake import description_from
from actions.identity import sender_of
from actions.knowledge import sure_article, utter_article
from knowledge_base.text import fold

logger = logging.getLogger(__name__)

KEYWORDS_FILE = Path(__file__).with_name("emergency_keywords.yml")


@lru_cache(maxsize=1)
def _keywords() -> dict[str, Any]:
    return yaml.safe_load(KEYWORDS_FILE.read_text(encoding="utf-8"))


def emergency_category(text: str) -> str:
    folded = f" {fold(text)} "
    data = _keywords()
    for category, words in data["categories"].items():
        if any(f" {w} " in folded or (len(w) > 6 and w in folded) for w in words):
            return category
    return str(data["default"])


def known_destination(tracker: Tracker) -> str | None:
    from knowledge_base.destinations import find_country

    for value in entity_values(tracker, "country"):
        code = find_country(value)
        if code:
            return code
    code = find_country(latest_text(tracker))
    if code:
        return code
    for slot in ("g_destination", "fee_country"):
        value = tracker.get_slot(slot)
        if value and len(str(value)) == 2:
            return str(value)
    return None


def contacts_text(destination: str | None, language: str) -> str:
    """One bullet line per known contact for the destination (data from destinations.yml)."""
    if not destination:
        return ""
    dest = get_context().destinations.get(destination)
    if dest is None:
        return ""
    lines = []
    for contact in getattr(dest, "contacts", []) or []:
        phone = getattr(contact, "phone", None)
        if not phone or "84 981 84 84 84" in str(phone):
            continue
        name = getattr(contact, "name", {}) or {}
        lines.append(f"• {name.get(language) or name.get('vi', '')}: {phone}\n")
    for label, phone in (getattr(dest, "emergency_numbers", {}) or {}).items():
        lines.append(f"• {label}: {phone}\n")
    return "".join(lines)


def file_ticket(
    tracker: Tracker, category: str, legal_type: str, destination: str | None
) -> Any:
    from grievance.service import NewTicket

    sender = sender_of(tracker)
    new = NewTicket(
        channel=sender.channel,
        channel_user_id=sender.user_id,
        language=lang(tracker),
        category=category,
        description=latest_text(tracker),
        destination=destination,
        legal_type=legal_type,
        source_event_id=sender.event_id,
    )
    return get_context().grievance.file_ticket(new)


class ActionEmergency(Action):
    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = lang(tracker)
        destination = known_destination(tracker)
        # The contacts go out first, whatever happens next.
        dispatcher.utter_message(
            response="utter_emergency", contacts=contacts_text(destination, language)
        )
        story = complaint_story(tracker)
        going_on = None if story else weak_signal_form(tracker)
        # Whatever form was open is closed (the rules expect `active_loop: null`), except the
        # complaint whose story this message is (complaint_story) and a form whose answer was
        # an emergency only by the classifier's low emergency probability (weak_signal_form).
        events: list[dict[str, Any]] = (
            [] if story or going_on else [ActiveLoop(None), SlotSet("requested_slot", None)]
        )
        category = emergency_category(latest_text(tracker))
        ticket, pin = file_ticket(tracker, category, "help_request", destination)
        dispatcher.utter_message(
            response="utter_emergency_ticket", code=ticket.code, pin=pin or "—"
        )
        send_meta(dispatcher, ticket_code=ticket.code, emergency=True)
        logger.info("emergency ticket=%s category=%s dest=%s", ticket.code, category, destination)
        events.append(SlotSet("last_ticket", ticket.code))
        if story:
            dispatcher.utter_message(response="utter_emergency_complaint_continues")
            logger.info("emergency in complaint story ticket=%s: complaint continues", ticket.code)
            return events + [SlotSet("g_description", story), FollowupAction("grievance_form")]
        if going_on:
            dispatcher.utter_message(response="utter_emergency_form_continues")
            logger.info("weak emergency signal in form=%s ticket=%s: form goes on",
                        going_on, ticket.code)
            return events + [FollowupAction(going_on)]
        return events + related_article(dispatcher, latest_text(tracker), language)


def complaint_story(tracker: Tracker) -> str | None:
    """The message, when it is the story a worker types at the complaint's "what happened" step.

    Complaint stories often read as emergencies (unpaid months, threats, "nobody helps"). The
    contacts and the urgent ticket still go out first; then the complaint goes on with this text
    as its story instead of being closed, so the worker does not lose it (they can still cancel).
    """
    if tracker.active_loop_name != "grievance_form":
        return None
    if tracker.get_slot("requested_slot") != "g_description":
        return None
    return description_from(latest_text(tracker))


def weak_signal_form(tracker: Tracker) -> str | None:
    """The open form, when the message was an emergency only by a low emergency probability.

    DangerOverride also calls a message an emergency when the classifier's top intent was another
    one and only the emergency probability reached `min_probability` (no danger phrase). When such
    a message is a valid answer, the form has already taken it (forms_base.extract_with); when it
    is not, it reaches this action: the contacts and the urgent ticket still go out, then the form
    asks its question again instead of being closed, so nothing typed so far is lost.
    """
    if not is_weak_emergency(tracker):
        return None
    return tracker.active_loop_name


def related_article(
    dispatcher: CollectingDispatcher, text: str, language: str
) -> list[dict[str, Any]]:
    """After the contacts and the ticket: the article the message asks about, if one clearly fits.

    Many danger messages are also questions ("is the boss allowed to keep my passport?"). The
    contacts and the urgent ticket come first regardless; the rule itself then helps the worker
    judge the situation and talk to the hotline.
    """
    found = sure_article(text, get_context().retriever.config.answer_threshold)
    if found is None:
        return []
    dispatcher.utter_message(response="utter_emergency_related")
    return utter_article(dispatcher, found[0], language, found[1])


class ActionHumanHandoff(Action):
    """The worker wants a person: a question ticket the hotline answers from the console."""

    def name(self) -> str:
        return "action_human_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        ticket, pin = file_ticket(
            tracker, "other", "petition", known_destination(tracker)
        )
        dispatcher.utter_message(response="utter_handoff", code=ticket.code, pin=pin or "—")
        send_meta(dispatcher, ticket_code=ticket.code)
        logger.info("handoff ticket=%s", ticket.code)
        return events + [SlotSet("last_ticket", ticket.code)]
