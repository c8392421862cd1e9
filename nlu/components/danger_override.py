"""After intent classification: a message that may show danger is treated as an emergency.

Two signals, either is enough: a danger phrase (danger_rules.py, danger_phrases.yml), or the
classifier giving `emergency` a probability of at least `min_probability` even when another intent
is on top. The classifier's top intent alone missed about 1 emergency in 10. The value in
config.yml is chosen by 5-fold cross-validation of the whole pipeline on our training data
(`python -m bench.intent_cv`, bench/results/intent_cv.md): the highest value whose emergency recall
keeps a margin over the 0.98 target (CV varies by about ±0.005 with the folds). With the final
session-3 data (7,973 examples) and TF-IDF per featurizer: 0.1 gives recall 0.982 at precision
0.75, too close to the target; 0.07 gives 0.986 at 0.70 (0.05: 0.986 / 0.66; 0.15: 0.975 / 0.79).
A false alarm costs a hotline call, a missed emergency far more. Session 4 added emergency examples
in the shapes that were missed (danger inside a "thôi / không / hủy / cancel" reply, told as a
story, told by a relative) and near-emergency contrast examples (nlu/*/near_emergency.yml). With
the final session-4 data (10,011 examples; bench/results/intent_cv.md) 0.07 gives 0.993 at
precision 0.74 (0.1: 0.989 / 0.78; 0.05: 0.995 / 0.71). 0.07 is kept: CV overestimates the
held-out recall (0.983 on tests/data/eval with the same data, bench/results/eval.md).

Why no dedicated emergency-vs-rest model: bench/emergency_study.py compared, on the same folds
and the same sparse features, binary class-weighted linear SVMs and logistic regression (alone or
OR-ed with this probability), rules on the emergency margin and rank, and the probability read at
other temperatures. None caught more emergencies at precision 0.70, 0.75 or 0.80 than this
probability (a binary model alone lost 0.01-0.03 recall; OR-ed with it, at most +0.003 with a
second tuned threshold): the softmax already weighs how strongly the other intents claim a message
(bench/results/emergency_study.md).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.danger_rules import (
    PHRASE_SIGNAL,
    PHRASES_FILE,
    PROBABILITY_SIGNAL,
    SIGNAL_KEY,
    TOP_SIGNAL,
    danger_pattern,
    over_pattern,
    shows_danger,
)

EMERGENCY = "emergency"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class DangerOverride(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"phrases_file": str(PHRASES_FILE), "confidence": 0.95, "min_probability": 0.1}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.pattern = danger_pattern(str(config["phrases_file"]))
        self.over = over_pattern(str(config["phrases_file"]))
        self.confidence = float(config["confidence"])
        self.min_probability = float(config["min_probability"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "DangerOverride":
        return cls({**cls.get_default_config(), **config})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            # A sure emergency is left as it is. One the classifier put on top by a narrow margin
            # is raised like the others: left at 0.51 beside a question at 0.47, the
            # FallbackClassifier's ambiguity margin (0.05) turned it into nlu_fallback (session 6).
            if intent.get(INTENT_NAME_KEY) == EMERGENCY and \
                    intent.get("confidence", 0) >= self.confidence:
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            probability = next((r.get("confidence", 0.0) for r in ranking
                                if r.get(INTENT_NAME_KEY) == EMERGENCY), 0.0)
            phrase = shows_danger(message.get(TEXT) or "", self.pattern, self.over)
            if probability < self.min_probability and not phrase:
                continue
            top = {INTENT_NAME_KEY: EMERGENCY, "confidence": self.confidence,
                   SIGNAL_KEY: _signal(phrase, intent.get(INTENT_NAME_KEY) == EMERGENCY)}
            ranking = _rest_of_ranking(ranking, 1.0 - self.confidence)
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
        return messages


def _signal(phrase: bool, classifier_top: bool) -> str:
    """Which signal made the message an emergency; a phrase is the strongest."""
    if phrase:
        return PHRASE_SIGNAL
    return TOP_SIGNAL if classifier_top else PROBABILITY_SIGNAL


def _rest_of_ranking(ranking: List[Dict[Text, Any]], share: float) -> List[Dict[Text, Any]]:
    """The other intents, their confidences scaled to sum to `share` (what emergency leaves).

    Without this a danger message the classifier was sure was a question ("… bị giam không cho
    liên lạc, gia đình phải làm gì": ask_question 0.93) kept that 0.93 next to the emergency's
    0.95, and the FallbackClassifier (ambiguity threshold 0.05) turned the pair into nlu_fallback:
    no emergency contacts.
    """
    others = [r for r in ranking if r.get(INTENT_NAME_KEY) != EMERGENCY]
    total = sum(float(r.get("confidence") or 0.0) for r in others)
    scale = share / total if total > 0 else 0.0
    return [{**r, "confidence": float(r.get("confidence") or 0.0) * scale} for r in others]
