"""Amounts and durations written the way workers write them in chat."""

from decimal import Decimal

import pytest

from knowledge_base.amounts import Money, parse_money, parse_months, parse_salary_months


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 man", Money(Decimal(180_000), "JPY")),
        ("18 man yên", Money(Decimal(180_000), "JPY")),
        ("150 củ", Money(Decimal(150_000_000), "VND")),
        ("150 cu", Money(Decimal(150_000_000), "VND")),
        ("150tr", Money(Decimal(150_000_000), "VND")),
        ("150 triệu", Money(Decimal(150_000_000), "VND")),
        ("150 trieu", Money(Decimal(150_000_000), "VND")),
        ("1 tỷ 2", Money(Decimal(1_200_000_000), "VND")),
        ("1,2 tỷ", Money(Decimal(1_200_000_000), "VND")),
        ("1 tỷ 200 triệu", Money(Decimal(1_200_000_000), "VND")),
        ("3 triệu 500 nghìn", Money(Decimal(3_500_000), "VND")),
        ("1 triệu rưỡi", Money(Decimal(1_500_000), "VND")),
        ("3 nghìn đô", Money(Decimal(3_000), "USD")),
        ("3k usd", Money(Decimal(3_000), "USD")),
        ("3000$", Money(Decimal(3_000), "USD")),
        ("$3,000", Money(Decimal(3_000), "USD")),
        ("2 triệu won", Money(Decimal(2_000_000), "KRW")),
        ("25 nghìn Đài tệ", Money(Decimal(25_000), "TWD")),
        ("25k tệ", Money(Decimal(25_000), "TWD")),
        ("1.500.000 đồng", Money(Decimal(1_500_000), "VND")),
        ("1,500,000 VND", Money(Decimal(1_500_000), "VND")),
        ("150.000đ", Money(Decimal(150_000), "VND")),
        ("1.500 euro", Money(Decimal(1_500), "EUR")),
        ("1.234,56 eur", Money(Decimal("1234.56"), "EUR")),
        ("180,000円", Money(Decimal(180_000), "JPY")),
        ("ba triệu", Money(Decimal(3_000_000), "VND")),
        ("năm trăm nghìn đồng", Money(Decimal(500_000), "VND")),
        ("lương 18 man yên, phí 150 củ", Money(Decimal(180_000), "JPY")),
        ("hợp đồng 3 năm, lương 18 man", Money(Decimal(180_000), "JPY")),
    ],
)
def test_parse_money_understands_how_workers_write(text: str, expected: Money) -> None:
    assert parse_money(text) == expected


def test_a_bare_number_takes_the_default_currency() -> None:
    assert parse_money("1.500.000", default_currency="VND") == Money(Decimal(1_500_000), "VND")


def test_an_explicit_currency_beats_the_default() -> None:
    assert parse_money("3k usd", default_currency="VND") == Money(Decimal(3_000), "USD")


@pytest.mark.parametrize("text", ["1.500.000", "abc", "", "3 năm", "tiền dịch vụ bao nhiêu"])
def test_parse_money_returns_none_without_an_amount_or_currency(text: str) -> None:
    assert parse_money(text) is None


def test_a_duration_is_not_money_even_with_a_default_currency() -> None:
    assert parse_money("3 năm", default_currency="VND") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 năm", 36),
        ("3 nam", 36),
        ("3 years", 36),
        ("18 tháng", 18),
        ("18 thang", 18),
        ("1 năm rưỡi", 18),
        ("2 năm 6 tháng", 30),
        ("1,5 năm", 18),
        ("2.5 years", 30),
        ("hai năm", 24),
        ("năm năm", 60),
        ("nửa năm", 6),
        ("36", 36),
        ("đi nhat 3 nam", 36),
    ],
)
def test_parse_months(text: str, expected: int) -> None:
    assert parse_months(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1.3 năm"])
def test_parse_months_returns_none_for_no_whole_month_count(text: str) -> None:
    assert parse_months(text) is None


def test_a_bare_number_is_months_only_when_asked_for_months():
    from knowledge_base.amounts import parse_months

    assert parse_months("36") == 36
    assert parse_months("36", bare_number=False) is None
    assert parse_months("cty thu 2000 do, hop dong 3 nam", bare_number=False) == 36


def test_english_millions_are_vietnamese_dong_unless_a_currency_is_named():
    from decimal import Decimal

    from knowledge_base.amounts import Money, parse_money

    assert parse_money("50 million") == Money(Decimal(50_000_000), "VND")
    assert parse_money("1 million yen") == Money(Decimal(1_000_000), "JPY")


@pytest.mark.parametrize(
    ("text", "months_of_wage", "contract"),
    [
        ("3 tháng lương", Decimal(3), None),
        ("phi 3 thang luong cho hop dong 2 nam", Decimal(3), 24),
        ("2 months of salary for a 3 years contract", Decimal(2), 36),
        ("hai tháng lương", Decimal(2), None),
        # a wage right after "lương" makes it a contract length and a wage, not a fee
        ("hợp đồng 36 tháng lương 20 triệu", None, 36),
        ("3 năm", None, 36),
    ],
)
def test_a_fee_in_months_of_wage_is_no_contract_length(text, months_of_wage, contract):
    assert parse_salary_months(text) == months_of_wage
    assert parse_months(text, bare_number=False) == contract
