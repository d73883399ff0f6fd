"""Rasa tokenizer for Vietnamese, on underthesea (see ``nlu.segment``)."""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.segment import segment


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Words joined as underthesea segments them ("Hà Nội" is one token).

    ``Token.text`` is the exact substring of the message (offsets round-trip);
    ``Token.lemma`` is the folded, abbreviation-expanded form ("ha_noi",
    "dk" -> "dang_ky") that CountVectorsFeaturizer reads with ``use_lemma``.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(w.text, w.start, lemma=w.lemma, end=w.end) for w in segment(text)]
        if not tokens and text:
            # Only punctuation or emoji: keep one token, as Rasa's tokenizers do.
            tokens = [Token(text, 0, lemma=text)]
        return self._apply_token_pattern(tokens)
