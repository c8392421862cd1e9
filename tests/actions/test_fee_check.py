from decimal import Decimal

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
