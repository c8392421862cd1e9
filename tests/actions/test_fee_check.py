from decimal import Decimal

import pytest

from actions.fee_check import amount_role, extract_fee_facts, money_from_slot, needed_rates
from knowledge_base.amounts import Money


def test_one_line_message_gives_every_fact():
    facts = extract_fee_facts("đi Nhật 3 năm lương 18 man, cty thu 150 củ có đúng không")
    assert facts["country"] == "JP"
    assert facts["months"] == 36
    assert facts["salary"] == Money(Decimal("180000"), "JPY")
    assert facts["service_fee"] == Money(Decimal("150000000"), "VND")


def test_without_diacritics_and_in_english():
    facts = extract_fee_facts("di dai loan 3 nam, luong 25 nghin te, cty bat dong 120 trieu")
    assert facts["country"] == "TW"
    assert facts["salary"].currency == "TWD"
    assert facts["service_fee"] == Money(Decimal("120000000"), "VND")
    facts = extract_fee_facts("Korea 3 years, salary 2 million won, agency charged 5000 usd")
    assert facts["months"] == 36
    assert facts["service_fee"] == Money(Decimal("5000"), "USD")


def test_deposit_and_brokerage_are_told_apart():
    assert amount_role("tiền cọc 30 triệu") == "deposit"
    assert amount_role("phí môi giới 20 triệu") == "brokerage"
    assert amount_role("cty thu 100 triệu") == "service_fee"


def test_rates_are_needed_only_for_foreign_currencies_that_differ():
    jpy, vnd = Money(Decimal(1), "JPY"), Money(Decimal(1), "VND")
    assert needed_rates(jpy, vnd) == ["JPY"]
    assert needed_rates(jpy, jpy) == []
    assert needed_rates(vnd, vnd) == []


def test_slot_round_trip():
    assert money_from_slot("180000 JPY") == Money(Decimal("180000"), "JPY")
    assert money_from_slot(None) is None
    assert money_from_slot("abc JPY") is None


@pytest.mark.parametrize(
    "clause",
    ["Cò đòi em 20 triệu gọi là tiền chạy đơn", "tien lot tay 2000 do",
     "agent take 500 dollar introduction money"],
)
def test_what_brokers_call_their_fee_is_brokerage(clause):
    assert amount_role(clause) == "brokerage"


def test_wages_are_not_mistaken_for_brokerage():
    assert amount_role("tiền công 18 man") != "brokerage"


@pytest.fixture()
def context(tmp_path):
    from actions.context import Context, get_context, set_context
    from actions.settings import ActionSettings

    previous = get_context()
    set_context(Context(ActionSettings(tmp_path / "db.sqlite", tmp_path / "models", "127.0.0.1",
                                       0, None)))
    yield
    set_context(previous)


def prefill(text: str) -> tuple[list[dict], list[dict]]:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.fee_check import ActionFeePrefill

    tracker = Tracker("api:fee-user", {"language": "vi"},
                      {"text": text, "intent": {"name": "check_fee", "confidence": 0.9},
                       "entities": []}, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionFeePrefill().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_a_brokers_fee_gets_the_rule_that_forbids_it_instead_of_the_fee_form(context):
    messages, events = prefill("Cò đòi em 20 triệu gọi là tiền chạy đơn, em có phải trả không")
    answers = [m for m in messages if m.get("response") == "utter_kb_answer"]
    assert [m["kb_id"] for m in answers] == ["fees.brokerage"]
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


def test_a_deposit_alone_gets_the_deposit_rule(context):
    messages, _ = prefill("công ty bắt đặt cọc 50 triệu đi Đài Loan có đúng không")
    answers = [m for m in messages if m.get("response") == "utter_kb_answer"]
    assert [m["kb_id"] for m in answers] == ["fees.deposit"]


def test_a_service_fee_still_starts_the_fee_form(context):
    messages, events = prefill("đi Nhật 3 năm lương 18 man, cty thu 150 củ")
    assert [m.get("response") for m in messages if m.get("response")] == []
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"}["fee_country"] == "JP"
    assert all(e["event"] != "followup" for e in events)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number in a whole message is no contract length: "50 million" used to give 50 months
        ("max deposit for korea is how much, company ask 50 million",
         {"country": "KR", "deposit": Money(Decimal(50_000_000), "VND")}),
        ('company ask 50 million for "deposit", is it needed for japan?',
         {"country": "JP", "deposit": Money(Decimal(50_000_000), "VND")}),
        # two amounts in one clause: the second one used to be lost
        ("Rumani 2 năm lương 700 euro họ thu 6000 euro, có bị hớ không",
         {"country": "RO", "months": 24, "salary": Money(Decimal(700), "EUR"),
          "service_fee": Money(Decimal(6000), "EUR")}),
        ("đi Nhật lương 18 man, 150 củ",
         {"country": "JP", "salary": Money(Decimal(180_000), "JPY"),
          "service_fee": Money(Decimal(150_000_000), "VND")}),
    ],
)
def test_amounts_in_english_and_roles_named_elsewhere_in_the_message(text, expected):
    assert extract_fee_facts(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hợp đồng 3 năm lương 20 triệu thì công ty được thu phí dịch vụ tối đa bao nhiêu", True),
        ("how much can agency charge me as service fee for 2 years", True),
        ("max fee for japan 3 years?", True),
        ("đi Nhật 3 năm lương 18 man, cty thu 150 củ có đúng không", False),
        ("I want to check if my agency fee is legal", False),
    ],
)
def test_a_question_about_the_cap_itself_is_told_from_a_fee_to_check(text, expected):
    from actions.fee_check import asks_for_cap

    assert asks_for_cap(text) == expected


def test_a_cap_question_with_no_amount_skips_the_fee_step(context):
    _, events = prefill("Hợp đồng 3 năm lương 20 triệu thì công ty được thu phí dịch vụ tối đa "
                        "bao nhiêu")
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot" and e["value"]}
    assert slots == {"fee_months": 36.0, "fee_salary": "20000000 VND", "fee_service_fee": "skip"}


def fee_step(text: str, intent: str = "inform") -> dict:
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.fee_check import ValidateFeeForm

    tracker = Tracker("api:fee-user", {"language": "vi", "requested_slot": "fee_service_fee"},
                      {"text": text, "intent": {"name": intent, "confidence": 0.9},
                       "entities": []}, [], False, None, {"name": "fee_form"}, "action_listen")
    return asyncio.run(ValidateFeeForm().extract_fee_service_fee(CollectingDispatcher(), tracker,
                                                                 {}))


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("150 củ", "inform", "150000000 VND"),
        ("tối đa 150 triệu", "inform", "150000000 VND"),  # an amount wins over the cap words
        ("chưa biết", "inform", "skip"),
        ("/skip", "skip", "skip"),
        ("em chỉ muốn biết mức tối đa thôi", "ask_question", "skip"),
        ("I don't know", "inform", "skip"),
        ("hôm qua", "inform", None),  # neither: asked again
    ],
)
def test_the_fee_step_takes_an_amount_or_a_wish_to_see_only_the_cap(text, intent, expected):
    assert fee_step(text, intent) == {"fee_service_fee": expected}


def test_a_fee_in_months_of_wage_is_kept_until_the_wage_is_known():
    from rasa_sdk import Tracker

    from actions.fee_check import fee_money

    facts = extract_fee_facts("cty doi phi dich vu 3 thang luong cho hd 2 nam, co sai ko")
    assert facts == {"months": 24, "service_fee": Money(Decimal(3), "SALARY")}
    assert fee_step("2 tháng lương") == {"fee_service_fee": "2 SALARY"}
    slots = {"fee_service_fee": "2 SALARY", "fee_salary": "20000000 VND"}
    tracker = Tracker("api:x", slots, {}, [], False, None, {}, "")
    assert fee_money(tracker) == Money(Decimal(40_000_000), "VND")
