"""``make parse``: one message per line on stdin, one JSON object per line on
stdout. The project's measuring interface: keep the output stable.

    {"text", "intent": {"name", "confidence"},
     "entities": {"procedure", "life_event", "dossier_code", "aspect"},
     "procedure_candidates": [{"id", "score"}, ...],
     "catalog_candidates": [{"code", "name", "score"}, ...],  (a card's own code counts, with "card")
     "everyday_matter": {"id", "score"} or null}  (a private matter, not a procedure: nothing else is offered)

Everything else (Rasa's and TensorFlow's logs) goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from typing import Any

ENTITY_NAMES = ("procedure", "life_event", "dossier_code", "aspect")


def to_contract(text: str, result: dict[str, Any]) -> dict[str, Any]:
    intent = result.get("intent") or {}
    entities: dict[str, Any] = {name: None for name in ENTITY_NAMES}
    codes: list[str] = []
    for entity in result.get("entities", []):
        name = entity.get("entity")
        if name == "dossier_code":
            codes.append(entity["value"])
        if name in entities and entities[name] is None:
            entities[name] = entity.get("value")
    return {
        "text": text,
        "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
        "entities": entities,
        "dossier_codes": codes,
        "procedure_candidates": result.get("procedure_candidates") or [],
        "life_event_candidates": result.get("life_event_candidates") or [],
        "catalog_candidates": result.get("catalog_candidates") or [],
        "everyday_matter": result.get("everyday_matter"),
    }


async def _parse_lines(model: str) -> None:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs message text at debug level

    with contextlib.redirect_stdout(sys.stderr):
        agent = Agent.load(model)
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        with contextlib.redirect_stdout(sys.stderr):
            result = await agent.parse_message(text)
        sys.stdout.write(json.dumps(to_contract(text, result), ensure_ascii=False) + "\n")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="path to a trained model (.tar.gz)")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    asyncio.run(_parse_lines(args.model))


if __name__ == "__main__":
    main()
