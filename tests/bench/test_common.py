from __future__ import annotations

import json
from pathlib import Path

from bench.common import (
    file_hash,
    machine,
    markdown_table,
    rasa_training_data,
    write_results,
    write_training_data,
)


def test_rasa_training_data_keeps_markup_characters_as_text() -> None:
    actual = rasa_training_data([("phí [dịch vụ] (bao nhiêu)", "check_fee")])
    expected = {"rasa_nlu_data": {"common_examples": [
        {"text": "phí [dịch vụ] (bao nhiêu)", "intent": "check_fee", "entities": []}
    ]}}
    assert actual == expected


def test_write_training_data_is_utf8_json(tmp_path: Path) -> None:
    path = write_training_data([("chào bạn", "greet")], tmp_path / "sub" / "nlu.json")
    text = path.read_text(encoding="utf-8")
    assert "chào bạn" in text
    assert json.loads(text)["rasa_nlu_data"]["common_examples"][0]["intent"] == "greet"


def test_markdown_table_formats_floats_and_missing_values() -> None:
    actual = markdown_table(["a", "b"], [[0.91234, None], ["x", 3]])
    expected = "| a | b |\n|---|---|\n| 0.912 | — |\n| x | 3 |\n"
    assert actual == expected


def test_file_hash_changes_with_content(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("a: 1\n")
    first = file_hash(path)
    path.write_text("a: 2\n")
    assert len(first) == 12
    assert file_hash(path) != first


def test_machine_reports_cpu_count_and_ram() -> None:
    actual = machine()
    assert actual["nproc"] >= 1
    assert actual["ram_gib"] > 0


def test_write_results_writes_json_and_markdown(tmp_path: Path) -> None:
    json_path, md_path = write_results("demo", {"x": 1}, "# demo\n", tmp_path)
    assert json.loads(json_path.read_text()) == {"x": 1}
    assert md_path.read_text() == "# demo\n"
