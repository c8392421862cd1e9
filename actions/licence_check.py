"""Is this recruiter licensed? The registry search and its reply, shared by the licence-check
form (actions/company_check.py) and the knowledge base (a question that names a company,
actions/knowledge.py)."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import says_any, send_meta
from actions.context import get_context

logger = logging.getLogger(__name__)

MATCH_THRESHOLD = 0.75
KEYWORDS_FILE = Path(__file__).with_name("company_keywords.yml")


@lru_cache(maxsize=1)
def keywords() -> dict[str, Any]:
    return yaml.safe_load(KEYWORDS_FILE.read_text(encoding="utf-8"))


def asks_how_to_check(text: str) -> bool:
    """"làm sao tự kiểm tra cty có giấy phép", "how to check agency license myself"."""
    return says_any(text, keywords()["how_to"])


def is_licence_article(kb_id: str | None) -> bool:
    return kb_id in keywords()["licence_articles"]


def report_company(dispatcher: CollectingDispatcher, query: str) -> list[dict[str, Any]]:
    """Search the registry for `query` and say whether it is licensed (or not found)."""
    matches = get_context().registry.search(query, limit=3)
    best = matches[0] if matches and matches[0].score >= MATCH_THRESHOLD else None
    if best is None:
        dispatcher.utter_message(response="utter_company_not_found", query=query)
        logger.info("company check: not found")
    else:
        fields = {
            "name": best.name, "licence_no": best.licence_no,
            "licence_date": str(best.licence_date or "?"), "status": best.status,
            "status_date": str(best.status_date or "?"),
            "list_date": str(best.list_date or "?"),
            "source": best.source,
        }
        if best.status == "active":
            dispatcher.utter_message(response="utter_company_active", **fields)
        else:
            dispatcher.utter_message(response="utter_company_not_active", **fields)
        logger.info("company check: licence=%s status=%s", best.licence_no, best.status)
    if matches and matches[0].sample:
        dispatcher.utter_message(response="utter_company_sample_note")
    send_meta(dispatcher, company=best.licence_no if best else None,
              company_status=best.status if best else "not_found", handled="check_company")
    return [SlotSet("company_query", query)]
