"""Walkthroughs: creating a VNeID account and submitting a dossier online,
one step per message, the way a community volunteer would sit beside the
citizen. Progress is kept in the database, so the citizen can ask something
else, leave, or come back after the conversation went idle, and resume at
the same step by saying "tiếp tục".

Each action loads the citizen's position, applies one move of
``actions.walkthrough`` and says what the move returned. Fixed phrases are
``utter_guide_*`` responses in ``bot/domain/guides.yml``; steps come from the
guide files, checklists from the procedure's card.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.context import candidates_of, entity, resolve_procedure
from actions.handoff import offer_person
from actions.models import GuideProgress, Rating
from actions.responses import send
from actions.walkthrough import (
    Move,
    Phase,
    Position,
    advance,
    enter_trouble,
    finish_checklist,
    resume,
    tick,
    troubles_offered,
)
from database import session_scope
from knowledge import store
from knowledge.answers import Answer, Button, payload, short_title
from knowledge.guides import all_guides, guide_for_intent
from knowledge.schema import ProcedureCard
from knowledge.unanswered import LOW_RATING, last_question, record_unanswered

CHECKED = Button("Tôi đã xem xong", payload("guide_checked"))
COPY_TIP = (
    "Nếu chỉ có giấy tờ bản giấy, anh/chị chụp ảnh rõ nét bản chính, hoặc xin bản sao điện tử có chứng thực "
    "(chứng thực bản sao điện tử từ bản chính) tại Ủy ban nhân dân xã, phường."
)
# The actions that leave a step on the citizen's screen: "tiếp" right after one means "next".
STEP_ACTIONS = frozenset(
    {"action_guide_start", "action_guide_next", "action_guide_resume", "action_guide_checked", "action_guide_trouble"}
)


class CardGone(Exception):
    """The procedure a walkthrough is about was removed from the cards mid-way."""


def _card(procedure_id: str | None) -> ProcedureCard | None:
    card = store.current_card("procedure", procedure_id) if procedure_id else None
    return card if isinstance(card, ProcedureCard) else None


def _position(row: GuideProgress) -> Position | None:
    guide = all_guides().get(row.guide)
    if guide is None:
        return None
    return Position(guide, Phase(row.phase), row.step, row.trouble, row.trouble_step, row.procedure_id, list(row.have))


def _store(row: GuideProgress, position: Position) -> None:
    row.guide, row.phase, row.step = position.guide.id, position.phase.value, position.step
    row.trouble, row.trouble_step = position.trouble, position.trouble_step
    row.procedure_id, row.have = position.procedure_id, list(position.have)


@contextmanager
def _walkthrough(sender_id: str) -> Iterator[Position | None]:
    """The citizen's position, saved when the block ends (deleted when finished or stale)."""
    with session_scope() as session:
        row = session.get(GuideProgress, sender_id)
        position = _position(row) if row is not None else None
        if row is not None and position is None:
            session.delete(row)
        yield position
        if row is not None and position is not None:
            _store(row, position)


def _begin(sender_id: str, position: Position) -> None:
    with session_scope() as session:
        row = session.get(GuideProgress, sender_id) or GuideProgress(sender_id=sender_id)
        _store(row, position)
        session.add(row)


def _forget(sender_id: str) -> None:
    with session_scope() as session:
        row = session.get(GuideProgress, sender_id)
        if row is not None:
            session.delete(row)


def _fill(text: str, card: ProcedureCard | None) -> str:
    if card is None:
        return text.replace("{procedure_name}", "thủ tục cần làm").replace("{url}", "https://dichvucong.gov.vn")
    url = card.online.url or card.official_url or "https://dichvucong.gov.vn"
    return text.replace("{procedure_name}", card.name).replace("{url}", url)


def _needed_card(position: Position) -> ProcedureCard | None:
    """The card of a guide for one procedure; ``CardGone`` when it no longer exists."""
    if not position.guide.needs_procedure:
        return _card(position.procedure_id)
    card = _card(position.procedure_id)
    if card is None:
        raise CardGone(position.procedure_id)
    return card


def _checklist_answer(card: ProcedureCard, have: list[int]) -> Answer:
    if not card.documents:
        return Answer(
            "Thẻ thủ tục chưa có danh sách giấy tờ đã kiểm chứng. Anh/chị bấm tiếp để xem các bước.", [CHECKED]
        )
    lines = ["Anh/chị kiểm tra giấy tờ: bấm vào giấy tờ anh/chị đã có."]
    lines += [f"{'✓' if i in have else '☐'} {i + 1}. {d.name}" for i, d in enumerate(card.documents)]
    buttons = [
        Button(short_title(f"Có: {d.name}"), payload("guide_have", document=str(i)))
        for i, d in enumerate(card.documents)
        if i not in have
    ]
    return Answer("\n".join(lines), [*buttons, CHECKED])


def missing_documents_text(card: ProcedureCard, have: list[int]) -> str | None:
    """What the citizen still lacks, with how to get copies; None when nothing is missing."""
    missing = [d for i, d in enumerate(card.documents) if i not in have]
    if not missing:
        return None
    lines = ["Dạ, anh/chị còn thiếu:"]
    lines += [f"- {d.name}" + (f": {d.note}" if d.note else "") for d in missing]
    lines.append(COPY_TIP)
    return "\n".join(lines)


def _say(dispatcher: CollectingDispatcher, position: Position, move: Move) -> None:
    """Say what ``move`` left on the citizen's screen."""
    card = _needed_card(position)
    if move is Move.CHECKLIST and card is not None:
        send(dispatcher, _checklist_answer(card, position.have))
        return
    if move is Move.RATING:
        dispatcher.utter_message(response="utter_guide_ask_rating_again")
        return
    if move is Move.FINISHED:
        dispatcher.utter_message(text=_fill(position.guide.outro, card))
        if position.guide.follow_up:
            dispatcher.utter_message(text=_fill(position.guide.follow_up, card))
        dispatcher.utter_message(response="utter_guide_ask_rating")
        return
    if move is Move.BACK_TO_STEP:
        dispatcher.utter_message(response="utter_guide_back_to_step", step=position.step + 1)
    trouble = position.current_trouble
    if trouble is not None:
        where = f"{position.trouble_step + 1}/{len(trouble.steps)}"
        text = f"{trouble.title} ({where})\n{trouble.steps[position.trouble_step]}"
        dispatcher.utter_message(response="utter_guide_trouble_step", step=_fill(text, card))
        return
    steps = position.guide.steps
    text = f"Bước {position.step + 1}/{len(steps)}: {_fill(steps[position.step].text, card)}"
    dispatcher.utter_message(response="utter_guide_step", step=text)


def resume_offer(sender_id: str) -> tuple[str, dict[str, Any]] | None:
    """After another question in the middle of a walkthrough: the offer to go back to it."""
    with _walkthrough(sender_id) as position:
        if position is None or position.phase is Phase.RATING:
            return None
        if position.phase is Phase.CHECKLIST:
            return "utter_guide_offer_resume_checklist", {"title": position.guide.title}
        return "utter_guide_offer_resume_step", {"title": position.guide.title, "step": position.step + 1}


def offer_resume(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    offer = resume_offer(tracker.sender_id)
    if offer is not None:
        response, values = offer
        dispatcher.utter_message(response=response, **values)


class GuideAction(Action, abc.ABC):
    """Base of the actions that move a citizen within their walkthrough: each
    concrete one writes only ``move``; nothing in progress, or a procedure
    card removed mid-way, is answered here once."""

    @abc.abstractmethod
    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        """Change ``position``; what the citizen should see next."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        try:
            with _walkthrough(tracker.sender_id) as position:
                if position is None:
                    dispatcher.utter_message(response="utter_guide_nothing_in_progress")
                    return []
                move = self.move(position, tracker, dispatcher)
                _say(dispatcher, position, position.showing() if move is Move.NOT_NOW else move)
        except CardGone:
            _forget(tracker.sender_id)
            dispatcher.utter_message(response="utter_guide_card_gone")
        return []


class ActionGuideNext(GuideAction):
    def name(self) -> str:
        return "action_guide_next"

    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        return advance(position)


class ActionGuideHave(GuideAction):
    """The citizen ticks a document they have."""

    def name(self) -> str:
        return "action_guide_have"

    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        document = entity(tracker, "document") or ""
        card = _needed_card(position)
        count = len(card.documents) if card else 0
        return tick(position, int(document) if document.isdigit() else -1, count)


class ActionGuideChecked(GuideAction):
    """The checklist is done: say what is missing, then the portal steps."""

    def name(self) -> str:
        return "action_guide_checked"

    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        card = _needed_card(position)
        if position.phase is Phase.CHECKLIST and card is not None:
            missing = missing_documents_text(card, position.have)
            if missing is None:
                dispatcher.utter_message(response="utter_guide_all_documents")
            else:
                dispatcher.utter_message(text=missing)
        return finish_checklist(position)


class ActionGuideTrouble(GuideAction):
    """ "Tôi gặp khó khăn": choose the trouble, then its branch, then back."""

    def name(self) -> str:
        return "action_guide_trouble"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _walkthrough(tracker.sender_id) as position:
            known = position is not None and position.guide.trouble(entity(tracker, "trouble") or "") is not None
            if position is None or position.phase is not Phase.STEPS or known:
                return super().run(dispatcher, tracker, domain)
            offered = troubles_offered(position)
        buttons = [{"title": t.title, "payload": payload("guide_trouble", trouble=t.id)} for t in offered]
        dispatcher.utter_message(response="utter_guide_which_trouble", buttons=buttons)
        return []

    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        return enter_trouble(position, entity(tracker, "trouble"))


class ActionGuideResume(GuideAction):
    """ "Tiếp tục": back where the citizen left. Said right after a step was
    shown ("tiếp", "tiếp tục"), it means the next step."""

    def name(self) -> str:
        return "action_guide_resume"

    def move(self, position: Position, tracker: Tracker, dispatcher: CollectingDispatcher) -> Move:
        if position.phase is Phase.STEPS and _step_on_screen(tracker):
            return advance(position)
        return resume(position)


def _step_on_screen(tracker: Tracker) -> bool:
    """Whether the bot's last action before this message showed a walkthrough step."""
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    last = next((name for name in reversed(actions) if name != "action_listen"), None)
    return last in STEP_ACTIONS


class ActionGuideStop(Action):
    def name(self) -> str:
        return "action_guide_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _walkthrough(tracker.sender_id) as position:
            if position is None:
                dispatcher.utter_message(response="utter_guide_nothing_in_progress")
                return []
            step = position.step + 1
        dispatcher.utter_message(response="utter_guide_stopped", step=step)
        return []


class ActionGuideStart(Action):
    """The guide whose ``intent`` (in its file) the citizen expressed."""

    def name(self) -> str:
        return "action_guide_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        guide = guide_for_intent((tracker.latest_message.get("intent") or {}).get("name"))
        if guide is None:
            dispatcher.utter_message(response="utter_guide_nothing_in_progress")
            return []
        if not guide.needs_procedure:
            position = Position.start(guide)
            _begin(tracker.sender_id, position)
            dispatcher.utter_message(text=guide.intro)
            _say(dispatcher, position, Move.STEP)
            return []
        card = _card(resolve_procedure(tracker))
        if card is None:
            candidates = [c for c in (_card(c["id"]) for c in candidates_of(tracker)[:3]) if c]
            buttons = [
                {"title": short_title(c.name), "payload": payload(guide.intent, procedure=c.id)} for c in candidates
            ]
            dispatcher.utter_message(response="utter_guide_which_procedure", buttons=buttons)
            return []
        if card.online.level == "khong":
            buttons = [
                {"title": "Giấy tờ cần có", "payload": payload("ask_procedure", procedure=card.id, aspect="documents")}
            ]
            dispatcher.utter_message(
                response="utter_guide_not_online",
                procedure_name=card.name,
                where=card.where or card.agency,
                buttons=buttons,
            )
            return []
        position = Position.start(guide, card.id)
        _begin(tracker.sender_id, position)
        dispatcher.utter_message(
            response=f"utter_guide_online_{card.online.level.replace('-', '_')}", procedure_name=card.name
        )
        _say(dispatcher, position, Move.CHECKLIST)
        return []


class ActionRate(Action):
    """Stores a 1-5 rating of the help, with the procedure and the channel."""

    def name(self) -> str:
        return "action_rate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        """Only a walkthrough that reached its rating step is rated, once: a
        rating button replayed or typed at any other time counts for nothing."""
        score = entity(tracker, "score")
        with session_scope() as session:
            progress = session.get(GuideProgress, tracker.sender_id)
            if progress is None or progress.phase != Phase.RATING.value:
                dispatcher.utter_message(response="utter_rating_not_expected")
                return []
            if score not in {"1", "2", "3", "4", "5"}:
                dispatcher.utter_message(response="utter_guide_ask_rating_again")
                return []
            channel = tracker.get_latest_input_channel() or "unknown"
            session.add(
                Rating(guide=progress.guide, procedure_id=progress.procedure_id, channel=channel, score=int(score))
            )
            session.delete(progress)
        if int(score) <= LOW_RATING:
            record_unanswered(last_question(tracker.events) or "", channel, "low_rating", progress.procedure_id)
        dispatcher.utter_message(response="utter_thanks_for_rating")
        if int(score) <= LOW_RATING:  # the help did not help: a person follows up
            offer_person(dispatcher, tracker, "low_rating")
        return []
