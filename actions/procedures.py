"""Answering procedure and life-event questions from the knowledge cards."""

from __future__ import annotations

from typing import Any, Literal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import answer_without_card, beaten_by_catalog, likeliest, point_to_foreign_variant
from actions.context import ASKED, entity, from_button, question_text, resolve_procedure
from actions.guides import offer_resume
from actions.responses import send
from knowledge import store
from knowledge.answers import answer_life_event, answer_procedure, ask_which, payload
from knowledge.schema import LifeEventCard, ProcedureCard
from nlu.abroad import says_foreigner
from nlu.text import normalize


class ActionAnswerProcedure(Action):
    """Short answer to the aspect asked, for the procedure asked or in context.

    An unsure match asks the citizen to choose; it never answers a card the
    matcher is not confident about.
    """

    def name(self) -> str:
        return "action_answer_procedure"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        aspect = entity(tracker, "aspect")
        reply, target = decide_reply(tracker)
        if reply == "life_event":
            return _answer_life_event(dispatcher, target)
        if reply == "without_card":
            answer_without_card(dispatcher, tracker)
            return [SlotSet("procedure", None)]
        if reply == "ask_which":
            self._ask_which(dispatcher, likeliest(tracker, aspect))
            return []
        if reply == "ask_procedure":
            _ask_for_procedure(dispatcher)
            return [SlotSet("procedure", None)]
        card = store.current_card("procedure", target)
        if not isinstance(card, ProcedureCard):
            dispatcher.utter_message(response="utter_missing_card")
            return [SlotSet("procedure", None)]
        send(dispatcher, answer_procedure(card, aspect))
        if self._newly_about_a_foreign_party(tracker, card.id):
            point_to_foreign_variant(dispatcher, card.name)
        life_event = entity(tracker, "life_event")
        if life_event and not from_button(tracker):
            _point_to_life_event(dispatcher, life_event, card.id)
        offer_resume(dispatcher, tracker)
        return [SlotSet("procedure", card.id)]

    @staticmethod
    def _newly_about_a_foreign_party(tracker: Tracker, card_id: str) -> bool:
        """Whether the citizen's question names a foreign party: a typed one, or
        the one a button answered when it brings a card up first (an aspect's
        button on the card in focus does not repeat the pointer)."""
        if from_button(tracker) and tracker.get_slot("procedure") == card_id:
            return False
        return says_foreigner(question_text(tracker))

    @staticmethod
    def _ask_which(dispatcher: CollectingDispatcher, options: list[tuple[str, str]]) -> None:
        if options:
            send(dispatcher, ask_which(options))
        else:
            _ask_for_procedure(dispatcher)


Reply = Literal["card", "life_event", "without_card", "ask_which", "ask_procedure"]


def decide_reply(tracker: Tracker) -> tuple[Reply, str]:
    """What ``action_answer_procedure`` replies to the latest message, and with
    which card or life event: the decision alone, so that what a citizen is
    answered can be measured (``tests/evaluation.py``) without answering."""
    life_event = entity(tracker, "life_event")
    named = entity(tracker, "procedure")
    procedure_id = resolve_procedure(tracker)
    if life_event and not named:
        return "life_event", life_event
    if life_event and procedure_id in (None, ASKED) and named in _procedures_of(_life_event_card(life_event)):
        # A procedure question that also fits a life event the card belongs
        # to: the NLU named the card as the best match of all (cards and
        # catalog), and the life event agrees, so answer it.
        procedure_id = named
    if not named and (entity(tracker, "catalog_code") or beaten_by_catalog(tracker)):
        return "without_card", ""
    if procedure_id == ASKED:
        return "ask_which", ""
    if procedure_id is None:
        return ("ask_procedure", "") if _names_nothing(tracker) else ("without_card", "")
    return "card", procedure_id


def _names_nothing(tracker: Tracker) -> bool:
    """A bare "hỏi thủ tục" (the menu button, or a few words): ask which
    procedure, rather than say nothing matched."""
    text = tracker.latest_message.get("text") or ""
    return text.startswith("/") or len(normalize(text).split()) <= 3


def _ask_for_procedure(dispatcher: CollectingDispatcher) -> None:
    """Which procedure? With the life events of the cards as buttons."""
    events = sorted((c for c in store.current_cards() if isinstance(c, LifeEventCard)), key=lambda c: c.name)
    buttons = [{"title": c.name, "payload": payload("life_event", life_event=c.id)} for c in events]
    dispatcher.utter_message(response="utter_ask_which_procedure", buttons=buttons)


def _point_to_life_event(dispatcher: CollectingDispatcher, life_event_id: str, card_id: str) -> None:
    """A procedure question that also names a life event ("bố em mới mất thì
    làm giấy tờ gì") is answered with the card; the life event's other
    procedures are one button away."""
    card = _life_event_card(life_event_id)
    procedures = _procedures_of(card)
    if card is None or card_id not in procedures or len(procedures) < 2:
        return
    button = {"title": "Xem các việc cần làm", "payload": payload("life_event", life_event=life_event_id)}
    dispatcher.utter_message(response="utter_life_event_pointer", name=card.name, buttons=[button])


def _life_event_card(life_event_id: str) -> LifeEventCard | None:
    card = store.current_card("life_event", life_event_id)
    return card if isinstance(card, LifeEventCard) else None


def _procedures_of(card: LifeEventCard | None) -> set[str]:
    """The procedure cards a life event lists as its steps."""
    return {step.procedure for step in card.steps} if card is not None else set()


def _answer_life_event(dispatcher: CollectingDispatcher, life_event_id: str) -> list[dict]:
    card = _life_event_card(life_event_id)
    if card is None:
        _ask_for_procedure(dispatcher)
        return []
    names = {c.id: c.name for c in store.current_cards() if isinstance(c, ProcedureCard)}
    send(dispatcher, answer_life_event(card, names))
    return [SlotSet("life_event", card.id)]


class ActionAnswerLifeEvent(Action):
    def name(self) -> str:
        return "action_answer_life_event"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        life_event = entity(tracker, "life_event")
        if not life_event and _names_nothing(tracker):
            _ask_for_procedure(dispatcher)
            return []
        if not life_event:  # words the matcher could not place: no card is guessed
            answer_without_card(dispatcher, tracker)
            return []
        events = _answer_life_event(dispatcher, life_event)
        offer_resume(dispatcher, tracker)
        return events
