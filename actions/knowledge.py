"""Answer questions from the curated knowledge base (retrieval), or admit we do not know."""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, lang, latest_intent, latest_text, send_meta
from actions.context import get_context
from actions.licence_check import is_licence_article, report_company
from knowledge_base.next_steps import load_next_steps

logger = logging.getLogger(__name__)

LABELS_FILE = Path(__file__).resolve().parent.parent / "knowledge_base" / "labels.yml"


@lru_cache(maxsize=1)
def _labels() -> dict[str, Any]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def citations_text(article: Any, language: str, limit: int | None = None) -> str:
    """'Luật 69/2020/QH14, Điều 23 khoản 4 (nguồn thứ cấp, ...)' for each citation.

    Chat answers show the first `limit` citations (the main ones come first in each article) and
    the count of the others; details show all.
    """
    labels = _labels()["verification"]
    parts = []
    shown = article.citations[:limit] if limit else article.citations
    for c in shown:
        level = labels.get(c.verification, labels["unverified"])[language]
        parts.append(f"{c.label()} ({level})")
    hidden = len(article.citations) - len(shown)
    if hidden > 0:
        parts.append(_labels()["more_citations"][language].format(n=hidden))
    return "; ".join(parts)


def review_date(article: Any) -> str:
    return article.reviewed_on.isoformat() if article.reviewed_on else "?"


def has_unverified(article: Any) -> bool:
    return any(c.verification == "unverified" for c in article.citations)


def first_company(tracker: Tracker) -> str | None:
    """The company name the latest message mentions (the `company` entity), if any."""
    return next(iter(entity_values(tracker, "company")), None)


def next_step_buttons(article_id: str, language: str, company: str | None) -> list[dict[str, str]]:
    """The article's next steps; the licence check carries the company the message named.

    "Xem giùm chị công ty Sen Vàng có hợp pháp không" often reads as a question about licences
    and gets the licence article: its "Check a company" button then checks Sen Vàng at once
    instead of asking for the name again.
    """
    buttons = load_next_steps().buttons(article_id, language)
    if not company:
        return buttons
    entity = json.dumps({"company": company}, separators=(",", ":"), ensure_ascii=False)
    return [{**b, "payload": b["payload"] + entity} if b["payload"] == "/check_company" else b
            for b in buttons]


def utter_article(
    dispatcher: CollectingDispatcher, article: Any, language: str, score: float | None,
    company: str | None = None,
) -> list[dict[str, Any]]:
    """Send an article's short answer with its citations and review date."""
    dispatcher.utter_message(
        response="utter_kb_answer",
        answer=article.text("answer", language),
        citations=citations_text(article, language, limit=2),
        reviewed_on=review_date(article),
        kb_id=article.id,
        # after the response's own "More details": the action that usually follows this answer
        buttons=next_step_buttons(article.id, language, company),
    )
    if has_unverified(article):
        dispatcher.utter_message(response="utter_kb_unverified_note")
    send_meta(dispatcher, kb_id=article.id, kb_score=score)
    logger.info("kb answer id=%s score=%s", article.id, score)
    return [SlotSet("kb_id", article.id)]


def article_button(article: Any, language: str) -> dict[str, str]:
    payload = "/ask_article" + json.dumps({"kb_id": article.id}, separators=(",", ":"))
    return {"title": article.text("title", language), "payload": payload}


def suggest_or_handoff(
    dispatcher: CollectingDispatcher, hits: list[Any], language: str
) -> list[dict[str, Any]]:
    """Below the answer threshold: offer the closest articles, or hand over to a person."""
    ctx = get_context()
    retriever = ctx.retriever
    suggestions = hits[: retriever.config.suggest_count] if retriever.decide(hits) != "handoff" \
        else []
    if suggestions:
        buttons = [article_button(ctx.articles[h.kb_id], language) for h in suggestions]
        dispatcher.utter_message(response="utter_kb_suggest", buttons=buttons)
        dispatcher.utter_message(response="utter_kb_suggest_human")
    else:
        dispatcher.utter_message(response="utter_kb_no_answer")
    top = hits[0] if hits else None
    send_meta(dispatcher, kb_id=None, kb_score=top.score if top else None)
    logger.info("kb no answer top_score=%s", top.score if top else None)
    return [SlotSet("kb_id", None)]


def answer_text(
    dispatcher: CollectingDispatcher, text: str, language: str, company: str | None = None,
    may_be_out_of_scope: bool = True, in_form: bool = False,
) -> list[dict[str, Any]]:
    """Answer, offer choices or hand off; a question like none of the articles is out of scope.

    `may_be_out_of_scope` is False for a bare form answer typed outside a form (`inform`: "Dạ
    nước Hàn", a company name): it is no question at all, so choices suit it better than "this
    is outside what I know".

    A question that names a company and is about licences or scams ("cty Sao Bắc có phải cty
    thật ko") is a licence check of that company (outside forms: inside one, the form's own
    question comes back after the answer).
    """
    ctx = get_context()
    hits = ctx.retriever.search(text, k=ctx.retriever.config.suggest_count)
    if (company and not in_form and hits and is_licence_article(hits[0].kb_id)
            and ctx.retriever.decide(hits) != "handoff"):
        logger.info("kb question names a company: licence check")
        return report_company(dispatcher, company)
    if may_be_out_of_scope and ctx.retriever.looks_out_of_scope(text):
        dispatcher.utter_message(response="utter_out_of_scope")
        send_meta(dispatcher, kb_id=None, kb_score=hits[0].score if hits else None,
                  handled="out_of_scope")
        logger.info("kb none-of-the-articles: out-of-scope reply")
        return [SlotSet("kb_id", None)]
    if ctx.retriever.decide(hits) == "answer":
        return utter_article(dispatcher, ctx.articles[hits[0].kb_id], language, hits[0].score,
                             company)
    return suggest_or_handoff(dispatcher, hits, language)


def sure_article(text: str, threshold: float) -> tuple[Any, float] | None:
    """The top article and its score when the retriever is at least `threshold` sure, else None."""
    ctx = get_context()
    hits = ctx.retriever.search(text, k=1)
    if hits and hits[0].score >= threshold and hits[0].kb_id in ctx.articles:
        return ctx.articles[hits[0].kb_id], hits[0].score
    return None


def answer_if_sure(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str
) -> list[dict[str, Any]] | None:
    """The article the retriever is very sure of (`answer_over_intent_threshold`), or None.

    None also when the text looks like none of the articles: a high score from shared words is
    no answer to an out-of-scope question.
    """
    retriever = get_context().retriever
    found = sure_article(text, retriever.config.answer_over_intent_threshold)
    if found is None or retriever.looks_out_of_scope(text):
        return None
    return utter_article(dispatcher, found[0], lang(tracker), found[1], first_company(tracker))


class ActionKnowledgeFirst(Action, ABC):
    """An intent that is not a knowledge question, unless the knowledge base is very sure it is.

    The intent classifier sometimes files a real question under `out_of_scope` or `help` ("danh
    sách công ty được cấp phép xem ở đâu"). When the retriever is very sure of one article (at or
    above `answer_over_intent_threshold`, chosen so that about 1 in 75 of the out-of-scope
    training texts would be answered), the article is the better reply; otherwise the intent's
    own response is sent.
    """

    intent_response = ""

    @abstractmethod
    def name(self) -> str:
        """Each concrete action names itself (rasa-sdk skips this abstract base)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answered = answer_if_sure(dispatcher, tracker, latest_text(tracker))
        if answered is not None:
            logger.info("kb answer over intent=%s", self.intent_response)
            return answered
        dispatcher.utter_message(response=self.intent_response)
        return []


class ActionOutOfScope(ActionKnowledgeFirst):
    intent_response = "utter_out_of_scope"

    def name(self) -> str:
        return "action_out_of_scope"


class ActionHelp(ActionKnowledgeFirst):
    intent_response = "utter_help"

    def name(self) -> str:
        return "action_help"


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = lang(tracker)
        articles = get_context().articles
        chosen = [k for k in entity_values(tracker, "kb_id") if k in articles]
        if chosen:
            return utter_article(dispatcher, articles[chosen[0]], language, 1.0)
        return answer_text(dispatcher, latest_text(tracker), language, first_company(tracker),
                           in_form=bool(tracker.active_loop_name))


class ActionAnswerDetails(Action):
    def name(self) -> str:
        return "action_answer_details"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = lang(tracker)
        articles = get_context().articles
        kb_id = next(iter(entity_values(tracker, "kb_id")), None) or tracker.get_slot("kb_id")
        article = articles.get(kb_id or "")
        if article is None:
            dispatcher.utter_message(response="utter_kb_no_answer")
            send_meta(dispatcher, kb_id=None, kb_score=None)
            return []
        dispatcher.utter_message(
            response="utter_kb_details",
            details=article.text("details", language) or article.text("answer", language),
            citations=citations_text(article, language),
            reviewed_on=review_date(article),
        )
        send_meta(dispatcher, kb_id=article.id, kb_score=1.0)
        return [SlotSet("kb_id", article.id)]


class ActionDefaultFallback(Action):
    """Low NLU confidence: the knowledge base answers if it is sure, else choices or a person.

    The retriever's calibrated score is its own evidence: an unsure intent classifier does not
    make a question the retriever recognises any less answerable.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = lang(tracker)
        return answer_text(dispatcher, latest_text(tracker), language, first_company(tracker),
                           may_be_out_of_scope=latest_intent(tracker)[0] != "inform",
                           in_form=bool(tracker.active_loop_name))
