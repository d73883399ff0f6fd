"""``engine.action_validation``: the same checks as Rasa's, without rebuilding
the validator (and re-checking the schema) on every action call."""

from __future__ import annotations

import jsonschema
import pytest
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from engine import action_validation

GOOD = {"events": [{"event": "slot", "name": "requested", "value": None}], "responses": [{"text": "Dạ"}]}
BAD = {"events": [{"name": "requested"}], "responses": []}  # an event without its "event" key


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_dossier_status", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_a_valid_response_passes(action):
    assert action_validation.validate_action_result(action, GOOD)


def test_a_bad_response_is_refused_with_rasas_message(action):
    with pytest.raises(ValidationError) as ours:
        action_validation.validate_action_result(action, BAD)
    with pytest.raises(ValidationError) as rasas:
        action._validate_action_result(BAD)  # Rasa's own, before install()
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_the_schema_is_checked_once_not_on_every_call(action, monkeypatch):
    """``jsonschema.validate`` checks the schema on every call (what cost a
    third of the CPU); here it is checked when the validator is built, once."""
    action_validation.response_validator.cache_clear()
    checks = []
    cls = validator_for(RemoteAction.action_response_format_spec())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda _, schema: checks.append(schema)))
    for _ in range(5):
        action_validation.validate_action_result(action, GOOD)
    assert len(checks) == 1
    jsonschema.validate(GOOD, RemoteAction.action_response_format_spec(), cls=cls)
    assert len(checks) == 2  # the stock path checks again, each time
    action_validation.response_validator.cache_clear()


def test_install_replaces_the_method(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    action_validation.install()
    assert RemoteAction._validate_action_result is action_validation.validate_action_result
