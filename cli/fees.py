"""`hanhtrang fees check`: is a recruiter's fee, brokerage or deposit within the law?

The JSON output is a contract relied on by tests outside the repo (design.md section 5). Bad input
exits with code 2 and one line on stderr, so scripts can tell it from a crash. Texts come from
knowledge_base/fee_messages.yml.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer

from knowledge_base.amounts import parse_months
from knowledge_base.fees import (
    FeeCheckInput,
    FeeCheckResult,
    FeeInputError,
    check_fees,
    format_money,
    load_rules,
    message_text,
    parse_amount,
    parse_rate,
)

USAGE_ERROR = 2

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Fee checks.")


@app.callback()
def _fees() -> None:
    """Check fees against the legal caps."""


def _months(text: str) -> int:
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    months = parse_months(stripped)
    if months is None:
        raise FeeInputError("bad_months", value=text)
    return months


def _optional_amount(text: str | None, field_name: str, currency: str | None) -> Decimal | None:
    return None if text is None else parse_amount(text, field_name, currency)


@app.command()
def check(
    country: Annotated[str, typer.Option("--country", help="ISO2 code, e.g. JP, KR, TW.")],
    months: Annotated[str, typer.Option("--months", help="Contract length in months.")],
    salary: Annotated[str, typer.Option("--salary", help="Monthly contract wage.")],
    salary_currency: Annotated[
        str, typer.Option("--salary-currency", help="Currency of the wage, e.g. JPY.")
    ],
    service_fee: Annotated[
        str, typer.Option("--service-fee", help="Service fee asked of the worker.")
    ],
    program: Annotated[
        str | None, typer.Option("--program", help="Programme id or name (see destinations.yml).")
    ] = None,
    fee_currency: Annotated[
        str | None,
        typer.Option("--fee-currency", help="Currency of the fee, brokerage and deposit."),
    ] = None,
    brokerage: Annotated[
        str | None, typer.Option("--brokerage", help="Brokerage asked of the worker.")
    ] = None,
    deposit: Annotated[str | None, typer.Option("--deposit", help="Deposit asked.")] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option("--rate", help="Exchange rate CUR=VND_PER_UNIT, e.g. JPY=170; repeatable."),
    ] = None,
    seafarer: Annotated[
        bool, typer.Option("--seafarer", help="Officer or crew on a sea-going ship.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (the stable contract).")
    ] = False,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the text output: vi or en.")
    ] = "vi",
) -> None:
    """Compare a service fee, brokerage and deposit with the legal caps."""
    lang = lang if lang in ("vi", "en") else "vi"
    try:
        fee_cur = (fee_currency or salary_currency).upper()
        inp = FeeCheckInput(
            country=country,
            months=_months(months),
            salary=parse_amount(salary, "salary", salary_currency.upper()),
            salary_currency=salary_currency.upper(),
            service_fee=parse_amount(service_fee, "service_fee", fee_cur),
            fee_currency=fee_cur,
            brokerage=_optional_amount(brokerage, "brokerage", fee_cur),
            deposit=_optional_amount(deposit, "deposit", fee_cur),
            program=program,
            seafarer=seafarer,
            rates=dict(parse_rate(r) for r in rate or []),
        )
        result = check_fees(inp)
    except FeeInputError as error:
        typer.echo(f"error ({error.code}): {error.message(lang)}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _print_text(result, lang)


def _print_text(result: FeeCheckResult, lang: str) -> None:
    places = load_rules().currencies
    typer.echo(message_text("verdicts", result.verdict, lang))
    if result.service_fee_cap:
        cap = result.service_fee_cap
        label = message_text("labels", "service_fee_cap", lang)
        typer.echo(f"{label}: {format_money(cap, lang, places.get(cap.currency, 2))}")
    if result.over_by:
        label = message_text("labels", "over_by", lang)
        over = result.over_by
        typer.echo(f"{label}: {format_money(over, lang, places.get(over.currency, 2))}")
    for finding in result.findings:
        message = finding.message_vi if lang == "vi" else finding.message_en
        typer.echo(f"- {message} [{finding.citation}]")
    typer.echo(f"{message_text('labels', 'citations', lang)}:")
    for citation in result.citations:
        typer.echo(f"  {citation}")
