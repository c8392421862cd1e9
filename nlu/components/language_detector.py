"""Detect whether a message is Vietnamese (with or without diacritics) or English.

Adds an entity `language` (value "vi" or "en") when the signal is clear; when it is not (a code, a
number, "ok"), it adds nothing and the conversation keeps the language it had. Marker words live in
language_words.yml beside this file.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.language_rules import WORDS_FILE, detect_language, marker_words


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(GraphComponent):
    """Sets the `language` entity from diacritics and marker words."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"words_file": str(WORDS_FILE)}

    def __init__(self, config: dict[str, Any]) -> None:
        self.vi_words, self.en_words = marker_words(str(config["words_file"]))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls({**cls.get_default_config(), **config})

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text, self.vi_words, self.en_words)
            if language is None:
                continue
            entities = list(message.get(ENTITIES, []))
            entities.append(
                {
                    "entity": "language",
                    "value": language,
                    "start": 0,
                    "end": len(text),
                    "confidence": 1.0,
                    "extractor": "LanguageDetector",
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
