"""Run the fee check on the form's slots and show the verdict in the worker's language."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import SKIP, send_meta
from actions.context import get_context
from actions.fee_check import fee_money, money_from_slot, needed_rates
from knowledge_base.fees import FeeCheckInput, FeeInputError, check_fees, format_money

logger = logging.getLogger(__name__)


def fee_input(tracker: Tracker) -> FeeCheckInput:
    salary = money_from_slot(tracker.get_slot("fee_salary"))
    cap_only = tracker.get_slot("fee_service_fee") == SKIP  # the worker asked for the cap only
    fee = None if cap_only else fee_money(tracker)
    if salary is None or (fee is None and not cap_only):
        raise FeeInputError("bad_salary", value="?")
    # The form asks for one rate: VND per unit of the first currency that needs one
    # (action_ask_fee_rate names it). A second foreign currency stays without a rate, and the
    # check then says so (missing_rate) instead of reusing the wrong rate.
    needed = needed_rates(salary, fee)
    rate = tracker.get_slot("fee_rate")
    rates = {needed[0]: Decimal(str(rate))} if needed and rate else {}
    return FeeCheckInput(
        country=str(tracker.get_slot("fee_country")),
        months=int(float(tracker.get_slot("fee_months") or 0)),
        salary=salary.amount,
        salary_currency=salary.currency,
        service_fee=fee.amount if fee else None,
        fee_currency=fee.currency if fee else None,
        rates=rates,
    )


def render_fee_result(
    dispatcher: CollectingDispatcher, tracker: Tracker, language: str
) -> list[dict[str, Any]]:
    try:
        inp = fee_input(tracker)
        result = check_fees(inp, destinations=get_context().destinations)
    except FeeInputError as exc:
        logger.info("fee check input error: %s", exc.code)
        dispatcher.utter_message(text=exc.message(language))
        return [SlotSet("fee_result", None)]
    findings = "".join(
        "\n• " + (f.message_en if language == "en" else f.message_vi) for f in result.findings
    )
    fee = fee_money(tracker)
    salary = money_from_slot(tracker.get_slot("fee_salary"))
    values = {
        "findings": findings,
        "citations": "; ".join(result.citations),
        "service_fee": format_money(fee, language) if fee else "?",
        "salary": format_money(salary, language) if salary else "?",
        "cap": format_money(result.service_fee_cap, language) if result.service_fee_cap else "?",
        "months": str(inp.months),
        "country": get_context().destinations[inp.country].name.get(language, inp.country),
    }
    response = {
        "within_cap": "utter_fee_within_cap",
        "over_cap": "utter_fee_over_cap",
    }.get(result.verdict, "utter_fee_unknown")
    if inp.service_fee is None and result.service_fee_cap and result.verdict != "over_cap":
        response = "utter_fee_cap_only"
    dispatcher.utter_message(response=response, **values)
    send_meta(dispatcher, fee_verdict=result.verdict)
    logger.info("fee check verdict=%s findings=%s", result.verdict,
                [f.code for f in result.findings])
    return [SlotSet("fee_result", result.to_json())]
