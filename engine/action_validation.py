"""Action-server responses validated by a validator built once.

Rasa 3.6.21's ``RemoteAction._validate_action_result`` calls
``jsonschema.validate(result, schema)`` on every custom action call, and
``jsonschema.validate`` checks the schema itself and builds a new validator
each time: a third of a Rasa server's CPU under load (profiled for issue #13).
The schema never changes, so this builds its validator once and validates
each response with it: the same schema, the same ``ValidationError`` with the
same message. Installed by ``engine.serve``. Checked against Rasa 3.6.21.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(_: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result``, with the validator built once."""
    try:
        response_validator().validate(result)
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise
    return True


def install() -> None:
    """Replace Rasa's per-call validation in this process."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
