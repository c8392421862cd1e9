"""The fee check: caps at, under and over the limit, programmes, brokerage, deposits, currencies."""

from decimal import Decimal

import pytest

from knowledge_base.amounts import Money
from knowledge_base.fees import (
    FeeCheckInput,
    FeeInputError,
    check_fees,
    format_money,
    format_number,
    load_rules,
    parse_amount,
    parse_rate,
)

VND = "VND"
SALARY = Decimal(10_000_000)


def vnd_check(months: int, fee: int | Decimal, **extra) -> FeeCheckInput:
    return FeeCheckInput(
        country=extra.pop("country", "TW"),
        months=months,
        salary=extra.pop("salary", SALARY),
        salary_currency=VND,
        service_fee=Decimal(fee),
        **extra,
    )


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


# --- Service fee: general cap -------------------------------------------------------------------


def test_exactly_at_the_cap_is_within() -> None:
    result = check_fees(vnd_check(12, 10_000_000))
    assert (result.verdict, result.service_fee_cap, result.over_by, result.findings) == (
        "within_cap",
        Money(Decimal(10_000_000), VND),
        None,
        [],
    )


def test_one_dong_over_the_cap_is_over() -> None:
    result = check_fees(vnd_check(12, 10_000_001))
    assert result.verdict == "over_cap"
    assert result.over_by == Money(Decimal(1), VND)
    assert codes(result) == ["service_fee_over_cap"]
    finding = result.findings[0]
    assert "10.000.001 đồng" in finding.message_vi and "vượt 1 đồng" in finding.message_vi
    assert "10,000,001 VND" in finding.message_en
    assert "69/2020" in finding.citation and "Điều 23" in finding.citation


def test_eighteen_months_is_pro_rata_one_and_a_half_months() -> None:
    result = check_fees(vnd_check(18, 15_000_000))
    assert (result.verdict, result.service_fee_cap) == (
        "within_cap",
        Money(Decimal(15_000_000), VND),
    )
    assert check_fees(vnd_check(18, 15_000_001)).verdict == "over_cap"


@pytest.mark.parametrize(
    ("months", "cap"),
    [
        (35, Decimal(29_166_667)),
        (36, Decimal(30_000_000)),
        (37, Decimal(30_000_000)),
        (60, Decimal(30_000_000)),
    ],
)
def test_contracts_of_36_months_or_more_are_capped_at_three_months(months, cap) -> None:
    result = check_fees(vnd_check(months, 1))
    assert result.service_fee_cap == Money(cap, VND)


def test_the_long_contract_rule_is_named_when_it_lowers_the_cap() -> None:
    assert codes(check_fees(vnd_check(37, 1))) == ["long_contract_cap_applied"]
    assert codes(check_fees(vnd_check(36, 1))) == []
    citations = check_fees(vnd_check(36, 1)).citations
    assert any("khoản 4 điểm b" in c for c in citations)


def test_37_months_one_dong_over_three_months_is_over() -> None:
    result = check_fees(vnd_check(37, 30_000_001))
    assert (result.verdict, result.over_by) == ("over_cap", Money(Decimal(1), VND))


def test_seafarers_get_one_and_a_half_months_per_twelve() -> None:
    result = check_fees(vnd_check(12, 15_000_000, seafarer=True))
    assert (result.verdict, result.service_fee_cap) == (
        "within_cap",
        Money(Decimal(15_000_000), VND),
    )
    assert check_fees(vnd_check(12, 15_000_001, seafarer=True)).verdict == "over_cap"


def test_seafarer_long_contract_cap_is_used_but_flagged_unverified() -> None:
    result = check_fees(vnd_check(48, 45_000_000, seafarer=True))
    assert result.service_fee_cap == Money(Decimal(45_000_000), VND)
    assert result.verdict == "within_cap"
    assert codes(result) == ["long_contract_cap_applied"]
    assert "(unverified)" in result.findings[0].citation
    assert "NOT been verified" in result.findings[0].message_en


# --- Programme caps -----------------------------------------------------------------------------


def test_programme_cap_lower_than_the_general_cap_applies() -> None:
    # Taiwan home caregiver: 0.4 month per 12 months, at most 1 month for 36 months or more.
    result = check_fees(vnd_check(36, 10_000_000, program="home_caregiver"))
    assert (result.verdict, result.service_fee_cap) == ("within_cap", Money(SALARY, VND))
    assert codes(result) == ["program_cap_applied"]
    over = check_fees(vnd_check(36, 10_000_001, program="home_caregiver"))
    assert (over.verdict, over.over_by) == ("over_cap", Money(Decimal(1), VND))
    assert "Phụ lục XI" in over.findings[-1].citation


def test_programme_cap_is_pro_rata_below_36_months() -> None:
    result = check_fees(vnd_check(24, 1, program="hospital_care"))  # 0.7 × 24/12 = 1.4 months
    assert result.service_fee_cap == Money(Decimal(14_000_000), VND)


def test_japan_high_skill_is_capped_at_two_months() -> None:
    result = check_fees(vnd_check(36, 20_000_001, country="JP", program="high_skill"))
    assert (result.service_fee_cap, result.verdict) == (Money(Decimal(20_000_000), VND), "over_cap")


@pytest.mark.parametrize("program", ["titp3_same_enterprise", "ssw_after_titp"])
def test_japan_programmes_with_a_zero_cap_allow_no_service_fee(program) -> None:
    assert check_fees(vnd_check(36, 0, country="JP", program=program)).verdict == "within_cap"
    result = check_fees(vnd_check(36, 1, country="JP", program=program))
    assert (result.service_fee_cap, result.verdict) == (Money(Decimal(0), VND), "over_cap")


def test_a_programme_without_a_specific_cap_uses_the_general_cap() -> None:
    result = check_fees(vnd_check(36, 30_000_000, country="JP", program="titp"))
    assert (result.service_fee_cap, codes(result)) == (Money(Decimal(30_000_000), VND), [])


def test_korea_nearshore_fishing_programme_cap() -> None:
    result = check_fees(vnd_check(12, 7_000_001, country="KR", program="nearshore_fishing"))
    assert (result.service_fee_cap, result.verdict) == (Money(Decimal(7_000_000), VND), "over_cap")


# --- Brokerage ----------------------------------------------------------------------------------


def test_brokerage_of_one_dong_is_prohibited_even_when_the_fee_is_fine() -> None:
    result = check_fees(vnd_check(12, 5_000_000, brokerage=Decimal(1)))
    assert (result.verdict, codes(result), result.over_by) == (
        "over_cap",
        ["brokerage_prohibited"],
        None,
    )
    assert "Điều 7 khoản 8" in result.findings[0].citation


def test_zero_brokerage_is_no_finding() -> None:
    assert check_fees(vnd_check(12, 5_000_000, brokerage=Decimal(0))).findings == []


# --- Deposits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "cap"), [("TW", 12_000_000), ("KR", 36_000_000)])
def test_deposit_at_the_cap_is_within_and_one_dong_more_is_over(country, cap) -> None:
    at_cap = check_fees(vnd_check(12, 1, country=country, deposit=Decimal(cap)))
    assert (at_cap.verdict, codes(at_cap)) == ("within_cap", [])
    over = check_fees(vnd_check(12, 1, country=country, deposit=Decimal(cap + 1)))
    assert (over.verdict, codes(over)) == ("over_cap", ["deposit_over_cap"])
    assert "vượt 1 đồng" in over.findings[0].message_vi
    assert "Phụ lục II" in over.findings[0].citation


def test_any_deposit_for_japan_is_over_the_cap() -> None:
    result = check_fees(vnd_check(36, 1, country="JP", deposit=Decimal(1)))
    assert (result.verdict, codes(result)) == ("over_cap", ["deposit_over_cap"])


def test_offshore_crew_to_taiwan_may_pay_no_deposit() -> None:
    inp = vnd_check(12, 1, program="offshore_fishing_transport_crew", deposit=Decimal(1_000_000))
    assert codes(check_fees(inp)) == ["deposit_over_cap"]


def test_air_ticket_deposit_cap_gives_a_note_not_a_verdict() -> None:
    result = check_fees(vnd_check(12, 1, country="DE", deposit=Decimal(20_000_000)))
    assert (result.verdict, codes(result)) == ("within_cap", ["deposit_cap_air_ticket"])


def test_unknown_deposit_cap_gives_a_note_not_a_verdict() -> None:
    result = check_fees(vnd_check(12, 1, country="KR", program="eps", deposit=Decimal(100_000_000)))
    assert (result.verdict, codes(result)) == ("within_cap", ["deposit_cap_unknown"])


def test_deposit_in_another_currency_needs_a_rate() -> None:
    inp = vnd_check(12, 1, deposit=Decimal(20_000), deposit_currency="TWD")
    result = check_fees(inp)
    assert (result.verdict, codes(result)) == ("unknown", ["missing_rate"])
    inp.rates = {"TWD": Decimal(800)}  # 20,000 TWD = 16,000,000 VND > 12,000,000
    result = check_fees(inp)
    assert (result.verdict, codes(result)) == ("over_cap", ["deposit_over_cap"])
    assert "5.000 Đài tệ" in result.findings[0].message_vi  # 12,000,000 VND = 15,000 TWD


# --- Currencies ---------------------------------------------------------------------------------


def jpy_salary(fee: int, rates: dict[str, Decimal]) -> FeeCheckInput:
    return FeeCheckInput(
        country="JP",
        months=36,
        salary=Decimal(180_000),
        salary_currency="JPY",
        service_fee=Decimal(fee),
        fee_currency=VND,
        rates=rates,
    )


def test_without_a_rate_the_verdict_is_unknown_and_the_cap_stays_in_the_salary_currency() -> None:
    result = check_fees(jpy_salary(100_000_000, {}))
    assert (result.verdict, codes(result)) == ("unknown", ["missing_rate"])
    assert result.service_fee_cap == Money(Decimal(540_000), "JPY")
    assert result.over_by is None
    assert "JPY" in result.findings[0].message_en


def test_with_a_rate_the_cap_is_in_the_fee_currency() -> None:
    within = check_fees(jpy_salary(91_800_000, {"JPY": Decimal(170)}))
    assert (within.verdict, within.service_fee_cap) == (
        "within_cap",
        Money(Decimal(91_800_000), VND),
    )
    over = check_fees(jpy_salary(91_800_001, {"JPY": Decimal(170)}))
    assert over.over_by == Money(Decimal(1), VND)


def test_cross_rate_between_two_foreign_currencies() -> None:
    # Salary 1,000 USD, fee in JPY: the cap (1 month) is 1,000 × 25,000 / 170 ≈ 147,059 JPY.
    inp = FeeCheckInput(
        country="JP",
        months=12,
        salary=Decimal(1_000),
        salary_currency="USD",
        service_fee=Decimal(150_000),
        fee_currency="JPY",
        rates={"JPY": Decimal(170), "USD": Decimal(25_000)},
    )
    result = check_fees(inp)
    assert (result.service_fee_cap, result.over_by) == (
        Money(Decimal(147_059), "JPY"),
        Money(Decimal(2_941), "JPY"),
    )


def test_a_violation_wins_over_a_missing_rate() -> None:
    inp = jpy_salary(100_000_000, {})
    inp.brokerage = Decimal(1)
    assert check_fees(inp).verdict == "over_cap"


# --- JSON and bad input -------------------------------------------------------------------------


def test_to_json_has_the_exact_contract_shape() -> None:
    payload = check_fees(vnd_check(12, 10_000_001)).to_json()
    assert list(payload) == ["service_fee_cap", "verdict", "over_by", "findings", "citations"]
    assert payload["service_fee_cap"] == {"amount": 10_000_000, "currency": VND}
    assert payload["over_by"] == {"amount": 1, "currency": VND}
    assert list(payload["findings"][0]) == ["code", "message_vi", "message_en", "citation"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"months": 0}, "bad_months"),
        ({"months": -12}, "bad_months"),
        ({"salary": Decimal(0)}, "bad_salary"),
        ({"salary": Decimal(-1)}, "bad_salary"),
        ({"service_fee": Decimal(-1)}, "bad_amount"),
        ({"deposit": Decimal(-1)}, "bad_amount"),
        ({"country": "XX"}, "unknown_country"),
        ({"program": "astronaut"}, "unknown_program"),
        ({"salary_currency": "ABC"}, "unknown_currency"),
        ({"rates": {"XYZ": Decimal(1)}}, "unknown_currency"),
        ({"rates": {"JPY": Decimal(0)}}, "bad_rate"),
    ],
)
def test_bad_input_raises_a_coded_error_with_messages(changes, code) -> None:
    inp = vnd_check(12, 1)
    for key, value in changes.items():
        setattr(inp, key, value)
    with pytest.raises(FeeInputError) as error:
        check_fees(inp)
    assert error.value.code == code
    assert error.value.message("vi") and error.value.message("en")
    assert error.value.message("vi") != error.value.message("en")


def test_country_may_be_given_in_lower_case_or_by_name() -> None:
    assert check_fees(vnd_check(12, 1, country="tw")).verdict == "within_cap"
    assert check_fees(vnd_check(12, 1, country="Đài Loan")).verdict == "within_cap"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("JPY=170", ("JPY", Decimal(170))), ("usd=25,000", ("USD", Decimal(25_000)))],
)
def test_parse_rate(text, expected) -> None:
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["JPY", "JPY=", "=170", "JPY=-1", "JPY=0", "JPY=abc", "JPYX=1"])
def test_parse_rate_rejects_malformed_rates(text) -> None:
    with pytest.raises(FeeInputError) as error:
        parse_rate(text)
    assert error.value.code == "bad_rate"


def test_parse_amount_accepts_separators_and_slang() -> None:
    assert parse_amount("1.500.000", "salary", VND) == Decimal(1_500_000)
    assert parse_amount("150 triệu", "fee", VND) == Decimal(150_000_000)
    with pytest.raises(FeeInputError):
        parse_amount("18 man", "fee", VND)  # yen, not đồng


def test_money_is_formatted_the_vietnamese_and_the_english_way() -> None:
    money = Money(Decimal(1_500_000), VND)
    assert (format_money(money, "vi"), format_money(money, "en")) == (
        "1.500.000 đồng",
        "1,500,000 VND",
    )
    assert (format_number(Decimal("1.5"), "vi"), format_number(Decimal("1.5"), "en")) == (
        "1,5",
        "1.5",
    )


def test_rules_come_from_the_yaml_with_sources() -> None:
    rules = load_rules()
    assert (rules.general_per_12, rules.seafarer_per_12, rules.long_max_months) == (
        Decimal(1),
        Decimal("1.5"),
        Decimal(3),
    )
    assert rules.seafarer_long_citation.verification == "unverified"


def test_plain_ints_from_callers_are_accepted() -> None:
    inp = FeeCheckInput(
        country="TW", months=12, salary=10_000_000, salary_currency=VND, service_fee=10_000_001
    )
    assert check_fees(inp).over_by == Money(Decimal(1), VND)


def test_seafarer_at_exactly_36_months_needs_no_unverified_ceiling() -> None:
    result = check_fees(vnd_check(36, 45_000_000, seafarer=True))
    assert (result.verdict, codes(result)) == ("within_cap", [])
