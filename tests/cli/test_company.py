"""`hanhtrang company search|import` against a real SQLite file named by HANHTRANG_DB."""

import json

import pytest
import typer
from typer.testing import CliRunner

from cli import company

runner = CliRunner()
app = typer.Typer()
app.add_typer(company.app, name="company")  # as cli/main.py registers it


@pytest.fixture(autouse=True)
def database(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "hanhtrang.db"
    monkeypatch.setenv("HANHTRANG_DB", str(path))
    return path


def test_search_json_contract_on_the_sample(database) -> None:
    result = runner.invoke(app, ["company", "search", "cty sao mai", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    first = payload[0]
    assert (first["licence_no"], first["status"], first["sample"]) == (
        "MAU-001/GP-THU",
        "active",
        True,
    )
    assert {"licence_no", "name", "status", "score"} <= set(first)
    assert isinstance(first["score"], float) and 0 <= first["score"] <= 1
    assert database.exists()


def test_search_without_a_match_prints_an_empty_list() -> None:
    result = runner.invoke(app, ["company", "search", "qwerty zzz", "--json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_import_then_search(tmp_path) -> None:
    csv_path = tmp_path / "official.csv"
    csv_path.write_text(
        "licence_no,name,status\n123/LĐTBXH-GP,Công ty Cổ phần Thí Dụ,active\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["company", "import", str(csv_path)])
    assert (result.exit_code, json.loads(result.stdout)) == (0, {"imported": 1})
    payload = json.loads(runner.invoke(app, ["company", "search", "thi du", "--json"]).stdout)
    assert [(m["licence_no"], m["sample"]) for m in payload] == [("123/LĐTBXH-GP", False)]


def test_import_of_a_malformed_file_exits_2_naming_the_line(tmp_path) -> None:
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("licence_no,name,status\n1/GP,A,active\n2/GP,B,maybe\n", encoding="utf-8")
    result = runner.invoke(app, ["company", "import", str(csv_path), "--lang", "en"])
    assert result.exit_code == 2
    assert "Line 3" in result.stderr
    assert result.stdout == ""


def test_import_of_a_missing_file_exits_2(tmp_path) -> None:
    result = runner.invoke(app, ["company", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error (unreadable)")


def test_text_output_shows_the_source(database) -> None:
    result = runner.invoke(app, ["company", "search", "sao mai"])
    assert "FICTIONAL SAMPLE" in result.stdout
