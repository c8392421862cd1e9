"""`hanhtrang fees check`: the JSON contract, text output, and bad input (exit 2, stderr)."""

import json

import pytest
import typer
from typer.testing import CliRunner

from cli import fees

runner = CliRunner()
app = typer.Typer()
app.add_typer(fees.app, name="fees")  # as cli/main.py registers it


def run(*args: str):
    return runner.invoke(app, ["fees", "check", *args])


BASE = ["--country", "TW", "--months", "36", "--salary", "20000", "--salary-currency", "TWD"]


def test_json_contract_over_the_cap() -> None:
    result = run(*BASE, "--service-fee", "60001", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert list(payload) == ["service_fee_cap", "verdict", "over_by", "findings", "citations"]
    assert payload["service_fee_cap"] == {"amount": 60000, "currency": "TWD"}
    assert (payload["verdict"], payload["over_by"]) == (
        "over_cap",
        {"amount": 1, "currency": "TWD"},
    )
    assert [f["code"] for f in payload["findings"]] == ["service_fee_over_cap"]
    assert set(payload["findings"][0]) == {"code", "message_vi", "message_en", "citation"}
    assert payload["citations"] and all(isinstance(c, str) for c in payload["citations"])


def test_japan_with_a_rate_and_a_deposit() -> None:
    result = run(
        "--country", "JP", "--months", "36", "--salary", "180000", "--salary-currency", "JPY",
        "--service-fee", "91800000", "--fee-currency", "VND", "--rate", "JPY=170",
        "--rate", "USD=25000", "--deposit", "1000000", "--json",
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert payload["service_fee_cap"] == {"amount": 91800000, "currency": "VND"}
    assert payload["verdict"] == "over_cap"
    assert payload["over_by"] is None
    assert [f["code"] for f in payload["findings"]] == ["deposit_over_cap"]


def test_missing_rate_gives_unknown() -> None:
    result = run(
        "--country", "JP", "--months", "12", "--salary", "180000", "--salary-currency", "JPY",
        "--service-fee", "30000000", "--fee-currency", "VND", "--json",
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert (payload["verdict"], payload["over_by"]) == ("unknown", None)
    assert payload["service_fee_cap"] == {"amount": 180000, "currency": "JPY"}
    assert [f["code"] for f in payload["findings"]] == ["missing_rate"]


def test_program_brokerage_and_seafarer_options() -> None:
    result = run(*BASE, "--program", "home_caregiver", "--service-fee", "20000", "--json")
    payload = json.loads(result.stdout)
    assert (payload["verdict"], payload["service_fee_cap"]["amount"]) == ("within_cap", 20000)
    result = run(*BASE, "--service-fee", "1", "--brokerage", "1", "--json")
    assert json.loads(result.stdout)["verdict"] == "over_cap"
    result = run(
        "--country", "KR", "--months", "12", "--salary", "10000000", "--salary-currency", "VND",
        "--service-fee", "15000000", "--seafarer", "--json",
    )  # fmt: skip
    assert json.loads(result.stdout)["verdict"] == "within_cap"


def test_text_output_in_both_languages() -> None:
    vi = run(*BASE, "--service-fee", "60001")
    en = run(*BASE, "--service-fee", "60001", "--lang", "en")
    assert vi.exit_code == en.exit_code == 0
    assert "60.000 Đài tệ" in vi.stdout
    assert "60,000 TWD" in en.stdout


@pytest.mark.parametrize(
    "changes",
    [
        ["--months", "0"],
        ["--months", "-3"],
        ["--salary", "0"],
        ["--salary", "-5"],
        ["--service-fee", "-1"],
        ["--country", "XX"],
        ["--rate", "JPY170"],
        ["--rate", "JPY=abc"],
        ["--salary-currency", "ABC"],
        ["--fee-currency", "ZZZ"],
        ["--program", "astronaut"],
        ["--salary", "lots"],
    ],
)
def test_bad_input_exits_2_with_a_message_on_stderr(changes) -> None:
    args = dict(zip(BASE[::2], BASE[1::2], strict=True)) | {"--service-fee": "1"}
    args[changes[0]] = changes[1]
    flat = [item for pair in args.items() for item in pair]
    result = run(*flat, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error (")


def test_missing_required_option_exits_2() -> None:
    result = run("--country", "JP", "--json")
    assert result.exit_code == 2
