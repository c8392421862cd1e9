"""Retrieval settings: the shipped retrieval.yml, its checks, and that settings are documented."""

from dataclasses import fields
from pathlib import Path

import pytest

from knowledge_base.retrieval.settings import (
    CONFIG_PATH,
    MODEL_ENV,
    RetrievalConfig,
    RetrievalConfigError,
    config_from_dict,
    load_config,
    load_out_of_scope,
    model_override,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "retrieval.md"


def test_shipped_config_loads_with_ordered_thresholds():
    config = load_config()
    assert 0.0 <= config.suggest_threshold <= config.answer_threshold <= 1.0


def test_missing_keys_take_the_defaults():
    assert config_from_dict({}) == RetrievalConfig()


def test_values_are_converted_to_the_declared_types():
    config = config_from_dict({"training": {"epochs": "3"}, "answer_threshold": "0.8"})
    assert (config.training.epochs, config.answer_threshold) == (3, 0.8)


@pytest.mark.parametrize(
    "data",
    [
        {"answer_threshold": 0.2, "suggest_threshold": 0.5},
        {"lexical": {"k3": 1.0}},
        {"hybrid": [0.5, 0.5]},
        {"training": {"epochs": "many"}},
        {"calibration": {"holdout_fraction": 1.5}},
    ],
)
def test_bad_settings_are_refused(data):
    with pytest.raises(RetrievalConfigError):
        config_from_dict(data)


def test_model_inputs_leave_out_the_thresholds():
    inputs = load_config().model_inputs()
    assert "answer_threshold" not in inputs
    assert "answer_over_intent_threshold" not in inputs
    assert set(inputs) == {"lexical", "hybrid", "classifier", "training", "calibration"}


def test_out_of_scope_questions_exist_in_both_languages():
    assert len(load_out_of_scope()) >= 20


def test_model_override_reads_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert model_override() is None
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    assert model_override() == tmp_path


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    config = load_config()
    sections = list(config.model_inputs())
    top_level = [f.name for f in fields(config) if f.name not in sections]
    names = [MODEL_ENV, CONFIG_PATH.name, *top_level, *(f"{s}." for s in sections)]
    missing = [name for name in names if name not in text]
    assert missing == []


def test_importing_the_package_loads_no_model_library():
    import subprocess
    import sys

    heavy = "('torch', 'sentence_transformers', 'sklearn')"
    code = f"import sys, knowledge_base.retrieval; print([m for m in {heavy} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_none_class_texts_are_the_intent_out_of_scope_examples_minus_calibration_ones(
        tmp_path):
    from knowledge_base.retrieval.settings import load_intent_out_of_scope, load_out_of_scope
    from knowledge_base.text import fold

    nlu = tmp_path / "out_of_scope.yml"
    calibration_question = load_out_of_scope()[0]
    nlu.write_text(
        'version: "3.1"\nnlu:\n- intent: out_of_scope\n  examples: |\n'
        f"    - thời tiết [Tokyo](country) hôm nay\n    - {calibration_question}\n"
        "- intent: greet\n  examples: |\n    - xin chào\n",
        encoding="utf-8")
    texts = load_intent_out_of_scope([nlu])
    assert texts == ["thời tiết Tokyo hôm nay"]
    assert fold(calibration_question) not in {fold(t) for t in texts}
