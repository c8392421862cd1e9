from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.clinc150 import (
    choose_threshold,
    configured_threshold,
    evaluation_set,
    load_clinc,
    predicted_label,
    score,
    training_examples,
)
from bench.common import BenchError

TINY = {
    "train": [["what is my balance", "balance"], ["send money to mom", "transfer"]],
    "val": [["how much money do i have", "balance"]],
    "test": [["balance please", "balance"], ["wire fifty dollars", "transfer"]],
    "oos_train": [["how tall is everest", "oos"]],
    "oos_val": [["sing me a song", "oos"]],
    "oos_test": [["who won the cup", "oos"]],
}


def prediction(intent: str, confidence: float, top: str | None = None,
               top_confidence: float | None = None) -> dict:
    return {"intent": intent, "confidence": confidence, "top_intent": top or intent,
            "top_confidence": confidence if top_confidence is None else top_confidence}


def test_load_clinc_reads_pairs(tmp_path: Path) -> None:
    path = tmp_path / "data_full.json"
    path.write_text(json.dumps(TINY))
    actual = load_clinc(path)
    assert actual["train"][0] == ("what is my balance", "balance")
    assert len(actual["oos_test"]) == 1


def test_load_clinc_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"train": []}))
    with pytest.raises(BenchError, match="not CLINC150"):
        load_clinc(path)


def test_full_setting_adds_oos_train_as_an_intent() -> None:
    data = {k: [tuple(p) for p in v] for k, v in TINY.items()}
    assert training_examples(data, with_oos=True)[-1] == ("how tall is everest", "oos")
    assert len(training_examples(data, with_oos=False)) == 2


def test_evaluation_set_marks_out_of_scope_with_none() -> None:
    data = {k: [tuple(p) for p in v] for k, v in TINY.items()}
    actual = evaluation_set(data, "test")
    expected = [("balance please", "balance"), ("wire fifty dollars", "transfer"),
                ("who won the cup", None)]
    assert actual == expected


def test_predicted_label_as_configured() -> None:
    assert predicted_label(prediction("balance", 0.9)) == "balance"
    assert predicted_label(prediction("oos", 0.9)) is None
    assert predicted_label(prediction("nlu_fallback", 0.3, "balance", 0.2)) is None


def test_predicted_label_with_a_threshold_uses_the_classifier_top_intent() -> None:
    fell_back = prediction("nlu_fallback", 0.3, "balance", 0.25)
    assert predicted_label(fell_back, threshold=0.2) == "balance"
    assert predicted_label(fell_back, threshold=0.5) is None
    assert predicted_label(prediction("oos", 0.9), threshold=0.1) is None


def test_choose_threshold_balances_accuracy_and_oos_recall() -> None:
    gold = [("a", "balance"), ("b", "transfer"), ("c", None), ("d", None)]
    predictions = [prediction("balance", 0.9), prediction("transfer", 0.6),
                   prediction("balance", 0.4), prediction("transfer", 0.3)]
    chosen = choose_threshold(gold, predictions)
    assert chosen == 0.45  # the lowest threshold that rejects both out-of-scope texts
    actual = score(gold, predictions, chosen)
    assert (actual.in_scope_accuracy, actual.oos_recall) == (1.0, 1.0)


def test_configured_threshold_is_read_from_the_pipeline(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.4\n")
    assert configured_threshold(config) == 0.4
    config.write_text("pipeline:\n  - name: WhitespaceTokenizer\n")
    assert configured_threshold(config) is None
