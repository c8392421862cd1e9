"""`hanhtrang grievance …` on a temporary database, through typer's CliRunner."""

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.grievance import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "hotline.db"
    monkeypatch.setenv("HANHTRANG_DB", str(path))
    monkeypatch.setenv("HANHTRANG_SECRET", "cli-test")
    monkeypatch.setenv("HANHTRANG_LANG", "en")
    return path


def _file(*extra: str) -> dict:
    args = [
        "file",
        "--category",
        "unpaid_wages",
        "--description",
        "Chưa trả lương 2 tháng",
        "--language",
        "vi",
        "--caller-id",
        "+84900000001",
        "--destination",
        "JP",
        "--respondent-kind",
        "recruiter",
        "--respondent",
        "Công ty Sao Mai",
        "--consent",
        "ministry",
        "--json",
        *extra,
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _run(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_file_prints_code_and_pin_and_commits(db: Path) -> None:
    filed = _file()
    code = filed["ticket"]["code"]
    stored = (
        sqlite3.connect(db)
        .execute("SELECT channel, unit FROM tickets WHERE code = ?", (code,))
        .fetchone()
    )
    assert (len(filed["pin"]), filed["duplicate"]) == (6, False)
    assert stored == ("phone", "recruiter")
    assert "pin_hash" not in filed["ticket"]


def test_file_twice_with_the_same_event_is_one_ticket(db: Path) -> None:
    first = _file("--source-event-id", "phone:call-1")
    second = _file("--source-event-id", "phone:call-1")
    assert (second["ticket"]["code"], second["pin"], second["duplicate"]) == (
        first["ticket"]["code"],
        None,
        True,
    )


def test_plain_output_names_the_code(db: Path) -> None:
    result = runner.invoke(
        app,
        [
            "file",
            "--category",
            "other",
            "--description",
            "hỏi thủ tục",
            "--language",
            "en",
            "--caller-id",
            "x",
        ],
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("Filed HT-")


def test_show_lists_the_history(db: Path) -> None:
    code = _file()["ticket"]["code"]
    shown = _run("show", code)
    assert shown["ticket"]["code"] == code
    assert [e["action"] for e in shown["events"]] == ["filed", "routed", "deadlines_set"]


def test_handling_commands_change_status(db: Path) -> None:
    code = _file()["ticket"]["code"]
    assert _run("accept", code, "--actor", "recruiter")["status"] == "accepted"
    paused = _run("pause", code, "--reason", "waiting for payslips")
    resumed = _run("resume", code)
    moved = _run("transfer", code, "dolab_complaints", "--reason", "second complaint")
    resolved = _run("resolve", code, "--outcome", "wages paid")
    statuses = [paused["status"], resumed["status"], moved["status"], resolved["status"]]
    assert statuses == ["paused", "accepted", "transferred", "resolved"]
    assert (moved["unit"], moved["deadline_kind"]) == ("dolab_complaints", "complaint_second")


def test_extend_a_denunciation(db: Path) -> None:
    code = _file("--legal-type", "denunciation")["ticket"]["code"]
    _run("accept", code)
    extended = _run("extend", code, "--reason", "many victims", "--complexity", "complex")
    assert (extended["status"], extended["extensions_used"]) == ("extended", 1)


def test_queue_and_sweep(db: Path) -> None:
    first = _file()["ticket"]["code"]
    urgent = _file("--category", "abuse_violence")
    queue = _run("queue")
    swept = _run("sweep")
    assert [t["code"] for t in queue] == [urgent["ticket"]["code"], first]
    assert _run("queue", "--unit", "recruiter")[0]["code"] == first
    assert (swept["checked"], swept["failed"]) == (2, 0)
    assert swept["sent"] >= 2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["show", "HT-2026-999999"], "not_found"),
        (
            ["file", "--category", "noise", "--description", "x", "--caller-id", "1"],
            "invalid_category",
        ),
        (["accept", "HT-2026-000001"], "not_found"),
    ],
)
def test_refusals_exit_2_with_the_error_code(db: Path, args: list[str], code: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert code in result.stderr
    assert result.stdout == ""


def test_bad_date_is_refused(db: Path) -> None:
    code = _file()["ticket"]["code"]
    result = runner.invoke(app, ["accept", code, "--on", "yesterday"])
    assert (result.exit_code, "invalid_date" in result.stderr) == (2, True)


def test_file_asks_for_what_the_flags_left_out(db: Path, monkeypatch) -> None:
    monkeypatch.setattr("cli.grievance._interactive", lambda: True)
    answers = "\n".join(
        [
            "vi",
            "+84900000002",
            "documents_confiscated",
            "Chủ giữ hộ chiếu",
            "TW",
            "Nghệ An",
            "employer_abroad",
            "",
        ]
    )
    result = runner.invoke(app, ["file", "--json"], input=answers + "\n")
    assert result.exit_code == 0, result.stderr
    ticket = json.loads(result.stdout[result.stdout.index("{") :])["ticket"]
    assert (ticket["category"], ticket["destination"], ticket["province"], ticket["unit"]) == (
        "documents_confiscated",
        "TW",
        "nghe-an",
        "labour_section_tw",
    )
