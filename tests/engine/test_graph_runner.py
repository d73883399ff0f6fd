"""engine.graph_runner: the trained model, loaded with Rasa's dask runner and with
ours, understands and predicts the same for every message; a clash between an
input and a node name is still refused."""

from __future__ import annotations

import asyncio
from pathlib import Path
from unittest import mock

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from engine.graph_runner import SequentialGraphRunner

MODEL = Path("models/current.tar.gz")
MESSAGES = [
    "xin chào",
    "làm giấy khai sinh cho con cần những gì",
    "dk ks cho con o dau",
    "hc het han lam lai mat bao lau",
    "hồ sơ H29.22-240903-0007 của tôi đến đâu rồi",
    "Thẻ ABTC cấp cho doanh nhân có thời hạn bao lâu?",
    "kết quả trận bóng tối qua thế nào",
    "cảm ơn em",
]

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="make test trains the model first")


def _agent(runner: type[DaskGraphRunner]) -> Agent:
    with mock.patch.object(rasa.core.processor, "DaskGraphRunner", runner):
        return Agent.load(str(MODEL))


@pytest.fixture(scope="module")
def agents() -> tuple[Agent, Agent]:
    return _agent(DaskGraphRunner), _agent(SequentialGraphRunner)


async def _understand_and_predict(agent: Agent, text: str) -> tuple[dict, dict]:
    parsed = await agent.parse_message(text)
    tracker = DialogueStateTracker.from_events(
        "web:1", [ActionExecuted("action_listen"), UserUttered(text, parsed["intent"], parsed["entities"], parsed)],
        slots=agent.domain.slots,
    )  # fmt: skip
    prediction = agent.processor._predict_next_with_tracker(tracker)
    return parsed, {"policy": prediction.policy_name, "scores": prediction.probabilities}


def test_our_runner_is_the_one_the_processor_loads(agents):
    rasas, ours = agents
    assert type(rasas.processor.graph_runner) is DaskGraphRunner
    assert type(ours.processor.graph_runner) is SequentialGraphRunner


@pytest.mark.parametrize("text", MESSAGES)
def test_the_same_understanding_and_prediction_as_rasas_runner(agents, text):
    rasas, ours = agents
    expected = asyncio.run(_understand_and_predict(rasas, text))
    assert asyncio.run(_understand_and_predict(ours, text)) == expected


def test_an_input_named_like_a_node_is_refused(agents):
    runner = agents[1].processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        runner.run(inputs={node: "x"})
