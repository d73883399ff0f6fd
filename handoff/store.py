"""Handoff requests and staff replies in the app database.

Every change of state is one conditional ``UPDATE`` (``database.updated_rows``):
two staff taking the same conversation, or a reply claimed twice, change
one row once, whatever the number of console processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update

from channels.ids import channel_of
from database import insert_if_missing, session_scope, updated_rows
from handoff.models import HandoffRequest, StaffMessage
from nlu.text import mask_personal_numbers

OPEN_STATES = ("waiting", "taken")
MAX_REPLY_CHARS = 2000  # Zalo's limit for one message
MAX_OUTCOME_CHARS = 500


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def open_request(
    conversation: str,
    reason: str,
    outside_hours: bool,
    procedure_id: str | None = None,
    dossier_code: str | None = None,
) -> tuple[HandoffRequest, bool]:
    """The conversation's open request, opened now unless one is open already
    (then it is returned as it is, and ``False`` says so)."""
    with session_scope() as session:
        before = session.scalar(select(HandoffRequest.id).where(_open(conversation)))
        if before is None:
            insert_if_missing(
                session,
                HandoffRequest,
                conversation=conversation,
                channel=channel_of(conversation) or "unknown",
                reason=reason,
                state="waiting",
                outside_hours=outside_hours,
                procedure_id=procedure_id,
                dossier_code=dossier_code,
                created_at=utcnow(),
            )
        request = session.scalars(select(HandoffRequest).where(_open(conversation))).one()
    return request, before is None


def _open(conversation: str):  # type: ignore[no-untyped-def]
    return (HandoffRequest.conversation == conversation) & HandoffRequest.state.in_(OPEN_STATES)


def open_request_of(conversation: str) -> HandoffRequest | None:
    with session_scope() as session:
        return session.scalars(select(HandoffRequest).where(_open(conversation))).first()


def is_taken(conversation: str) -> bool:
    """Whether a person is answering this conversation (the assistant is paused)."""
    with session_scope() as session:
        found = session.scalar(
            select(HandoffRequest.id).where(
                HandoffRequest.conversation == conversation, HandoffRequest.state == "taken"
            )
        )
    return found is not None


def leave_phone(conversation: str, phone: str) -> bool:
    """Keep the phone number the citizen left on their open request."""
    with session_scope() as session:
        return updated_rows(session, update(HandoffRequest).where(_open(conversation)).values(phone=phone)) == 1


def find_phone(text: str) -> str | None:
    """The phone number in a message, digits only: the digits the project's
    one masking rule (``nlu.text``) would hide, when they make a phone number."""
    masked = mask_personal_numbers(text)
    digits = "".join(c for c, m in zip(text, masked, strict=True) if c != m and c.isdigit())
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return digits if digits.startswith("0") and len(digits) in (10, 11) else None


def masked_phone(phone: str | None) -> str:
    """How a phone number shows in lists: its first two and last two digits."""
    if not phone:
        return ""
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def take(request_id: int, staff: str) -> bool:
    """Take a waiting request; False when someone else took it first."""
    with session_scope() as session:
        return (
            updated_rows(
                session,
                update(HandoffRequest)
                .where(HandoffRequest.id == request_id, HandoffRequest.state == "waiting")
                .values(state="taken", taken_by=staff, taken_at=utcnow()),
            )
            == 1
        )


def close(request_id: int, staff: str, outcome: str) -> bool:
    """Hand back a request its taker holds, with the outcome note."""
    with session_scope() as session:
        return (
            updated_rows(
                session,
                update(HandoffRequest)
                .where(
                    HandoffRequest.id == request_id,
                    HandoffRequest.state == "taken",
                    HandoffRequest.taken_by == staff,
                )
                .values(state="closed", closed_at=utcnow(), closed_by=staff, outcome=outcome),
            )
            == 1
        )


def close_waiting(request_id: int, staff: str, outcome: str) -> bool:
    """Close a request nobody took (the citizen was called back, say)."""
    with session_scope() as session:
        return (
            updated_rows(
                session,
                update(HandoffRequest)
                .where(HandoffRequest.id == request_id, HandoffRequest.state == "waiting")
                .values(state="closed", closed_at=utcnow(), closed_by=staff, outcome=outcome),
            )
            == 1
        )


def add_reply(request_id: int, staff: str, text: str) -> StaffMessage | None:
    """Store a reply to send; None unless ``staff`` holds the request."""
    with session_scope() as session:
        request = session.get(HandoffRequest, request_id)
        if request is None or request.state != "taken" or request.taken_by != staff:
            return None
        now = utcnow()
        message = StaffMessage(
            request_id=request_id, conversation=request.conversation, author=staff, text=text, created_at=now
        )
        session.add(message)
        if request.first_reply_at is None:
            request.first_reply_at = now
        session.flush()
        return message


def claim_unsent(conversation: str) -> list[str]:
    """The staff replies of a conversation not sent yet, each claimed once
    (the action that sends them may run twice at the same moment)."""
    texts = []
    with session_scope() as session:
        rows = session.execute(
            select(StaffMessage.id, StaffMessage.text)
            .where(StaffMessage.conversation == conversation, StaffMessage.sent_at.is_(None))
            .order_by(StaffMessage.id)
        ).all()
        for message_id, text in rows:
            claimed = (
                update(StaffMessage)
                .where(StaffMessage.id == message_id, StaffMessage.sent_at.is_(None))
                .values(sent_at=utcnow())
            )
            if updated_rows(session, claimed) == 1:
                texts.append(text)
    return texts


def get(request_id: int) -> HandoffRequest | None:
    with session_scope() as session:
        return session.get(HandoffRequest, request_id)


def latest_for(conversation: str) -> HandoffRequest | None:
    """The conversation's newest request, open or not (the inbox page's subject)."""
    with session_scope() as session:
        return session.scalars(
            select(HandoffRequest).where(HandoffRequest.conversation == conversation).order_by(HandoffRequest.id.desc())
        ).first()


def open_requests() -> Sequence[HandoffRequest]:
    """Waiting and taken requests, the longest waiting first."""
    with session_scope() as session:
        return session.scalars(
            select(HandoffRequest)
            .where(HandoffRequest.state.in_(OPEN_STATES))
            .order_by(HandoffRequest.created_at, HandoffRequest.id)
        ).all()


def replies(conversation: str) -> Sequence[StaffMessage]:
    with session_scope() as session:
        return session.scalars(
            select(StaffMessage).where(StaffMessage.conversation == conversation).order_by(StaffMessage.id)
        ).all()


def release(request_id: int, staff: str) -> bool:
    """Undo a take that could not pause the assistant: the request waits again."""
    with session_scope() as session:
        return (
            updated_rows(
                session,
                update(HandoffRequest)
                .where(
                    HandoffRequest.id == request_id,
                    HandoffRequest.state == "taken",
                    HandoffRequest.taken_by == staff,
                )
                .values(state="waiting", taken_by=None, taken_at=None),
            )
            == 1
        )
