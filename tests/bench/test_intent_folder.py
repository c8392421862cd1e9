from __future__ import annotations

from pathlib import Path

import pytest

from bench.common import BenchError
from bench.intent_folder import confusions, load_dataset, read_split, result_name

FIXTURE = Path(__file__).with_name("fixtures") / "tiny_intents"


def test_read_split_pairs_lines_in_order() -> None:
    actual = read_split(FIXTURE, "train")
    expected = [
        ("tôi muốn đặt vé đi đà_nẵng", "flight"),
        ("giá vé đi huế là bao_nhiêu", "airfare"),
        ("chuyến bay sớm nhất đến vinh", "flight"),
    ]
    assert actual == expected


def test_trailing_blank_line_is_ignored() -> None:
    actual = [label for _, label in read_split(FIXTURE, "test")]
    assert actual == ["flight", "airfare"]


def test_load_dataset_reads_every_split() -> None:
    actual = {split: len(pairs) for split, pairs in load_dataset(FIXTURE).items()}
    assert actual == {"train": 3, "dev": 1, "test": 2}


def test_dev_is_optional(tmp_path: Path) -> None:
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        (tmp_path / split / "seq.in").write_text("xin chào\n", encoding="utf-8")
        (tmp_path / split / "label").write_text("greet\n", encoding="utf-8")
    assert sorted(load_dataset(tmp_path)) == ["test", "train"]


def test_mismatched_line_counts_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "seq.in").write_text("một\nhai\n", encoding="utf-8")
    (tmp_path / "train" / "label").write_text("a\n", encoding="utf-8")
    with pytest.raises(BenchError, match="2 lines"):
        read_split(tmp_path, "train")


def test_missing_label_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "seq.in").write_text("một\n", encoding="utf-8")
    with pytest.raises(BenchError, match="seq.in and label"):
        read_split(tmp_path, "train")


def test_empty_label_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "seq.in").write_text("một\nhai\nba\n", encoding="utf-8")
    (tmp_path / "train" / "label").write_text("a\n\nc\n", encoding="utf-8")
    with pytest.raises(BenchError, match="line 2"):
        read_split(tmp_path, "train")


def test_result_name_comes_from_the_last_two_folders() -> None:
    assert result_name(Path("/data/PhoATIS/word-level")) == "intent_folder_phoatis_word-level"


def test_confusions_count_mistakes_only() -> None:
    gold = ["flight", "flight", "airfare", "airfare"]
    predicted = ["airfare", "airfare", "airfare", "flight"]
    assert confusions(gold, predicted) == [["flight", "airfare", 2], ["airfare", "flight", 1]]
