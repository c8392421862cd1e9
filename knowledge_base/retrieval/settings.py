"""Retrieval settings: tunables from retrieval.yml and the one environment override.

Tunables live in YAML beside the code so that they can be changed and reviewed without touching
Python; the environment only says *which* model to use, never how to score.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.text import fold
from nlu.training_data import examples_from_yaml

CONFIG_PATH = Path(__file__).parent / "retrieval.yml"
OUT_OF_SCOPE_PATH = Path(__file__).parent / "out_of_scope.yml"
NLU_ROOT = Path(__file__).resolve().parents[2] / "nlu"
MODEL_ENV = "HANHTRANG_RETRIEVER_MODEL"


class RetrievalConfigError(Exception):
    """retrieval.yml is missing, malformed, or has values out of range."""


@dataclass(frozen=True)
class LexicalConfig:
    k1: float = 1.2
    b: float = 0.3
    question_weight: float = 1.0
    title_weight: float = 1.0
    answer_weight: float = 0.3
    char_ngram: int = 3
    char_share: float = 0.5


@dataclass(frozen=True)
class HybridConfig:
    lexical_weight: float = 0.7
    semantic_weight: float = 0.3
    classifier_weight: float = 0.0


@dataclass(frozen=True)
class ClassifierConfig:
    # Inverse regularisation strength of the logistic regression.
    c: float = 10.0
    char_min: int = 2
    char_max: int = 5
    # Fit one more class, "none of the articles", on the intent classifier's out-of-scope examples
    # (nlu/*/out_of_scope.yml): the articles then share less than 1 for a text like those.
    none_class: bool = False


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 20261123
    vocab_size: int = 4000
    embedding_dim: int = 256
    epochs: int = 12
    batch_size: int = 32
    learning_rate: float = 0.05
    scale: float = 10.0
    answer_share: float = 0.5


@dataclass(frozen=True)
class CalibrationConfig:
    holdout_fraction: float = 0.2
    min_questions: int = 4


@dataclass(frozen=True)
class RetrievalConfig:
    answer_threshold: float = 0.6
    suggest_threshold: float = 0.3
    suggest_count: int = 3
    answer_over_intent_threshold: float = 0.9
    out_of_scope_threshold: float = 0.5
    lexical: LexicalConfig = field(default_factory=LexicalConfig)
    hybrid: HybridConfig = field(default_factory=HybridConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)

    def model_inputs(self) -> dict[str, Any]:
        """The settings that shape the trained model and its calibration (hashed by ensure_model).

        Thresholds are left out on purpose: changing them must not trigger retraining.
        """
        data = asdict(self)
        for key in ("answer_threshold", "suggest_threshold", "suggest_count",
                    "answer_over_intent_threshold", "out_of_scope_threshold"):
            data.pop(key)
        return data


def _section(cls: type, data: Any, name: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise RetrievalConfigError(f"retrieval.yml: '{name}' must be a mapping")
    known = set(cls.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise RetrievalConfigError(f"retrieval.yml: unknown keys in '{name}': {sorted(unknown)}")
    defaults = cls()
    values = {}
    for key, value in data.items():
        kind = type(getattr(defaults, key))
        try:
            values[key] = kind(value)
        except (TypeError, ValueError) as exc:
            raise RetrievalConfigError(f"retrieval.yml: {name}.{key}: {exc}") from exc
    return cls(**values)


def config_from_dict(data: dict[str, Any]) -> RetrievalConfig:
    """Build and check a RetrievalConfig from parsed YAML (missing keys take the defaults)."""
    sections = {
        "lexical": LexicalConfig,
        "hybrid": HybridConfig,
        "classifier": ClassifierConfig,
        "training": TrainingConfig,
        "calibration": CalibrationConfig,
    }
    top = {k: v for k, v in data.items() if k not in sections}
    config = _section(RetrievalConfig, top, "top level")
    config = RetrievalConfig(
        answer_threshold=config.answer_threshold,
        suggest_threshold=config.suggest_threshold,
        suggest_count=config.suggest_count,
        answer_over_intent_threshold=config.answer_over_intent_threshold,
        out_of_scope_threshold=config.out_of_scope_threshold,
        **{name: _section(cls, data.get(name), name) for name, cls in sections.items()},
    )
    if not 0.0 <= config.suggest_threshold <= config.answer_threshold <= 1.0:
        raise RetrievalConfigError(
            "retrieval.yml: need 0 <= suggest_threshold <= answer_threshold <= 1"
        )
    if not config.answer_threshold <= config.answer_over_intent_threshold <= 1.0:
        raise RetrievalConfigError(
            "retrieval.yml: need answer_threshold <= answer_over_intent_threshold <= 1"
        )
    if not 0.0 < config.out_of_scope_threshold <= 1.0:
        raise RetrievalConfigError("retrieval.yml: out_of_scope_threshold must be in (0, 1]")
    if not 0.0 < config.calibration.holdout_fraction < 1.0:
        raise RetrievalConfigError("retrieval.yml: calibration.holdout_fraction must be in (0, 1)")
    return config


def load_config(path: Path = CONFIG_PATH) -> RetrievalConfig:
    """Read retrieval.yml (or another file with the same layout)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RetrievalConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RetrievalConfigError(f"{path}: expected a mapping at the top level")
    return config_from_dict(data)


def load_intent_out_of_scope(paths: Sequence[Path] | None = None) -> list[str]:
    """The Rasa training examples of `out_of_scope` (entity annotations removed), in file order.

    The article classifier's "none" class (ClassifierConfig.none_class). Kept apart from
    out_of_scope.yml, whose questions the calibration uses as negatives, so that the calibration
    is fitted on out-of-scope questions the classifier never saw: an example that is also one of
    those questions (compared folded) is left out.
    """
    calibration = {fold(t) for t in load_out_of_scope()}
    files = paths if paths is not None else sorted(NLU_ROOT.glob("*/out_of_scope.yml"))
    try:
        examples = [pair for path in files for pair in examples_from_yaml(path)]
    except (OSError, yaml.YAMLError) as exc:
        raise RetrievalConfigError(f"{exc}") from exc
    return [text for text, intent in examples
            if intent == "out_of_scope" and text and fold(text) not in calibration]


def load_out_of_scope(path: Path = OUT_OF_SCOPE_PATH) -> list[str]:
    """Questions no article answers, used as negatives when fitting the calibration.

    Without them, the calibration would only ever see in-scope questions and would be too
    confident on chit-chat or unrelated questions.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RetrievalConfigError(f"{path}: {exc}") from exc
    texts: list[str] = []
    for language in ("vi", "en"):
        texts.extend(str(t).strip() for t in (data.get(language) or []) if str(t).strip())
    return texts


def model_override() -> Path | None:
    """The pretrained model directory a deployer chose with HANHTRANG_RETRIEVER_MODEL, if any."""
    value = os.environ.get(MODEL_ENV, "").strip()
    return Path(value).expanduser() if value else None
