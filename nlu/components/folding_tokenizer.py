"""A whitespace tokenizer whose token lemmas are folded (lower case, no diacritics, đ→d).

Workers often type Vietnamese without diacritics. Featurizers read the lemma, so "phí dịch vụ" and
"phi dich vu" produce the same features, while token texts and offsets stay those of the original
message (entity extraction still sees the real text).
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from knowledge_base.text import fold


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class FoldingTokenizer(WhitespaceTokenizer):
    """WhitespaceTokenizer with folded lemmas."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text)
        return tokens
