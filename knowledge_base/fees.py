"""Fee check: is what a recruiter asks for within the law?

A worker (or hotline staff) gives the destination, contract length, wage and what was asked for
(service fee, brokerage, deposit). The check compares it with the caps of Law 69/2020/QH14 and its
guiding texts. The caps are data (fee_rules.yml for every market, destinations.yml per market and
programme), each with its source and verification level, so a lawyer can review them without
reading this code. All texts come from fee_messages.yml.

Amounts in different currencies are compared only through exchange rates the caller gives
(VND per unit); without one the verdict is "unknown", never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.amounts import Money, parse_money
from knowledge_base.destinations import (
    DEPOSIT_AIR_TICKET,
    DEPOSIT_AMOUNT,
    DEPOSIT_NONE,
    Destination,
    Programme,
    find_country,
    load_destinations,
)
from knowledge_base.loader import Citation

RULES_PATH = Path(__file__).parent / "fee_rules.yml"
MESSAGES_PATH = Path(__file__).parent / "fee_messages.yml"
BASE_CURRENCY = "VND"

# Finding codes.
SERVICE_FEE_OVER_CAP = "service_fee_over_cap"
BROKERAGE_PROHIBITED = "brokerage_prohibited"
DEPOSIT_OVER_CAP = "deposit_over_cap"
MISSING_RATE = "missing_rate"
PROGRAM_CAP_APPLIED = "program_cap_applied"
LONG_CONTRACT_CAP_APPLIED = "long_contract_cap_applied"
DEPOSIT_CAP_AIR_TICKET = "deposit_cap_air_ticket"
DEPOSIT_CAP_UNKNOWN = "deposit_cap_unknown"
VIOLATIONS = frozenset({SERVICE_FEE_OVER_CAP, BROKERAGE_PROHIBITED, DEPOSIT_OVER_CAP})

# Verdicts.
WITHIN_CAP = "within_cap"
OVER_CAP = "over_cap"
UNKNOWN = "unknown"

_RATE_RE = re.compile(r"^\s*([A-Za-z]{3})\s*=\s*([0-9][0-9_.,]*)\s*$")


# --- Messages -----------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def load_messages(path: Path = MESSAGES_PATH) -> dict[str, Any]:
    """fee_messages.yml, parsed once per process (on first use, not at import)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def message_text(section: str, key: str, lang: str, **params: Any) -> str:
    template = load_messages()[section][key]
    text = template.get(lang) or template["vi"]
    return " ".join(str(text).format(**params).split())


class FeeInputError(ValueError):
    """Bad input to the fee check. `code` is machine-readable; message(lang) is for people."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}
        super().__init__(code)

    def message(self, lang: str = "vi") -> str:
        return message_text("errors", self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.message("en")


# --- Rules --------------------------------------------------------------------------------------


def citation_label(citation: Citation) -> str:
    """How a citation appears in findings: document, article, clause and verification level."""
    return f"{citation.label()} ({citation.verification})"


@dataclass(frozen=True)
class FeeRules:
    """The rules in fee_rules.yml that hold for every market."""

    general_per_12: Decimal
    general_citation: Citation
    seafarer_per_12: Decimal
    seafarer_citation: Citation
    long_from_months: int
    long_max_months: Decimal
    long_citation: Citation
    seafarer_long_max_months: Decimal
    seafarer_long_citation: Citation
    brokerage_citation: Citation
    deposit_citations: tuple[Citation, ...]
    currencies: dict[str, int]  # code → decimal places


def load_rules(path: Path | None = None) -> FeeRules:
    data = yaml.safe_load((path or RULES_PATH).read_text(encoding="utf-8"))
    sources = {
        key: Citation(
            doc=str(raw.get("doc", "")),
            article=str(raw.get("article", "") or ""),
            clause=str(raw.get("clause", "") or ""),
            url=str(raw.get("url", "") or ""),
            verification=str(raw.get("verification", "unverified")),
            note=str(raw.get("note", "") or ""),
        )
        for key, raw in data["sources"].items()
    }
    fee = data["service_fee"]
    return FeeRules(
        general_per_12=Decimal(str(fee["general"]["months_per_12"])),
        general_citation=sources[fee["general"]["citation"]],
        seafarer_per_12=Decimal(str(fee["seafarer"]["months_per_12"])),
        seafarer_citation=sources[fee["seafarer"]["citation"]],
        long_from_months=int(fee["long_contract"]["from_months"]),
        long_max_months=Decimal(str(fee["long_contract"]["max_months"])),
        long_citation=sources[fee["long_contract"]["citation"]],
        seafarer_long_max_months=Decimal(str(fee["seafarer_long_contract"]["max_months"])),
        seafarer_long_citation=sources[fee["seafarer_long_contract"]["citation"]],
        brokerage_citation=sources[data["brokerage"]["citation"]],
        deposit_citations=tuple(sources[c] for c in data["deposit"]["citations"]),
        currencies={str(k).upper(): int(v) for k, v in data["currencies"].items()},
    )


@lru_cache(maxsize=1)
def _default_rules() -> FeeRules:
    return load_rules()


@lru_cache(maxsize=1)
def _default_destinations() -> dict[str, Destination]:
    return load_destinations()


# --- Formatting ---------------------------------------------------------------------------------


def format_number(value: Decimal, lang: str, places: int = 2) -> str:
    """1500000 → "1.500.000" (vi) / "1,500,000" (en); 1.5 → "1,5" / "1.5"."""
    quantum = Decimal(1).scaleb(-places) if places else Decimal(1)
    value = value.quantize(quantum, rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_money(money: Money, lang: str, places: int = 2) -> str:
    """ "1.500.000 đồng" in vi, "1,500,000 VND" in en."""
    names = load_messages().get("currency_names", {})
    name = names.get(money.currency, {}).get(lang) or money.currency
    return f"{format_number(money.amount, lang, places)} {name}"


# --- Input and result ---------------------------------------------------------------------------


@dataclass
class FeeCheckInput:
    country: str
    months: int
    salary: Decimal
    salary_currency: str
    service_fee: Decimal | None
    fee_currency: str | None = None  # default: the salary currency
    brokerage: Decimal | None = None  # in the fee currency
    deposit: Decimal | None = None  # in deposit_currency
    program: str | None = None
    seafarer: bool = False
    rates: dict[str, Decimal] = field(default_factory=dict)  # VND per unit
    deposit_currency: str | None = None  # default: the fee currency


@dataclass
class Finding:
    code: str
    message_vi: str
    message_en: str
    citation: str

    @property
    def violation(self) -> bool:
        return self.code in VIOLATIONS


@dataclass
class FeeCheckResult:
    service_fee_cap: Money | None
    verdict: str
    over_by: Money | None
    findings: list[Finding]
    citations: list[str]

    def to_json(self) -> dict[str, Any]:
        """The exact shape printed by `hanhtrang fees check --json`."""
        return {
            "service_fee_cap": _money_json(self.service_fee_cap),
            "verdict": self.verdict,
            "over_by": _money_json(self.over_by),
            "findings": [
                {
                    "code": f.code,
                    "message_vi": f.message_vi,
                    "message_en": f.message_en,
                    "citation": f.citation,
                }
                for f in self.findings
            ],
            "citations": list(self.citations),
        }


def _money_json(money: Money | None) -> dict[str, Any] | None:
    if money is None:
        return None
    amount = money.amount
    number: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
    return {"amount": number, "currency": money.currency}


def parse_rate(text: str) -> tuple[str, Decimal]:
    """ "JPY=170" → ("JPY", Decimal("170")): how many đồng one unit is worth."""
    match = _RATE_RE.match(text or "")
    if not match:
        raise FeeInputError("bad_rate", value=text)
    try:
        value = Decimal(match.group(2).replace("_", "").replace(",", ""))
    except InvalidOperation as exc:
        raise FeeInputError("bad_rate", value=text) from exc
    if value <= 0:
        raise FeeInputError("bad_rate", value=text)
    return match.group(1).upper(), value


def parse_amount(text: str, field_name: str, currency: str | None = None) -> Decimal:
    """An amount given on the command line: "1500000", "1.500.000", "1,500,000" or "150 triệu"."""
    cleaned = (text or "").strip().replace("_", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        pass
    money = parse_money(cleaned, default_currency=currency)
    if money is None or (currency and money.currency != currency.upper()):
        raise FeeInputError("bad_amount", field=field_name, value=text)
    return money.amount


def _as_decimal(value: Any) -> Any:
    """Ints and numeric strings from callers become Decimal; anything else is left to validate."""
    if isinstance(value, bool) or value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | float | str):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


# --- The check ----------------------------------------------------------------------------------


class _Check:
    """One run of the fee check; collects findings and citations in order."""

    def __init__(self, inp: FeeCheckInput, destinations: dict[str, Destination], rules: FeeRules):
        self.inp = inp = replace(
            inp,
            salary=_as_decimal(inp.salary),
            service_fee=_as_decimal(inp.service_fee),
            brokerage=_as_decimal(inp.brokerage),
            deposit=_as_decimal(inp.deposit),
            rates={k: _as_decimal(v) for k, v in (inp.rates or {}).items()},
        )
        self.rules = rules
        self.findings: list[Finding] = []
        self.citations: list[str] = []
        self.salary_currency = inp.salary_currency.upper()
        self.fee_currency = (inp.fee_currency or inp.salary_currency).upper()
        self.deposit_currency = (inp.deposit_currency or self.fee_currency).upper()
        self.rates = {k.upper(): v for k, v in (inp.rates or {}).items()}
        self.destination, self.programme = self._validate(destinations)

    # Validation --------------------------------------------------------------------------------

    def _validate(
        self, destinations: dict[str, Destination]
    ) -> tuple[Destination, Programme | None]:
        inp = self.inp
        if not isinstance(inp.months, int) or isinstance(inp.months, bool) or inp.months <= 0:
            raise FeeInputError("bad_months", value=inp.months)
        if not isinstance(inp.salary, Decimal) or not inp.salary.is_finite() or inp.salary <= 0:
            raise FeeInputError("bad_salary", value=inp.salary)
        for name in ("service_fee", "brokerage", "deposit"):
            value = getattr(inp, name)
            if value is not None and (
                not isinstance(value, Decimal) or not value.is_finite() or value < 0
            ):
                raise FeeInputError("bad_amount", field=name, value=value)
        known = self.rules.currencies
        for code in (self.salary_currency, self.fee_currency, self.deposit_currency, *self.rates):
            if code not in known:
                raise FeeInputError("unknown_currency", value=code, known=", ".join(known))
        for code, rate in self.rates.items():
            if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
                raise FeeInputError("bad_rate", value=f"{code}={rate}")
            if code == BASE_CURRENCY and rate != 1:
                raise FeeInputError("bad_rate", value=f"{code}={rate}")
        iso2 = (inp.country or "").strip().upper()
        if iso2 not in destinations:
            iso2 = find_country(inp.country or "") or iso2
        if iso2 not in destinations:
            raise FeeInputError("unknown_country", value=inp.country, known=", ".join(destinations))
        destination = destinations[iso2]
        programme = None
        if inp.program:
            programme = destination.programme(inp.program)
            if programme is None:
                raise FeeInputError(
                    "unknown_program",
                    value=inp.program,
                    country=iso2,
                    known=", ".join(p.id for p in destination.programmes),
                )
        return destination, programme

    # Helpers -----------------------------------------------------------------------------------

    def cite(self, citation: Citation) -> str:
        label = citation_label(citation)
        if label not in self.citations:
            self.citations.append(label)
        return label

    def add(self, code: str, citation: Citation, message_key: str | None = None, **params: Any):
        vi = {k: v("vi") if callable(v) else v for k, v in params.items()}
        en = {k: v("en") if callable(v) else v for k, v in params.items()}
        key = message_key or code
        self.findings.append(
            Finding(
                code=code,
                message_vi=message_text("findings", key, "vi", **vi),
                message_en=message_text("findings", key, "en", **en),
                citation=self.cite(citation),
            )
        )

    def places(self, currency: str) -> int:
        return self.rules.currencies.get(currency, 2)

    def money(self, amount: Decimal, currency: str):
        """A formatter for add(): called with the language."""
        places = self.places(currency)
        return lambda lang: format_money(Money(amount, currency), lang, places)

    @staticmethod
    def months_text(value: Decimal):
        return lambda lang: format_number(value, lang, 2)

    def rate(self, currency: str) -> Decimal | None:
        return Decimal(1) if currency == BASE_CURRENCY else self.rates.get(currency)

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        if source == target:
            return amount
        source_rate, target_rate = self.rate(source), self.rate(target)
        if source_rate is None or target_rate is None:
            return None
        return amount * source_rate / target_rate

    def missing_currency(self, *currencies: str) -> str:
        return next(c for c in currencies if self.rate(c) is None)

    def quantize(self, amount: Decimal, currency: str) -> Decimal:
        places = self.places(currency)
        return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    def country_name(self, lang: str) -> str:
        return self.destination.name[lang]

    def programme_suffix(self, lang: str) -> str:
        return f", {self.programme.name[lang]}" if self.programme else ""

    # Steps -------------------------------------------------------------------------------------

    def cap_months(self) -> Decimal:
        """Months of wage the service fee may reach: the general cap, or a lower programme cap."""
        inp, rules = self.inp, self.rules
        months = Decimal(inp.months)
        per_12 = rules.seafarer_per_12 if inp.seafarer else rules.general_per_12
        self.cite(rules.seafarer_citation if inp.seafarer else rules.general_citation)
        general = per_12 * months / 12
        if inp.months >= rules.long_from_months:
            long_max = rules.seafarer_long_max_months if inp.seafarer else rules.long_max_months
            long_citation = rules.seafarer_long_citation if inp.seafarer else rules.long_citation
            if general > long_max:
                self.add(
                    LONG_CONTRACT_CAP_APPLIED,
                    long_citation,
                    "seafarer_long_contract_cap_applied" if inp.seafarer else None,
                    from_months=rules.long_from_months,
                    max_months=self.months_text(long_max),
                )
            else:
                self.cite(long_citation)
            general = min(general, long_max)
        programme_cap = self.programme.service_fee_cap if self.programme else None
        if programme_cap is None:
            return general
        specific = programme_cap.months_per_12 * months / 12
        if programme_cap.max_months is not None and inp.months >= programme_cap.max_from_months:
            specific = min(specific, programme_cap.max_months)
        if specific >= general:
            return general
        assert self.programme is not None
        programme = self.programme
        self.add(
            PROGRAM_CAP_APPLIED,
            programme_cap.citation,
            programme=lambda lang: programme.name[lang],
            months_per_12=self.months_text(programme_cap.months_per_12),
            max_months=self.months_text(programme_cap.max_months or Decimal(0)),
            from_months=programme_cap.max_from_months,
            program_cap_months=self.months_text(specific),
            general_cap_months=self.months_text(general),
        )
        return specific

    def service_fee(self) -> tuple[Money, Money | None, bool]:
        """(cap, over_by, compared): the cap in the fee currency when a rate allows it."""
        inp = self.inp
        cap_months = self.cap_months()
        cap_in_salary = inp.salary * cap_months
        cap_in_fee = self.convert(cap_in_salary, self.salary_currency, self.fee_currency)
        if cap_in_fee is None:
            cap = Money(self.quantize(cap_in_salary, self.salary_currency), self.salary_currency)
            if inp.service_fee is not None:
                missing = self.missing_currency(self.salary_currency, self.fee_currency)
                self.add(
                    MISSING_RATE,
                    self.rules.general_citation,
                    what=lambda lang: message_text("what", "service_fee", lang),
                    currency=missing,
                )
            return cap, None, False
        cap = Money(self.quantize(cap_in_fee, self.fee_currency), self.fee_currency)
        if inp.service_fee is None:
            return cap, None, False
        over = inp.service_fee - cap.amount
        if over <= 0:
            return cap, None, True
        over_by = Money(over, self.fee_currency)
        citation = (
            self.programme.service_fee_cap.citation
            if self.programme
            and self.programme.service_fee_cap
            and any(f.code == PROGRAM_CAP_APPLIED for f in self.findings)
            else (self.rules.seafarer_citation if inp.seafarer else self.rules.general_citation)
        )
        self.add(
            SERVICE_FEE_OVER_CAP,
            citation,
            fee=self.money(inp.service_fee, self.fee_currency),
            cap=self.money(cap.amount, self.fee_currency),
            cap_months=self.months_text(cap_months),
            months=inp.months,
            over_by=self.money(over, self.fee_currency),
        )
        return cap, over_by, True

    def brokerage(self) -> None:
        amount = self.inp.brokerage
        if amount is None or amount <= 0:
            return
        self.add(
            BROKERAGE_PROHIBITED,
            self.rules.brokerage_citation,
            brokerage=self.money(amount, self.fee_currency),
        )

    def deposit(self) -> bool:
        """Check the deposit; False when a missing rate left it unjudged."""
        amount = self.inp.deposit
        if amount is None or amount <= 0:
            return True
        cap = self.destination.deposit_cap_for(self.programme)
        deposit_text = self.money(amount, self.deposit_currency)
        common = {"country": self.country_name, "programme_suffix": self.programme_suffix}
        if cap.kind == DEPOSIT_NONE:
            assert cap.citation is not None
            self.add(
                DEPOSIT_OVER_CAP,
                cap.citation,
                "deposit_not_allowed",
                deposit=deposit_text,
                **common,
            )
            return True
        if cap.kind == DEPOSIT_AIR_TICKET:
            assert cap.citation is not None
            self.add(DEPOSIT_CAP_AIR_TICKET, cap.citation, deposit=deposit_text, **common)
            return True
        if cap.kind != DEPOSIT_AMOUNT or cap.amount is None or cap.currency is None:
            self.add(
                DEPOSIT_CAP_UNKNOWN,
                self.rules.deposit_citations[-1],
                deposit=deposit_text,
                **common,
            )
            return True
        assert cap.citation is not None
        cap_here = self.convert(cap.amount, cap.currency, self.deposit_currency)
        if cap_here is None:
            self.add(
                MISSING_RATE,
                cap.citation,
                what=lambda lang: message_text("what", "deposit", lang),
                currency=self.missing_currency(self.deposit_currency, cap.currency),
            )
            return False
        cap_here = self.quantize(cap_here, self.deposit_currency)
        if amount > cap_here:
            self.add(
                DEPOSIT_OVER_CAP,
                cap.citation,
                deposit=deposit_text,
                deposit_cap=self.money(cap_here, self.deposit_currency),
                over_by=self.money(amount - cap_here, self.deposit_currency),
                **common,
            )
        else:
            self.cite(cap.citation)
        return True

    def run(self) -> FeeCheckResult:
        cap, over_by, fee_compared = self.service_fee()
        self.brokerage()
        deposit_judged = self.deposit()
        if any(f.violation for f in self.findings):
            verdict = OVER_CAP
        elif not fee_compared or not deposit_judged:
            verdict = UNKNOWN
        else:
            verdict = WITHIN_CAP
        return FeeCheckResult(
            service_fee_cap=cap,
            verdict=verdict,
            over_by=over_by,
            findings=self.findings,
            citations=self.citations,
        )


def check_fees(
    inp: FeeCheckInput,
    destinations: dict[str, Destination] | None = None,
    rules: FeeRules | None = None,
) -> FeeCheckResult:
    """Compare what the worker is asked to pay with the legal caps.

    Raises FeeInputError on bad input (months or salary not positive, negative amounts, unknown
    country, programme or currency, bad rate). The verdict is "over_cap" if any finding is a
    violation (service fee, brokerage or deposit), "unknown" if the service fee could not be
    compared (no rate, or no fee given) or a deposit needed a missing rate, else "within_cap".
    """
    check = _Check(inp, destinations or _default_destinations(), rules or _default_rules())
    return check.run()
