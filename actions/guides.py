"""Walkthroughs: creating a VNeID account and submitting a dossier online,
one step per message, the way a community volunteer would sit beside the
citizen. Progress is kept in the database, so the citizen can ask something
else, leave, or come back after the conversation went idle, and resume at
the same step by saying "tiếp tục"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.context import candidates_of, entity, resolve_procedure
from actions.models import GuideProgress, Rating
from actions.responses import send
from database import session_scope
from knowledge import store
from knowledge.answers import Answer, Button, payload, short_title
from knowledge.guides import Guide, all_guides
from knowledge.schema import ProcedureCard

NEXT = Button("Xong, bước tiếp theo", payload("guide_next"))
TROUBLE = Button("Tôi gặp khó khăn", payload("guide_trouble"))
STOP = Button("Dừng lại", payload("guide_stop"))
BACK = Button("Quay lại bước chính", payload("guide_resume"))
CHECKED = Button("Tôi đã xem xong", payload("guide_checked"))
RATING_BUTTONS = [Button(f"{n} ★", payload("rate", score=str(n))) for n in range(1, 6)]
ONLINE_LEVELS = {
    "toan-trinh": "Thủ tục này làm được hoàn toàn trực tuyến: anh/chị không phải đến nộp giấy tờ.",
    "mot-phan": (
        "Thủ tục này nộp trực tuyến được một phần: anh/chị nộp hồ sơ qua mạng, "
        "sau đó vẫn phải đến cơ quan để hoàn tất hoặc nhận kết quả."
    ),
}
COPY_TIP = (
    "Nếu chỉ có giấy tờ bản giấy, anh/chị chụp ảnh rõ nét bản chính, hoặc xin bản sao điện tử có chứng thực "
    "(chứng thực bản sao điện tử từ bản chính) tại Ủy ban nhân dân xã, phường."
)


@contextmanager
def _progress(sender_id: str) -> Iterator[GuideProgress | None]:
    with session_scope() as session:
        yield session.get(GuideProgress, sender_id)


def _start(sender_id: str, guide: str, phase: str, procedure_id: str | None = None) -> None:
    with session_scope() as session:
        row = session.get(GuideProgress, sender_id)
        if row is None:
            row = GuideProgress(sender_id=sender_id, guide=guide, phase=phase)
            session.add(row)
        row.guide, row.phase, row.step, row.trouble, row.trouble_step = guide, phase, 0, None, 0
        row.procedure_id, row.have = procedure_id, []


def _card(procedure_id: str | None) -> ProcedureCard | None:
    card = store.get_card("procedure", procedure_id) if procedure_id else None
    return card if isinstance(card, ProcedureCard) else None


def _fill(text: str, card: ProcedureCard | None) -> str:
    if card is None:
        return text.replace("{procedure_name}", "thủ tục cần làm").replace("{url}", "https://dichvucong.gov.vn")
    url = card.online.url or card.official_url or "https://dichvucong.gov.vn"
    return text.replace("{procedure_name}", card.name).replace("{url}", url)


def step_answer(progress: GuideProgress) -> Answer:
    """The message for where the citizen is now: a main step or a trouble step."""
    guide = all_guides()[progress.guide]
    card = _card(progress.procedure_id)
    trouble = guide.trouble(progress.trouble) if progress.trouble else None
    if trouble is not None:
        position = f"{progress.trouble_step + 1}/{len(trouble.steps)}"
        text = f"{trouble.title} ({position})\n{trouble.steps[progress.trouble_step]}"
        return Answer(_fill(text, card), [NEXT, BACK, STOP])
    step = guide.steps[progress.step]
    text = f"Bước {progress.step + 1}/{len(guide.steps)}: {_fill(step.text, card)}"
    return Answer(text, [NEXT, TROUBLE, STOP])


def resume_offer(sender_id: str) -> Answer | None:
    """After another question in the middle of a walkthrough: offer to go back to it."""
    with _progress(sender_id) as progress:
        if progress is None or progress.phase == "rating":
            return None
        title = all_guides()[progress.guide].title
        where = f"ở bước {progress.step + 1}" if progress.phase == "steps" else "ở phần kiểm tra giấy tờ"
    text = f'Anh/chị muốn tiếp tục hướng dẫn "{title}" {where} không ạ?'
    return Answer(text, [Button("Tiếp tục hướng dẫn", payload("guide_resume")), STOP])


def offer_resume(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    offer = resume_offer(tracker.sender_id)
    if offer is not None:
        send(dispatcher, offer)


class ActionGuideStart(Action):
    """``create_account`` starts the account guide; ``submit_online`` the submission guide."""

    def name(self) -> str:
        return "action_guide_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "submit_online":
            return _start_submission(dispatcher, tracker)
        guide = all_guides()["account"]
        _start(tracker.sender_id, guide.id, "steps")
        dispatcher.utter_message(text=guide.intro)
        with _progress(tracker.sender_id) as progress:
            send(dispatcher, step_answer(progress))
        return []


def _start_submission(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
    procedure_id = resolve_procedure(tracker)
    card = _card(procedure_id)
    if card is None:
        candidates = [c for c in (_card(c["id"]) for c in candidates_of(tracker)[:3]) if c]
        buttons = [Button(short_title(c.name), payload("submit_online", procedure=c.id)) for c in candidates]
        text = (
            "Dạ, anh/chị muốn nộp trực tuyến thủ tục nào ạ? Anh/chị chọn dưới đây hoặc gõ tên thủ tục, "
            'ví dụ: "nộp khai sinh online".'
        )
        send(dispatcher, Answer(text, buttons))
        return []
    if card.online.level == "khong":
        where = card.where or card.agency
        text = f'Dạ, thủ tục "{card.name}" hiện chưa nộp trực tuyến được. Anh/chị nộp trực tiếp tại: {where}.'
        buttons = [Button("Giấy tờ cần có", payload("ask_procedure", procedure=card.id, aspect="documents"))]
        send(dispatcher, Answer(text, [*buttons, Button("Gặp cán bộ", payload("handoff"))]))
        return []
    _start(tracker.sender_id, "submit", "checklist", card.id)
    dispatcher.utter_message(text=f'Dạ, em hướng dẫn anh/chị nộp "{card.name}". {ONLINE_LEVELS[card.online.level]}')
    send(dispatcher, _checklist_answer(card, []))
    return []


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


def missing_documents_text(card: ProcedureCard, have: list[int]) -> str:
    missing = [d for i, d in enumerate(card.documents) if i not in have]
    if not missing:
        return "Dạ, anh/chị đã có đủ giấy tờ. Mình sang các bước nộp trên Cổng nhé."
    lines = ["Dạ, anh/chị còn thiếu:"]
    lines += [f"- {d.name}" + (f": {d.note}" if d.note else "") for d in missing]
    lines.append(COPY_TIP)
    return "\n".join(lines)


class ActionGuideHave(Action):
    """The citizen ticks a document they have."""

    def name(self) -> str:
        return "action_guide_have"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        document = entity(tracker, "document")
        with _progress(tracker.sender_id) as progress:
            if progress is None or progress.phase != "checklist":
                return _nothing_to_resume(dispatcher)
            card = _card(progress.procedure_id)
            if document is not None and document.isdigit() and int(document) < len(card.documents):
                progress.have = sorted({*progress.have, int(document)})
            answer = _checklist_answer(card, list(progress.have))
        send(dispatcher, answer)
        return []


class ActionGuideChecked(Action):
    """The checklist is done: say what is missing, then the portal steps."""

    def name(self) -> str:
        return "action_guide_checked"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _progress(tracker.sender_id) as progress:
            if progress is None or progress.phase != "checklist":
                return _nothing_to_resume(dispatcher)
            card = _card(progress.procedure_id)
            dispatcher.utter_message(text=missing_documents_text(card, list(progress.have)))
            progress.phase, progress.step = "steps", 0
            send(dispatcher, step_answer(progress))
        return []


class ActionGuideNext(Action):
    def name(self) -> str:
        return "action_guide_next"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _progress(tracker.sender_id) as progress:
            if progress is None or progress.phase != "steps":
                return _nothing_to_resume(dispatcher) if progress is None else _resend(dispatcher, progress)
            guide = all_guides()[progress.guide]
            if progress.trouble:
                _advance_trouble(dispatcher, guide, progress)
            elif progress.step + 1 < len(guide.steps):
                progress.step += 1
            else:
                progress.phase = "rating"
                _finish(dispatcher, guide, progress)
                return []
            send(dispatcher, step_answer(progress))
        return []


def _advance_trouble(dispatcher: CollectingDispatcher, guide: Guide, progress: GuideProgress) -> None:
    trouble = guide.trouble(progress.trouble)
    if trouble is not None and progress.trouble_step + 1 < len(trouble.steps):
        progress.trouble_step += 1
        return
    progress.trouble, progress.trouble_step = None, 0
    dispatcher.utter_message(text=f"Dạ, mình quay lại bước {progress.step + 1} nhé.")


def _finish(dispatcher: CollectingDispatcher, guide: Guide, progress: GuideProgress) -> None:
    dispatcher.utter_message(text=_fill(guide.outro, _card(progress.procedure_id)))
    if progress.guide == "submit":
        dispatcher.utter_message(
            text="Khi có mã hồ sơ, anh/chị gửi mã cho em: em sẽ tra cứu và báo cho anh/chị khi hồ sơ thay đổi."
        )
    send(dispatcher, Answer("Anh/chị chấm giúp em mức độ hữu ích của hướng dẫn này (1 đến 5 sao) ạ.", RATING_BUTTONS))


class ActionGuideTrouble(Action):
    """ "Tôi gặp khó khăn": choose the trouble, then its branch, then back."""

    def name(self) -> str:
        return "action_guide_trouble"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        trouble_id = entity(tracker, "trouble")
        with _progress(tracker.sender_id) as progress:
            if progress is None or progress.phase != "steps":
                return _nothing_to_resume(dispatcher)
            guide = all_guides()[progress.guide]
            if trouble_id and guide.trouble(trouble_id):
                progress.trouble, progress.trouble_step = trouble_id, 0
                send(dispatcher, step_answer(progress))
                return []
            offered = guide.steps[progress.step].troubles or [t.id for t in guide.troubles]
        buttons = [Button(guide.trouble(t).title, payload("guide_trouble", trouble=t)) for t in offered]
        send(dispatcher, Answer("Dạ, anh/chị đang gặp khó khăn nào ạ?", [*buttons, BACK]))
        return []


class ActionGuideResume(Action):
    def name(self) -> str:
        return "action_guide_resume"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _progress(tracker.sender_id) as progress:
            if progress is None or progress.phase == "rating":
                return _nothing_to_resume(dispatcher)
            progress.trouble, progress.trouble_step = None, 0
            return _resend(dispatcher, progress)


def _resend(dispatcher: CollectingDispatcher, progress: GuideProgress) -> list[dict]:
    if progress.phase == "checklist":
        send(dispatcher, _checklist_answer(_card(progress.procedure_id), list(progress.have)))
    elif progress.phase == "steps":
        send(dispatcher, step_answer(progress))
    else:
        send(dispatcher, Answer("Anh/chị chấm giúp em hướng dẫn vừa rồi (1 đến 5 sao) ạ.", RATING_BUTTONS))
    return []


def _nothing_to_resume(dispatcher: CollectingDispatcher) -> list[dict]:
    send(
        dispatcher,
        Answer(
            "Dạ, anh/chị chưa có hướng dẫn nào đang làm dở. Anh/chị muốn em hướng dẫn việc gì ạ?",
            [
                Button("Tạo tài khoản", payload("create_account")),
                Button("Nộp hồ sơ trực tuyến", payload("submit_online")),
            ],
        ),
    )
    return []


class ActionGuideStop(Action):
    def name(self) -> str:
        return "action_guide_stop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with _progress(tracker.sender_id) as progress:
            if progress is None:
                return _nothing_to_resume(dispatcher)
            step = progress.step + 1
        dispatcher.utter_message(
            text=f'Dạ, em dừng ở bước {step}. Khi nào sẵn sàng, anh/chị nhắn "tiếp tục" để làm tiếp từ bước này ạ.'
        )
        return []


class ActionRate(Action):
    """Stores a 1-5 rating of the help, with the procedure and the channel."""

    def name(self) -> str:
        return "action_rate"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        score = entity(tracker, "score")
        if score not in {"1", "2", "3", "4", "5"}:
            send(dispatcher, Answer("Dạ, anh/chị chọn từ 1 đến 5 sao giúp em ạ.", RATING_BUTTONS))
            return []
        with session_scope() as session:
            progress = session.get(GuideProgress, tracker.sender_id)
            guide, procedure = (progress.guide, progress.procedure_id) if progress else ("other", None)
            channel = tracker.get_latest_input_channel() or "unknown"
            session.add(Rating(guide=guide, procedure_id=procedure, channel=channel, score=int(score)))
            if progress is not None:
                session.delete(progress)
        dispatcher.utter_message(text="Dạ, em cảm ơn anh/chị đã đánh giá! Anh/chị cần gì cứ nhắn em nhé.")
        return []


def ratings_summary() -> list[tuple[str, str | None, str, int, float]]:
    """(guide, procedure, channel, count, average) for the console and reports."""
    with session_scope() as session:
        rows = session.execute(
            select(Rating.guide, Rating.procedure_id, Rating.channel, func.count(), func.avg(Rating.score))
            .group_by(Rating.guide, Rating.procedure_id, Rating.channel)
            .order_by(Rating.guide, Rating.procedure_id, Rating.channel)
        ).all()
    return [(g, p, c, n, round(float(a), 2)) for g, p, c, n, a in rows]
