"""Rasa entity extractor for dossier codes (mã hồ sơ)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.message import set_intent
from nlu.text import find_dossier_codes, is_only_dossier_codes

ENTITY = "dossier_code"
STATUS_INTENT = "check_status"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DossierCodeExtractor(GraphComponent):
    """Finds dossier codes anywhere in a message, in any case, with spaces.

    A message that is nothing but codes is a status request whatever the
    classifier thought: citizens paste the code from their receipt and send it.
    """

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DossierCodeExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._extract(message)
        return messages

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    def _extract(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        entities = [
            {
                "entity": ENTITY,
                "value": match.code,
                "start": match.start,
                "end": match.end,
                "confidence_entity": 1.0,
                "extractor": self.__class__.__name__,
            }
            for match in find_dossier_codes(text)
        ]
        if entities:
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        if is_only_dossier_codes(text):
            set_intent(message, STATUS_INTENT, 1.0)
