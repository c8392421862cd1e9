"""Money and duration as workers write them in chat: "18 man", "150 củ", "1 tỷ 2", "3 năm rưỡi".

The chatbot's forms ask for a salary, a fee and a contract length; workers answer in slang, with
or without diacritics, with dots or commas as thousands separators. Parsing that here, in one
tested place, keeps the forms and the fee check consistent. The words below are vocabulary for
reading input, not text shown to anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from knowledge_base.text import fold

CURRENCIES = ("VND", "JPY", "USD", "TWD", "KRW", "EUR")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str  # ISO 4217: VND, JPY, USD, TWD, KRW, EUR (the fee check knows a few more)


# Multipliers (folded words). "man" is the Japanese 万 (10,000), as workers in Japan say it.
_MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(1000),
    "nghin": Decimal(1000),
    "ngan": Decimal(1000),
    "man": Decimal(10_000),
    "trieu": Decimal(1_000_000),
    "tr": Decimal(1_000_000),
    "cu": Decimal(1_000_000),
    "ty": Decimal(1_000_000_000),
    "ti": Decimal(1_000_000_000),
    # English, as workers write it ("company ask 50 million"): Vietnamese đồng unless a currency
    # word says otherwise
    "thousand": Decimal(1000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "mil": Decimal(1_000_000),
    "billion": Decimal(1_000_000_000),
}
_HUNDRED = "tram"
_HALF = "ruoi"
_UNIT_WORDS = set(_MULTIPLIERS) | {_HUNDRED}
# A multiplier that says which currency is meant when no currency word is given.
_IMPLIED_CURRENCY = {
    "man": "JPY",
    "trieu": "VND",
    "tr": "VND",
    "cu": "VND",
    "ty": "VND",
    "ti": "VND",
    "million": "VND",
    "millions": "VND",
    "mil": "VND",
    "billion": "VND",
}

# Currency words and symbols (folded), single tokens.
_CURRENCY_WORDS: dict[str, str] = {
    "vnd": "VND", "dong": "VND", "d": "VND", "₫": "VND", "vn": "VND",
    "jpy": "JPY", "yen": "JPY", "¥": "JPY", "円": "JPY",
    "usd": "USD", "do": "USD", "dola": "USD", "dollar": "USD", "dollars": "USD", "$": "USD",
    "us": "USD", "dolla": "USD",
    "twd": "TWD", "ntd": "TWD", "nt": "TWD", "te": "TWD", "dai": "TWD",
    "krw": "KRW", "won": "KRW", "₩": "KRW",
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "€": "EUR", "oro": "EUR",
}  # fmt: skip

# Small number words, for "ba năm", "hai tỷ". "năm" (five) is also "year": see parse_months.
_NUMBER_WORDS: dict[str, Decimal] = {
    "mot": Decimal(1), "hai": Decimal(2), "ba": Decimal(3), "bon": Decimal(4), "tu": Decimal(4),
    "nam": Decimal(5), "sau": Decimal(6), "bay": Decimal(7), "tam": Decimal(8), "chin": Decimal(9),
    "muoi": Decimal(10), "one": Decimal(1), "two": Decimal(2), "three": Decimal(3),
    "four": Decimal(4), "five": Decimal(5), "six": Decimal(6), "seven": Decimal(7),
    "eight": Decimal(8), "nine": Decimal(9), "ten": Decimal(10),
}  # fmt: skip

# Words after a number that make it a duration, not money ("3 năm", "18 tháng").
_DURATION_WORDS = {"nam", "thang", "year", "years", "month", "months"}

_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+|[$€¥₫₩円]")


def _number(token: str) -> Decimal | None:
    """Read "1.500.000", "1,500,000", "1,2", "1.5", "18" the way Vietnamese and English write them.

    A separator followed by exactly three digits is a thousands separator, unless it is the only
    separator and differs from an earlier one ("1.500,5"); a separator followed by one or two
    digits is the decimal mark.
    """
    if not token[:1].isdigit():
        return None
    seps = [ch for ch in token if ch in ".,"]
    if not seps:
        return Decimal(token)
    groups = re.split(r"[.,]", token)
    last = groups[-1]
    if len(set(seps)) == 2:  # both kinds: the last one is the decimal mark
        decimal_mark = seps[-1]
        whole, _, frac = token.rpartition(decimal_mark)
        digits = whole.replace(".", "").replace(",", "")
        return Decimal(f"{digits}.{frac}")
    if len(seps) == 1 and len(last) != 3:
        return Decimal(f"{groups[0]}.{last}")
    if all(len(g) == 3 for g in groups[1:]):
        return Decimal("".join(groups))
    return None


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(fold(text))


def _number_at(tokens: list[str], i: int) -> Decimal | None:
    token = tokens[i]
    value = _number(token)
    if value is not None:
        return value
    # A number word counts only when a multiplier follows ("ba triệu"), so "ba" alone is not 3.
    if token in _NUMBER_WORDS and i + 1 < len(tokens) and tokens[i + 1] in _UNIT_WORDS:
        return _NUMBER_WORDS[token]
    return None


def _currency_at(tokens: list[str], i: int) -> str | None:
    """Currency named at tokens[i] ("đô", "yên", "Đài tệ", "$"), if any."""
    if i >= len(tokens) or tokens[i] not in _CURRENCY_WORDS:
        return None
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tokens[i] == "dai" and following != "te":
        return None  # "đài" alone is not a currency
    if tokens[i] == "vn" and following != "dong":
        return None
    return _CURRENCY_WORDS[tokens[i]]


def parse_money(text: str, default_currency: str | None = None) -> Money | None:
    """The first amount of money in `text`, or None if there is none or its currency is unknown.

    The currency comes from a currency word or symbol ("đô", "yên", "won", "Đài tệ", "$"), else
    from the multiplier ("man" → JPY; "triệu", "củ", "tỷ" → VND), else from default_currency.
    """
    tokens = _tokens(text or "")
    start = next(
        (
            i
            for i in range(len(tokens))
            if _number_at(tokens, i) is not None
            and (i + 1 >= len(tokens) or tokens[i + 1] not in _DURATION_WORDS)
        ),
        None,
    )
    if start is None:
        return None
    currency: str | None = None
    if start > 0 and tokens[start - 1] in ("$", "€", "¥", "₫", "₩", "usd", "eur", "jpy", "vnd"):
        currency = _CURRENCY_WORDS[tokens[start - 1]]  # "$3000", "USD 3,000"

    total = Decimal(0)
    group: Decimal | None = _number_at(tokens, start)
    last_unit: Decimal | None = None
    implied: str | None = None
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token == _HUNDRED and group is not None:
            group *= 100
            i += 1
        elif token in _MULTIPLIERS and group is not None:
            unit = _MULTIPLIERS[token]
            total += group * unit
            group, last_unit = None, unit
            implied = implied or _IMPLIED_CURRENCY.get(token)
            i += 1
        elif token == _HALF and last_unit is not None and group is None:
            total += last_unit / 2
            last_unit = None
            i += 1
        elif group is None and last_unit is not None and _number(token) is not None:
            value = _number(token)
            assert value is not None
            if i + 1 < len(tokens) and tokens[i + 1] in _UNIT_WORDS:
                group = value  # "1 tỷ 200 triệu": a new group with its own unit
            else:  # "1 tỷ 2" = 1.2 tỷ; "1 triệu 250" = 1.25 triệu
                digits = len(token.replace(".", "").replace(",", ""))
                total += value * last_unit / (Decimal(10) ** digits)
                last_unit = None
            i += 1
        else:
            found = _currency_at(tokens, i)
            if found and currency is None:
                currency = found  # the amount ends with its currency
            break
    if group is not None:
        total += group
    if total == total.to_integral_value():
        total = total.quantize(Decimal(1))
    chosen = currency or implied or default_currency
    if chosen is None:
        return None
    return Money(total, chosen.upper())


_YEAR_WORDS = {"nam", "year", "years", "yr", "yrs", "y"}
_MONTH_WORDS = {"thang", "thg", "month", "months", "mo", "mon", "th", "t"}
_HALF_WORDS = {"ruoi"}
# "3 tháng lương", "2 months' salary": an amount in months of wage (how workers and the law state
# service fees), never a contract length.
_SALARY_WORDS = {"luong", "salary", "salaries", "wage", "wages", "pay"}


def _salary_after(tokens: list[str], i: int) -> int:
    """How many tokens from i say "of salary" ("lương", "salary", "of salary"); 0 if none.

    Not when an amount follows: "hợp đồng 36 tháng lương 20 triệu" is a 36-month contract and
    a wage of 20 million.
    """
    size = 0
    if i < len(tokens) and tokens[i] in _SALARY_WORDS:
        size = 1
    elif i + 1 < len(tokens) and tokens[i] == "of" and tokens[i + 1] in _SALARY_WORDS:
        size = 2
    if size and i + size < len(tokens) and _number(tokens[i + size]) is not None:
        return 0
    return size


def parse_salary_months(text: str) -> Decimal | None:
    """A fee stated in months of wage: "3 tháng lương" → 3, "1.5 months salary" → 1.5."""
    tokens = _tokens(text or "")
    for i in range(len(tokens) - 2):
        value = _number(tokens[i])
        if value is None and tokens[i] in _NUMBER_WORDS:
            value = _NUMBER_WORDS[tokens[i]]
        if value and value > 0 and tokens[i + 1] in _MONTH_WORDS and _salary_after(tokens, i + 2):
            return value
    return None


def parse_months(text: str, bare_number: bool = True) -> int | None:
    """A contract length in whole months: "3 năm" → 36, "1 năm rưỡi" → 18, "2 năm 6 tháng" → 30.

    A bare number counts as months ("36", the answer to "how many months?") when `bare_number`;
    in a whole message ("cty thu 50 million") it does not. Returns None when there is no duration
    or it is not a whole number of months.
    """
    tokens = _tokens(text or "")
    total = Decimal(0)
    found = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value = _number(token)
        if value is None and token in _NUMBER_WORDS and i + 1 < len(tokens):
            if tokens[i + 1] in _YEAR_WORDS | _MONTH_WORDS:
                value = _NUMBER_WORDS[token]
        if value is None:
            if token == "nua" and i + 1 < len(tokens) and tokens[i + 1] in _YEAR_WORDS:
                total += 6  # "nửa năm"
                found = True
                i += 2
                continue
            i += 1
            continue
        unit = tokens[i + 1] if i + 1 < len(tokens) else ""
        if unit in _YEAR_WORDS:
            total += value * 12
            i += 2
            if i < len(tokens) and tokens[i] in _HALF_WORDS:
                total += 6
                i += 1
        elif unit in _MONTH_WORDS and _salary_after(tokens, i + 2):
            i += 2 + _salary_after(tokens, i + 2)  # "3 tháng lương" is an amount, not a length
            continue
        elif unit in _MONTH_WORDS:
            total += value
            i += 2
            if i < len(tokens) and tokens[i] in _HALF_WORDS:
                return None  # half a month is not a contract length
        elif not found and bare_number:
            total += value  # a bare number: months
            i += 1
        elif not found:
            i += 1
            continue
        else:
            break
        found = True
    if not found:
        return None
    try:
        months = int(total)
    except (InvalidOperation, ValueError):
        return None
    return months if Decimal(months) == total else None
