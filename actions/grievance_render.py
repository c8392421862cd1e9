"""Turning form slots into a ticket, and tickets into what the worker reads."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import lang, latest_text
from actions.context import get_context
from actions.identity import Sender

LABELS_FILE = Path(__file__).with_name("grievance_labels.yml")
SKIP = "skip"
# Consent per recipient for each choice of the consent question.
CONSENT = {
    "authorities": {"ministry": True, "embassy": True, "recruiter": False, "employer": False},
    "all": {"ministry": True, "embassy": True, "recruiter": True, "employer": True},
    "anonymous": {"ministry": False, "embassy": False, "recruiter": False, "employer": False},
}


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def _value(slot_value: Any, language: str) -> str:
    if slot_value in (None, "", SKIP):
        return str(labels()["skipped"][language])
    return str(slot_value)


def summary_values(tracker: Tracker, language: str) -> dict[str, str]:
    service = get_context().grievance
    category = service.categories.by_id.get(tracker.get_slot("g_category") or "")
    destination = tracker.get_slot("g_destination")
    dest = get_context().destinations.get(destination or "")
    province = service.router.provinces.get(tracker.get_slot("g_province") or "")
    return {
        "category": category.label[language] if category else _value(None, language),
        "destination": dest.name.get(language, destination) if dest else _value(None, language),
        "province": province.name[language] if province else _value(None, language),
        "respondent": _value(tracker.get_slot("g_respondent"), language),
        "description": _value(tracker.get_slot("g_description"), language),
        "contact": labels()["contact"].get(tracker.get_slot("g_contact") or "", {}).get(
            language, _value(None, language)),
        "consent": labels()["consent"].get(tracker.get_slot("g_consent") or "", {}).get(
            language, _value(None, language)),
    }


def _clean(value: Any) -> str | None:
    return None if value in (None, "", SKIP) else str(value)


def new_ticket_from(tracker: Tracker, sender: Sender) -> Any:
    from grievance.service import NewTicket

    respondent = _clean(tracker.get_slot("g_respondent"))
    consent_choice = tracker.get_slot("g_consent") or "authorities"
    fee = tracker.get_slot("fee_result") if tracker.get_slot("g_category") == "fee_overcharge" \
        else None
    return NewTicket(
        channel=sender.channel,
        channel_user_id=sender.user_id,
        language=lang(tracker),
        category=str(tracker.get_slot("g_category")),
        description=str(tracker.get_slot("g_description") or latest_text(tracker)),
        destination=_clean(tracker.get_slot("g_destination")),
        province=_clean(tracker.get_slot("g_province")),
        respondent_kind="recruiter" if respondent else "unknown",
        respondent=respondent,
        contact={"channel": sender.channel, "mode": tracker.get_slot("g_contact") or "any"},
        anonymous=consent_choice == "anonymous",
        consent=CONSENT.get(consent_choice, CONSENT["authorities"]),
        fee_check=fee if isinstance(fee, dict) else None,
        source_event_id=sender.event_id,
    )


def ticket_values(ticket: Any, language: str) -> dict[str, str]:
    service = get_context().grievance
    category = service.categories.by_id.get(ticket.category)
    legal = service.categories.legal_type_labels.get(ticket.legal_type, {})
    try:
        unit = service.router.unit(ticket.unit).name.get(language, ticket.unit)
    except Exception:  # an unknown unit id must not hide the ticket from its worker
        unit = ticket.unit
    return {
        "code": ticket.code,
        "category": category.label[language] if category else ticket.category,
        "legal_type": legal.get(language, ticket.legal_type),
        "status": labels()["status"].get(ticket.status, {}).get(language, ticket.status),
        "unit": unit,
        "received": (ticket.received_at or "")[:10],
        "accept_by": ticket.accept_by or "?",
        "resolve_by": ticket.resolve_by or "",
        "resolve_by_max": ticket.resolve_by_max or ticket.resolve_by or "",
        "rules": deadline_rules(ticket, language),
    }


def legal_reference(doc: str, article: str, language: str) -> str:
    """'Luật Khiếu nại 02/2011/QH13 Điều 28' from the rules file's English names."""
    table = labels()
    doc_label = table["legal_docs"].get(doc, {}).get(language, doc)
    number = re.fullmatch(r"Art\. (\d+)", article)
    if number:
        article_label = table["article_number"][language].format(n=number.group(1))
    else:
        article_label = table["legal_articles"].get(article, {}).get(language, article)
    return f"{doc_label} {article_label}".strip()


def deadline_rules(ticket: Any, language: str) -> str:
    """'Luật Khiếu nại 02/2011/QH13 Điều 27; …': the legal basis of the ticket's deadlines."""
    import datetime as dt

    from grievance.deadlines import DeadlineError, compute_deadlines

    try:
        deadlines = compute_deadlines(
            ticket.deadline_kind, dt.date.fromisoformat(ticket.received_at[:10]),
            remote=ticket.remote, complexity=ticket.complexity or "normal",
        )
    except (DeadlineError, ValueError):
        return ""
    seen: list[str] = []
    for rule in deadlines.rules:
        label = legal_reference(rule.doc, rule.article, language)
        if label not in seen:
            seen.append(label)
    return "; ".join(seen)


def utter_received(
    dispatcher: CollectingDispatcher, ticket: Any, pin: str | None, language: str
) -> None:
    values = ticket_values(ticket, language)
    dispatcher.utter_message(response="utter_grievance_received", pin=pin or "—", **values)
    if values["resolve_by"]:
        dispatcher.utter_message(response="utter_resolve_note", **values)
