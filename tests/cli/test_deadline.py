"""`hanhtrang deadline`: the JSON contract, the table, and bad input (exit 2, one line)."""

import json

import pytest
from typer.testing import CliRunner

from cli.deadline import app

runner = CliRunner()


def test_json_contract_for_a_complaint_received_before_tet() -> None:
    result = runner.invoke(app, ["--kind", "complaint", "--received", "2026-02-12", "--json"])
    assert result.exit_code == 0
    assert result.stderr == ""
    payload = json.loads(result.stdout)
    # Thu 12 Feb + 10 days = Sun 22 Feb (Tết) -> Mon 23 Feb; + 30 days -> Wed 25 Mar
    expected = {
        "accept_by": "2026-02-23",
        "resolve_by": "2026-03-25",
        "resolve_by_max": "2026-03-25",
        "day_count": "calendar",
        "rules": [
            {
                "doc": "Law on Complaints 02/2011/QH13",
                "article": "Art. 27",
                "days": 10,
                "verification": "official",
            },
            {
                "doc": "Law on Complaints 02/2011/QH13",
                "article": "Art. 28",
                "days": 30,
                "verification": "official",
            },
        ],
    }
    assert {k: v for k, v in payload.items() if k != "warnings"} == expected
    assert isinstance(payload["warnings"], list)


def test_json_for_a_very_complex_denunciation() -> None:
    args = ["--kind", "denunciation", "--received", "2026-02-12", "--very-complex", "--json"]
    payload = json.loads(runner.invoke(app, args).stdout)
    # 7 working days -> Mon 2 Mar; +30 -> Wed 1 Apr; +90 -> Sun 31 May -> Mon 1 Jun
    assert (payload["accept_by"], payload["resolve_by"], payload["resolve_by_max"]) == (
        "2026-03-02",
        "2026-04-01",
        "2026-06-01",
    )
    assert payload["day_count"] == "working"
    assert [r["days"] for r in payload["rules"]] == [7, 30, 30, 30]


def test_json_for_a_petition_has_null_resolution() -> None:
    args = ["--kind", "petition", "--received", "2026-02-12", "--json"]
    payload = json.loads(runner.invoke(app, args).stdout)
    # 10 working days: Fri 13, Mon 23 - Fri 27, Mon 2 - Thu 5 Mar
    assert (payload["accept_by"], payload["resolve_by"], payload["resolve_by_max"]) == (
        "2026-03-05",
        None,
        None,
    )


def test_remote_complex_and_accepted() -> None:
    args = ["--kind", "complaint", "--received", "2026-03-04", "--remote", "--complex"]
    args += ["--accepted", "2026-03-10", "--json"]
    payload = json.loads(runner.invoke(app, args).stdout)
    # 60 days from Tue 10 Mar: 11-31 Mar (21) + April (30) + 1-9 May (9) -> Sat 9 May -> Mon 11 May
    assert payload["resolve_by"] == "2026-05-11"
    assert payload["rules"][1]["days"] == 60


def test_pause_option() -> None:
    args = ["--kind", "complaint", "--received", "2026-03-04", "--accepted", "2026-03-10"]
    args += ["--pause", "2026-03-20:2026-03-24", "--json"]
    payload = json.loads(runner.invoke(app, args).stdout)
    # 30 days from 10 Mar -> Thu 9 Apr, + 5 paused days -> Tue 14 Apr
    assert payload["resolve_by"] == "2026-04-14"


def test_table_output() -> None:
    result = runner.invoke(app, ["--kind", "labour_complaint", "--received", "2026-02-12"])
    assert result.exit_code == 0
    assert "accept_by" in result.stdout
    assert "2026-03-02" in result.stdout
    assert "24/2018/NĐ-CP" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--kind", "complaint", "--received", "2026-02-30", "--json"], "2026-02-30"),
        (["--kind", "complaint", "--received", "12/02/2026", "--json"], "YYYY-MM-DD"),
        (["--kind", "appeal", "--received", "2026-02-12", "--json"], "appeal"),
        (
            ["--kind", "complaint", "--received", "2026-02-12", "--complex", "--very-complex"],
            "--very-complex",
        ),
        (["--received", "2026-02-12", "--json"], "--kind"),
        (["--kind", "complaint", "--json"], "--received"),
        (
            ["--kind", "complaint", "--received", "2026-02-12", "--accepted", "2026-02-11"],
            "2026-02-11",
        ),
        (["--kind", "complaint", "--received", "2026-02-12", "--pause", "2026-03-01"], "--pause"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    assert fragment in result.stderr
