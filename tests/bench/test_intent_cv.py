from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.common import examples_from_yaml, load_examples
from bench.intent_cv import (
    DANGER_OFF,
    config_without_probability_override,
    pipeline_settings,
    predicted_intent,
    scores,
    stratified_folds,
    variant,
)

TINY_NLU = """\
version: "3.1"
nlu:
- intent: check_fee
  examples: |
    - phí đi [Nhật](country) bao nhiêu
    - phi di [han quoc]{"entity": "country", "value": "KR"} bao nhieu
    - how much is the fee
- synonym: JP
  examples: |
    - Nhật
- intent: greet
  examples: |
    - xin chào
    - hello
"""


@pytest.fixture
def nlu_dir(tmp_path: Path) -> Path:
    (tmp_path / "a.yml").write_text(TINY_NLU, encoding="utf-8")
    # The same examples again in a second file: loaded once.
    (tmp_path / "b.yml").write_text(TINY_NLU, encoding="utf-8")
    return tmp_path


def prediction(top: str, confidence: float, emergency: float = 0.0) -> dict:
    ranking = [[top, confidence]] + ([["emergency", emergency]] if emergency else [])
    return {"top_intent": top, "top_confidence": confidence, "ranking": ranking}


def test_examples_keep_the_text_of_entity_annotations_and_skip_other_blocks(nlu_dir: Path) -> None:
    actual = examples_from_yaml(nlu_dir / "a.yml")
    expected = [
        ("phí đi Nhật bao nhiêu", "check_fee"),
        ("phi di han quoc bao nhieu", "check_fee"),
        ("how much is the fee", "check_fee"),
        ("xin chào", "greet"),
        ("hello", "greet"),
    ]
    assert actual == expected


def test_load_examples_drops_duplicates_across_files(nlu_dir: Path) -> None:
    actual = load_examples([nlu_dir])
    assert actual == examples_from_yaml(nlu_dir / "a.yml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("phí đi Nhật bao nhiêu", "vi"),
        ("phi di nhat bao nhieu", "vi_nodiac"),
        ("how much is the fee", "en"),
        ("E-9", "vi_nodiac"),
    ],
)
def test_variant(text: str, expected: str) -> None:
    assert variant(text) == expected


def test_folds_are_stratified_and_deterministic() -> None:
    examples = [(f"a{i}", "a") for i in range(10)] + [(f"b{i}", "b") for i in range(7)]
    folds = stratified_folds(examples, 3, seed=13)
    assert folds == stratified_folds(examples, 3, seed=13)
    for intent in ("a", "b"):
        sizes = Counter(f for f, (_, i) in zip(folds, examples, strict=True) if i == intent)
        assert sorted(sizes) == [0, 1, 2]
        assert max(sizes.values()) - min(sizes.values()) <= 1


def test_another_seed_deals_other_folds() -> None:
    examples = [(f"a{i}", "a") for i in range(30)]
    assert stratified_folds(examples, 3, seed=1) != stratified_folds(examples, 3, seed=2)


def test_override_and_fallback_are_replayed_in_the_pipeline_order() -> None:
    assert predicted_intent(prediction("greet", 0.9), danger=True, fallback=0.3,
                            min_probability=0.15) == "emergency"
    assert predicted_intent(prediction("check_fee", 0.6, emergency=0.2), danger=False,
                            fallback=0.3, min_probability=0.15) == "emergency"
    assert predicted_intent(prediction("check_fee", 0.6, emergency=0.1), danger=False,
                            fallback=0.3, min_probability=0.15) == "check_fee"
    assert predicted_intent(prediction("check_fee", 0.2), danger=False, fallback=0.3,
                            min_probability=0.15) == "nlu_fallback"


def test_scores() -> None:
    gold = ["emergency", "emergency", "greet", "out_of_scope", "out_of_scope", "greet"]
    predicted = ["emergency", "greet", "emergency", "nlu_fallback", "greet", "nlu_fallback"]
    actual = scores(gold, predicted)
    assert actual["accuracy"] == 2 / 6  # fallback is right for out_of_scope only
    assert (actual["emergency_recall"], actual["emergency_precision"]) == (0.5, 0.5)
    assert (actual["oos_recall"], actual["oos_precision"]) == (0.5, 0.5)
    assert actual["in_scope_fallback_rate"] == 1 / 4
    assert actual["per_intent_recall"] == {"emergency": 0.5, "greet": 0.0, "out_of_scope": 0.5}


def test_cv_config_turns_off_only_the_probability_override(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({"language": "vi", "pipeline": [
        {"name": "nlu.components.danger_override.DangerOverride", "min_probability": 0.1},
        {"name": "FallbackClassifier", "threshold": 0.4},
    ]}), encoding="utf-8")
    assert pipeline_settings(config) == (0.4, 0.1)
    derived = config_without_probability_override(config, tmp_path / "cv.yml")
    assert pipeline_settings(derived) == (0.4, DANGER_OFF)
