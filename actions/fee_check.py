"""The fee-check conversation: destination, contract length, wage and fee, against the caps."""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SKIP, folded_words, is_skip, lang, latest_text, says_any
from actions.context import get_context
from actions.forms_base import BaseFormValidation
from actions.knowledge import answer_if_sure, utter_article
from knowledge_base.amounts import Money, parse_money, parse_months, parse_salary_months
from knowledge_base.destinations import find_country

logger = logging.getLogger(__name__)

KEYWORDS_FILE = Path(__file__).with_name("fee_keywords.yml")
ROLES = ("salary", "deposit", "brokerage", "service_fee")
# An amount the fee form does not check, with no service fee beside it: the article on its rule.
RULE_ARTICLES = {"brokerage": "fees.brokerage", "deposit": "fees.deposit"}
# Pseudo-currency of a fee stated in months of wage ("3 tháng lương"): the slot keeps "3 SALARY"
# until the wage is known (fee_money).
SALARY_MULTIPLE = "SALARY"
# What the fee form asks, and every slot a new fee check starts from empty.
FORM_FACTS = ("fee_country", "fee_months", "fee_salary", "fee_service_fee")
FEE_SLOTS = (*FORM_FACTS, "fee_rate", "fee_result")
CLAUSE_SPLIT = re.compile(r"[,;.\n]| và | va | and | but | nhưng | nhung ")


@lru_cache(maxsize=1)
def _keywords() -> dict[str, Any]:
    return yaml.safe_load(KEYWORDS_FILE.read_text(encoding="utf-8"))


def money_to_slot(money: Money) -> str:
    return f"{money.amount} {money.currency}"


def money_from_slot(value: str | None) -> Money | None:
    if not value:
        return None
    amount, _, currency = str(value).partition(" ")
    try:
        return Money(Decimal(amount), currency)
    except InvalidOperation:
        return None


def _says_any(text: str, keywords: str) -> bool:
    """The text uses one of the fee_keywords.yml list `keywords`, as whole words."""
    return says_any(text, _keywords()[keywords])


def _roles_named(text: str, roles: tuple[str, ...]) -> str | None:
    """The first of `roles` whose keywords the text uses (words folded, punctuation dropped)."""
    folded = folded_words(text)
    for role in roles:
        if any(f" {w}" in folded for w in _keywords()[role]):
            return role
    return None


def amount_role(clause: str, message: str = "") -> str:
    """Which amount a clause talks about, from keywords; the service fee by default.

    A clause that names no role takes a deposit or brokerage named elsewhere in the message
    ("max deposit for Korea is how much, company ask 50 million"); never a salary, which would
    swallow the fee in "lương 18 man, 150 củ".
    """
    return (_roles_named(clause, ROLES)
            or _roles_named(message, ("deposit", "brokerage"))
            or "service_fee")


def asks_for_cap(text: str) -> bool:
    """The worker asks what the most is ("tối đa bao nhiêu", "max fee"), not whether X is legal."""
    return _says_any(text, "cap_question")


def _cut_words() -> frozenset[str]:
    """One-word role keywords a new amount may start at ("thu", "phí", "lương"...).

    Not "đồng" (the currency folds to "dong") nor "mất" (lost): they follow amounts, not start them.
    """
    words = {w for role in ROLES for w in _keywords()[role] if " " not in w}
    return frozenset(words - {"dong", "mat"})


def amount_pieces(clause: str) -> list[str]:
    """A clause cut before each role word that follows an amount.

    "Rumani 2 năm lương 700 euro họ thu 6000 euro" is one clause with two amounts: only the first
    used to be read (as the wage), and the 6,000 euro fee was lost.
    """
    pieces: list[list[str]] = [[]]
    cut = _cut_words()
    for word in clause.split():
        folded = folded_words(word).strip()
        if pieces[-1] and folded in cut and parse_money(" ".join(pieces[-1])) is not None:
            pieces.append([])
        pieces[-1].append(word)
    return [" ".join(p) for p in pieces if p]


def extract_fee_facts(text: str) -> dict[str, Any]:
    """What a worker's one-line message already says: country, months and amounts by role."""
    facts: dict[str, Any] = {}
    country = find_country(text)
    if country:
        facts["country"] = country
    months = parse_months(text, bare_number=False)
    if months:
        facts["months"] = months
    for clause in CLAUSE_SPLIT.split(text):
        for piece in amount_pieces(clause):
            money = parse_money(piece)
            if money is None or money.amount <= 0:
                continue
            facts.setdefault(amount_role(piece, text), money)
    months_of_wage = parse_salary_months(text)
    if months_of_wage and "service_fee" not in facts:
        facts["service_fee"] = Money(months_of_wage, SALARY_MULTIPLE)  # "phí 3 tháng lương"
    return facts


def fee_money(tracker: Tracker) -> Money | None:
    """The service fee slot as money; a fee in months of wage is converted with the wage."""
    fee = money_from_slot(tracker.get_slot("fee_service_fee"))
    if fee is None or fee.currency != SALARY_MULTIPLE:
        return fee
    salary = money_from_slot(tracker.get_slot("fee_salary"))
    return Money(fee.amount * salary.amount, salary.currency) if salary else None


def service_fee_answer(text: str, tracker: Tracker) -> str | None:
    """The fee step's answer: an amount, months of wage, or a wish to see only the cap."""
    money = parse_money(text, default_currency="VND")
    if money and money.amount > 0:
        return money_to_slot(money)
    months = parse_salary_months(text)
    if months:
        return money_to_slot(Money(months, SALARY_MULTIPLE))
    # "chưa biết", /skip, "chỉ muốn biết mức tối đa": show the cap without a verdict.
    return SKIP if is_skip(text, tracker) or asks_for_cap(text) else None


def default_currency(tracker: Tracker) -> str | None:
    code = tracker.get_slot("fee_country")
    return _keywords().get("default_currency", {}).get(code) if code else None


def needed_rates(salary: Money | None, fee: Money | None) -> list[str]:
    """Currencies (other than VND) that need a rate to compare salary and fee."""
    if salary is None or fee is None or salary.currency == fee.currency:
        return []
    return sorted({c for c in (salary.currency, fee.currency) if c != "VND"})


class ActionFeePrefill(Action):
    def name(self) -> str:
        return "action_fee_prefill"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        facts = extract_fee_facts(text)
        other = next((role for role in RULE_ARTICLES if role in facts), None)
        if other and "service_fee" not in facts:
            answered = rule_answer(dispatcher, tracker, RULE_ARTICLES[other])
            if answered:  # else (the article is not approved) the form goes on as before
                return answered
        if "service_fee" not in facts and not asks_for_cap(text) and not asks_to_check(text):
            answered = knowledge_first(dispatcher, tracker, text)
            if answered:
                return answered
        events = [SlotSet(s, None) for s in FEE_SLOTS]
        resets = len(events)
        if "country" in facts:
            events.append(SlotSet("fee_country", facts["country"]))
        if "months" in facts:
            events.append(SlotSet("fee_months", float(facts["months"])))
        if "salary" in facts:
            events.append(SlotSet("fee_salary", money_to_slot(facts["salary"])))
        if "service_fee" in facts:
            events.append(SlotSet("fee_service_fee", money_to_slot(facts["service_fee"])))
        elif asks_for_cap(text):
            # "hợp đồng 3 năm lương 20 triệu thì được thu tối đa bao nhiêu": the cap, no amount.
            events.append(SlotSet("fee_service_fee", SKIP))
        if len(events) - resets < len(FORM_FACTS):  # something is left to ask
            dispatcher.utter_message(response="utter_fee_intro")
        logger.info("fee prefill fields=%s", sorted(facts))
        return events


def asks_to_check(text: str) -> bool:
    """An explicit request to check or work out a fee ("kiểm tra phí", "tính phí dịch vụ")."""
    return _says_any(text, "check_request")


def knowledge_first(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str
) -> list[dict[str, Any]]:
    """A question read as a fee check, with no fee in it, that an article answers for sure.

    "Is it legal for an agent to charge a fee to get the job order?", "quảng cáo đi Hungary lương
    1000 euro, có nên đi không": there is no amount to check, and the form's four questions would
    end without a verdict, while the retriever is very sure of the article (the bar at which it
    also overrules an out_of_scope or help intent). The article's buttons offer the fee check.
    """
    answered = answer_if_sure(dispatcher, tracker, text)
    if answered is None:
        return []
    logger.info("fee prefill: answered with an article instead of the form")
    return [*answered, FollowupAction("action_listen")]


def rule_answer(
    dispatcher: CollectingDispatcher, tracker: Tracker, article_id: str
) -> list[dict[str, Any]]:
    """A broker's fee or a deposit gets the rule about it, not the service-fee form.

    "Cò đòi em 20 triệu tiền chạy đơn, em có phải trả không": the fee check compares a service fee
    with its cap, and its form never asks for brokerage or a deposit, so such an amount used to be
    dropped while the form asked for a service fee. Brokerage may not be charged at all and the
    deposit has its own cap: the article says so, with its citation, and its buttons offer the
    fee check and a complaint. The form is not started (the rule's next step is overridden).
    """
    article = get_context().articles.get(article_id)
    if article is None:
        return []
    logger.info("fee prefill: answered with %s instead of the form", article_id)
    events = utter_article(dispatcher, article, lang(tracker), 1.0)
    return [*events, FollowupAction("action_listen")]


class ValidateFeeForm(BaseFormValidation):
    def name(self) -> str:
        return "validate_fee_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        slots = list(domain_slots)
        salary = money_from_slot(tracker.get_slot("fee_salary"))
        if needed_rates(salary, fee_money(tracker)):
            slots.append("fee_rate")
        return slots

    async def extract_fee_country(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "fee_country", lambda text, _t: find_country(text), "utter_invalid_country",
            dispatcher, tracker)

    async def extract_fee_months(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, _t: Tracker) -> float | None:
            months = parse_months(text)
            return float(months) if months and 0 < months <= 120 else None

        return await self.extract_with(
            "fee_months", parse, "utter_invalid_months", dispatcher, tracker)

    async def extract_fee_salary(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, t: Tracker) -> str | None:
            money = parse_money(text, default_currency=default_currency(t))
            return money_to_slot(money) if money and money.amount > 0 else None

        return await self.extract_with(
            "fee_salary", parse, "utter_invalid_money", dispatcher, tracker)

    async def extract_fee_service_fee(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return await self.extract_with(
            "fee_service_fee", service_fee_answer, "utter_invalid_money", dispatcher, tracker)

    async def extract_fee_rate(self, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        def parse(text: str, _t: Tracker) -> str | None:
            numbers = [Decimal(n.replace(",", "."))
                       for n in re.findall(r"\d+(?:[.,]\d+)?", text)]
            if numbers[1:] and numbers[0] == 1:
                numbers = numbers[1:]  # "1 yên = 170 đồng", "1 yen khoang 170 dong"
            if not numbers:
                return None
            value = numbers[0]
            money = parse_money(text)
            if money is not None and money.amount > value:
                # "150 triệu", "3 man": an amount, not a rate (a worker answering the wrong
                # question); ask for the rate again instead of taking 150 VND per unit
                return None
            return str(value) if value > 0 else None

        return await self.extract_with(
            "fee_rate", parse, "utter_invalid_rate", dispatcher, tracker)

    def validate_fee_country(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("fee_country", value)

    def validate_fee_months(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("fee_months", value)

    def validate_fee_salary(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("fee_salary", value)

    def validate_fee_service_fee(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("fee_service_fee", value)

    def validate_fee_rate(self, value, dispatcher, tracker, domain):  # type: ignore[no-untyped-def]
        return self.passthrough("fee_rate", value)


class ActionFeeResult(Action):
    def name(self) -> str:
        return "action_fee_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        from actions.fee_render import render_fee_result

        return render_fee_result(dispatcher, tracker, lang(tracker))


class ActionAskFeeRate(Action):
    """Asks for the exchange rate, naming the currencies that need one."""

    def name(self) -> str:
        return "action_ask_fee_rate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        salary = money_from_slot(tracker.get_slot("fee_salary"))
        fee = fee_money(tracker)
        rates = needed_rates(salary, fee)
        dispatcher.utter_message(
            response="utter_ask_fee_rate",
            fee_currency=fee.currency if fee else "",
            salary_currency=salary.currency if salary else "",
            other_currency=rates[0] if rates else "",
        )
        return []
