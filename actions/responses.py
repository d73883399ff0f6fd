"""Sending channel-neutral answers through rasa-sdk's dispatcher."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from knowledge.answers import Answer


def send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    dispatcher.utter_message(
        text=answer.text,
        buttons=[{"title": b.title, "payload": b.payload} for b in answer.buttons],
    )
