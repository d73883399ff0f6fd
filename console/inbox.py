"""The staff inbox: conversations waiting for a person, taking one (the
assistant pauses), reading its whole history, replying on the citizen's own
channel, and handing it back with an outcome note (the assistant resumes).

Pages are server-rendered; ``/static/inbox.js`` reloads the list and the
conversation's messages every few seconds (polling: simple behind any
proxy, and a missed poll is made good by the next one). Taking is one
conditional ``UPDATE``: of two staff, one gets the conversation, the other
is told who has it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from actions.handoff import HAND_BACK_ACTION, STAFF_REPLY_ACTION
from channels.ids import channel_of
from console import audit
from console.auth import current_user, requires_role
from console.pages import NAV, render
from handoff import canned, rasa_api, store
from handoff.hours import office_schedule
from handoff.models import HandoffRequest
from knowledge import store as cards

logger = logging.getLogger(__name__)

NAV.append(("/inbox", "Hộp thư cán bộ", ("staff",)))
CHANNELS = {"web": "Web", "zalo_oa": "Zalo OA", "zalo_bot": "Zalo Bot", "telegram": "Telegram"}
REASONS = {
    "asked": "Công dân yêu cầu",
    "not_understood": "Trợ lý không hiểu 2 lần",
    "abstained": "Trợ lý chưa có thông tin",
    "low_rating": "Đánh giá thấp",
}
LAST_MESSAGES = 3
_CONVERSATION = re.compile(r"^[a-z_]{2,16}:[A-Za-z0-9_.~:-]{1,128}$")


@dataclass(frozen=True)
class Line:
    """One message of a conversation's history, as staff read it."""

    who: str  # citizen | assistant | staff
    text: str
    at: dt.datetime


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=3.0))


def history(events: list[dict[str, Any]]) -> list[Line]:
    """The messages of Rasa's events, oldest first (the tracker store has
    masked ID and phone numbers already)."""
    lines = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str) or not text.strip():
            continue
        who = "citizen" if kind == "user" else "staff" if rasa_api.staff_said(event) else "assistant"
        if who == "citizen" and text.startswith("/"):
            text = f"(bấm nút) {text}"  # a button's payload, not typed words
        stamp = event.get("timestamp")
        at = dt.datetime.fromtimestamp(stamp if isinstance(stamp, int | float) else 0, dt.timezone.utc)
        lines.append(Line(who, text, at))
    return lines


async def _history(client: httpx.AsyncClient, conversation: str) -> list[Line] | None:
    try:
        return history(await rasa_api.events(client, conversation))
    except rasa_api.RasaUnavailable as exc:
        logger.warning("Inbox: the conversation's history is unavailable (%s)", exc)
        return None


def _waited(request: HandoffRequest, now: dt.datetime) -> str:
    minutes = int(((request.taken_at or now) - request.created_at).total_seconds() // 60)
    return f"{minutes // 60} giờ {minutes % 60} phút" if minutes >= 60 else f"{minutes} phút"


def _procedure_name(procedure_id: str | None) -> str | None:
    card = cards.get_card("procedure", procedure_id) if procedure_id else None
    return card.name if card else procedure_id


def _row(request: HandoffRequest, lines: list[Line] | None, now: dt.datetime) -> dict[str, Any]:
    citizen = [line.text for line in lines or [] if line.who == "citizen" and not line.text.startswith("/")]
    return {
        "request": request,
        "channel": CHANNELS.get(request.channel, request.channel),
        "reason": REASONS.get(request.reason, request.reason),
        "waited": _waited(request, now),
        "procedure": _procedure_name(request.procedure_id),
        "phone": store.masked_phone(request.phone),
        "last": citizen[-LAST_MESSAGES:],
    }


async def _rows() -> list[dict[str, Any]]:
    now = store.utcnow()
    requests = store.open_requests()
    async with _client() as client:
        return [_row(r, await _history(client, r.conversation), now) for r in requests]


@requires_role("staff")
async def inbox(request: Request) -> Response:
    return render(request, "inbox.html", rows=await _rows(), me=_me(request))


@requires_role("staff")
async def inbox_list(request: Request) -> Response:
    """The list alone, which the page fetches every few seconds."""
    return render(request, "inbox_list.html", rows=await _rows(), me=_me(request))


def _me(request: Request) -> str:
    user = current_user(request)
    assert user is not None  # requires_role let the request through
    return user.username


def _conversation(request: Request) -> str | None:
    value = request.path_params["conversation"]
    return value if _CONVERSATION.match(value) and channel_of(value) else None


async def _page_context(request: Request, conversation: str) -> dict[str, Any] | None:
    subject = store.latest_for(conversation)
    if subject is None:
        return None
    async with _client() as client:
        lines = await _history(client, conversation)
    return {
        "subject": subject,
        "conversation": conversation,
        "channel": CHANNELS.get(subject.channel, subject.channel),
        "reason": REASONS.get(subject.reason, subject.reason),
        "procedure": _procedure_name(subject.procedure_id),
        "lines": lines,
        "me": _me(request),
        "canned": canned.all_replies(),
        "card_names": canned.procedure_names(),
        "error": request.query_params.get("error"),
        "zone": office_schedule().zone,
    }


@requires_role("staff")
async def conversation_page(request: Request) -> Response:
    conversation = _conversation(request)
    context = await _page_context(request, conversation) if conversation else None
    if context is None:
        message = "Không có yêu cầu gặp cán bộ nào của cuộc trò chuyện này."
        return render(request, "error.html", status_code=404, message=message)
    return render(request, "inbox_conversation.html", **context)


@requires_role("staff")
async def conversation_messages(request: Request) -> Response:
    """The history alone, which the conversation page fetches every few seconds."""
    conversation = _conversation(request)
    context = await _page_context(request, conversation) if conversation else None
    if context is None:
        return JSONResponse({"error": "no such handoff"}, status_code=404)
    return render(request, "inbox_messages.html", **context)


def _back(conversation: str, error: str | None = None) -> RedirectResponse:
    suffix = f"?error={error}" if error else ""
    return RedirectResponse(f"/inbox/{conversation}{suffix}", status_code=303)


async def _open_subject(request: Request) -> tuple[str, HandoffRequest] | Response:
    conversation = _conversation(request)
    subject = store.open_request_of(conversation) if conversation else None
    if conversation is None or subject is None:
        return render(request, "error.html", status_code=404, message="Yêu cầu này đã đóng hoặc không tồn tại.")
    return conversation, subject


@requires_role("staff")
async def take(request: Request) -> Response:
    found = await _open_subject(request)
    if isinstance(found, Response):
        return found
    conversation, subject = found
    me = _me(request)
    if not store.take(subject.id, me):
        return _back(conversation, "taken")  # someone else was first
    async with _client() as client:
        try:
            await rasa_api.pause(client, conversation)
        except rasa_api.RasaUnavailable as exc:
            logger.warning("Inbox: could not pause the assistant (%s)", exc)
            store.release(subject.id, me)
            return _back(conversation, "rasa")
    audit.record(None, me, "handoff.take", f"handoff:{subject.id}")
    return _back(conversation)


@requires_role("staff")
async def reply(request: Request) -> Response:
    found = await _open_subject(request)
    if isinstance(found, Response):
        return found
    conversation, subject = found
    text = str((await request.form()).get("text") or "").strip()
    if not text or len(text) > store.MAX_REPLY_CHARS:
        return _back(conversation, "length")
    if store.add_reply(subject.id, _me(request), text) is None:
        return _back(conversation, "not_yours")
    async with _client() as client:
        try:
            await rasa_api.run_action(client, conversation, STAFF_REPLY_ACTION)
        except rasa_api.RasaUnavailable as exc:
            logger.warning("Inbox: a staff reply is not sent yet (%s)", exc)
            return _back(conversation, "rasa")  # kept: the next reply sends it too
    return _back(conversation)


@requires_role("staff")
async def hand_back(request: Request) -> Response:
    found = await _open_subject(request)
    if isinstance(found, Response):
        return found
    conversation, subject = found
    outcome = str((await request.form()).get("outcome") or "").strip()
    if not outcome or len(outcome) > store.MAX_OUTCOME_CHARS:
        return _back(conversation, "outcome")
    me = _me(request)
    if subject.state == "waiting":
        closed = store.close_waiting(subject.id, me, outcome)  # answered another way (a call back)
    else:
        closed = store.close(subject.id, me, outcome)
    if not closed:
        return _back(conversation, "not_yours")
    audit.record(None, me, "handoff.close", f"handoff:{subject.id}")
    if subject.state == "taken":
        async with _client() as client:
            try:
                await rasa_api.resume(client, conversation)
                await rasa_api.run_action(client, conversation, HAND_BACK_ACTION)
            except rasa_api.RasaUnavailable as exc:
                logger.error("Inbox: the assistant was not resumed (%s)", exc)
                return _back(conversation, "rasa")
    return RedirectResponse("/inbox", status_code=303)


@requires_role("staff")
async def canned_page(request: Request) -> Response:
    return render(request, "inbox_canned.html", replies=canned.all_replies(), error=None)


@requires_role("staff")
async def canned_save(request: Request) -> Response:
    form = await request.form()
    raw_id = str(form.get("id") or "")
    try:
        canned.save(
            str(form.get("title") or ""),
            str(form.get("text") or ""),
            _me(request),
            int(raw_id) if raw_id.isdigit() else None,
        )
    except canned.CannedError as exc:
        return render(request, "inbox_canned.html", status_code=422, replies=canned.all_replies(), error=str(exc))
    audit.record(None, _me(request), "handoff.canned_save", f"canned:{raw_id or 'new'}")
    return RedirectResponse("/inbox/canned", status_code=303)


@requires_role("staff")
async def canned_delete(request: Request) -> Response:
    reply_id = request.path_params["reply_id"]
    canned.remove(reply_id)
    audit.record(None, _me(request), "handoff.canned_delete", f"canned:{reply_id}")
    return RedirectResponse("/inbox/canned", status_code=303)


@requires_role("staff")
async def card_answer(request: Request) -> Response:
    """A card's answer by name, for the reply box."""
    text = canned.card_answer(request.query_params.get("name", ""))
    if text is None:
        return JSONResponse({"error": "không tìm thấy đúng một thẻ thủ tục có tên này"}, status_code=404)
    return JSONResponse({"text": text})


routes = [
    Route("/inbox", inbox),
    Route("/inbox/list", inbox_list),
    Route("/inbox/canned", canned_page),
    Route("/inbox/canned", canned_save, methods=["POST"]),
    Route("/inbox/canned/{reply_id:int}/delete", canned_delete, methods=["POST"]),
    Route("/inbox/card-answer", card_answer),
    Route("/inbox/{conversation}", conversation_page),
    Route("/inbox/{conversation}/messages", conversation_messages),
    Route("/inbox/{conversation}/take", take, methods=["POST"]),
    Route("/inbox/{conversation}/reply", reply, methods=["POST"]),
    Route("/inbox/{conversation}/close", hand_back, methods=["POST"]),
]
