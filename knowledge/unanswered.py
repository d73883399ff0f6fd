"""Questions the assistant could not answer, kept for the content editors.

The action server calls ``record_unanswered`` when a message ended in the
fallback or an abstention, when the citizen said "Không phải" to the cards
suggested, or when a low rating followed. The text is masked *before* it is
stored (ID and phone numbers, dossier codes, e-mail addresses, long numbers:
``nlu.text.mask_for_analysis``), and the same question asked again only
counts up its row. The console groups similar rows at read time (``groups``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from database import Base, UtcDateTime, insert_if_missing, session_scope, updated_rows
from nlu.text import mask_for_analysis, normalize

logger = logging.getLogger(__name__)

LOW_RATING = 2  # a rating of the help at or below this is a question the assistant did not answer well
REASONS = {
    "fallback": "Trợ lý không hiểu",
    "abstain": "Không có thẻ phù hợp",
    "everyday": "Việc riêng, không phải thủ tục",
    "denied": "Công dân bấm “Không phải”",
    "low_rating": "Đánh giá thấp",
}
# What the assistant says when no procedure matches the question.
ABSTENTIONS = ("utter_abstain", "utter_not_a_procedure")
MAX_TEXT = 500
SIMILAR = 0.5  # share of character trigrams two questions have in common to be one group


class UnansweredQuestion(Base):
    """One distinct (masked, normalised) question, with how often and where it came."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MAX_TEXT), unique=True)  # normalised masked text
    text: Mapped[str] = mapped_column(Text)  # masked, as first written
    count: Mapped[int] = mapped_column(Integer, default=0)
    channels: Mapped[dict] = mapped_column(JSON, default=dict)  # channel -> count
    reasons: Mapped[dict] = mapped_column(JSON, default=dict)  # reason -> count
    cards: Mapped[dict] = mapped_column(JSON, default=dict)  # card suggested or rated -> count
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | attached | handled
    card_id: Mapped[str | None] = mapped_column(String(80))  # the card it was attached to
    handled_by: Mapped[str | None] = mapped_column(String(80))
    handled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


def record_unanswered(
    text: str, channel: str, reason: str, card_id: str | None = None, now: dt.datetime | None = None
) -> None:
    """Keep a question the assistant could not answer (masked first). Never raises:
    losing one analysis row must not cost the citizen an answer."""
    masked = mask_for_analysis(text or "").strip()[:MAX_TEXT]
    key = normalize(masked)[:MAX_TEXT]
    if not key or reason not in REASONS:
        return
    now = now or dt.datetime.now(dt.timezone.utc)
    channel = (channel or "unknown")[:40]
    try:
        with session_scope() as session:
            insert_if_missing(
                session, UnansweredQuestion, key=key, text=masked, count=0, channels={}, reasons={},
                cards={}, first_seen=now, last_seen=now, status="open",
            )  # fmt: skip
            query = select(UnansweredQuestion).where(UnansweredQuestion.key == key).with_for_update()
            row = session.scalars(query).one()
            row.count += 1
            row.last_seen = now
            row.channels = {**row.channels, channel: row.channels.get(channel, 0) + 1}
            row.reasons = {**row.reasons, reason: row.reasons.get(reason, 0) + 1}
            if card_id:
                row.cards = {**row.cards, card_id: row.cards.get(card_id, 0) + 1}
            if row.status != "open":  # asked again after it was dealt with: the editors look again
                row.status = "open"
    except SQLAlchemyError as exc:
        logger.warning("Could not keep an unanswered question (%s).", type(exc).__name__)


@dataclass(frozen=True)
class Denied:
    text: str  # the citizen's question
    card: str | None  # the first card they were offered


def denied_question(events: list[dict[str, Any]]) -> Denied | None:
    """The question a citizen answered "Không phải" to: the latest user event is the
    payload of a "Không phải..." button of the bot's last offer, and the question is
    the user's message before that offer. Plain dicts (Rasa's events), no Rasa import."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    bots = [i for i, e in enumerate(events) if e.get("event") == "bot"]
    if len(users) < 2 or not bots:
        return None
    offer = events[bots[-1]]
    buttons = (offer.get("data") or {}).get("buttons") or []
    refusals = {b.get("payload") for b in buttons if str(b.get("title", "")).startswith("Không phải")}
    if events[users[-1]].get("text") not in refusals or bots[-1] < users[-2]:
        return None
    question = str(events[users[-2]].get("text") or "")
    if question.startswith("/"):
        return None
    offered = [_payload_procedure(str(b.get("payload", ""))) for b in buttons]
    return Denied(question, next((card for card in offered if card), None))


def _payload_procedure(payload: str) -> str | None:
    if not payload.startswith("/ask_procedure{"):
        return None
    try:
        value = json.loads(payload[len("/ask_procedure") :]).get("procedure")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def last_question(events: list[dict[str, Any]]) -> str | None:
    """The citizen's last typed message (not a button's payload)."""
    for event in reversed(events):
        text = event.get("text") if event.get("event") == "user" else None
        if isinstance(text, str) and text.strip() and not text.startswith("/") and not text.strip().isdigit():
            return text
    return None


@dataclass
class Group:
    """Similar questions: the most asked one names the group."""

    rows: list[UnansweredQuestion] = field(default_factory=list)

    @property
    def lead(self) -> UnansweredQuestion:
        return max(self.rows, key=lambda r: (r.count, r.last_seen))

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def channels(self) -> dict[str, int]:
        return _sum(r.channels for r in self.rows)

    @property
    def reasons(self) -> dict[str, int]:
        return _sum(r.reasons for r in self.rows)

    @property
    def first_seen(self) -> dt.datetime:
        return min(r.first_seen for r in self.rows)

    @property
    def last_seen(self) -> dt.datetime:
        return max(r.last_seen for r in self.rows)


def _sum(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for one in counts:
        for name, n in one.items():
            total[name] = total.get(name, 0) + n
    return dict(sorted(total.items(), key=lambda item: -item[1]))


def _trigrams(key: str) -> set[str]:
    padded = f" {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """Share of character trigrams in common (Jaccard) of two normalised texts."""
    x, y = _trigrams(a), _trigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def group_rows(rows: list[UnansweredQuestion]) -> list[Group]:
    """Greedy grouping, most asked first: a row joins the first group whose lead it resembles."""
    groups: list[tuple[set[str], Group]] = []
    for row in sorted(rows, key=lambda r: (-r.count, r.id)):
        grams = _trigrams(row.key)
        for lead_grams, group in groups:
            if len(grams & lead_grams) / len(grams | lead_grams) >= SIMILAR:
                group.rows.append(row)
                break
        else:
            groups.append((grams, Group([row])))
    return sorted((g for _, g in groups), key=lambda g: (-g.count, -g.last_seen.timestamp()))


def groups(status: str = "open") -> list[Group]:
    with session_scope() as session:
        rows = list(session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.status == status)))
    return group_rows(rows)


def get_rows(ids: list[int]) -> list[UnansweredQuestion]:
    with session_scope() as session:
        return list(session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids))))


def close(ids: list[int], status: str, by: str, card_id: str | None = None, session: Session | None = None) -> int:
    """Mark rows attached to a card or handled; a row asked again reopens by itself."""
    values = {"status": status, "handled_by": by, "handled_at": dt.datetime.now(dt.timezone.utc), "card_id": card_id}
    statement = update(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids)).values(**values)
    if session is not None:
        return updated_rows(session, statement)
    with session_scope() as own:
        return updated_rows(own, statement)


def reopen(target: str, text: str, session: Session) -> int:
    """Open again the questions attached to ``target`` (a card id, or
    ``catalog:<code>``) with this text, when the attachment is undone."""
    statement = (
        update(UnansweredQuestion)
        .where(UnansweredQuestion.card_id == target, UnansweredQuestion.text == text)
        .values(status="open", handled_by=None, handled_at=None, card_id=None)
    )
    return updated_rows(session, statement)


def open_counts_by_card() -> dict[str, int]:
    """Open questions per card the citizen was offered or rated (the card list's filter)."""
    with session_scope() as session:
        rows = session.scalars(select(UnansweredQuestion.cards).where(UnansweredQuestion.status == "open"))
        return _sum(rows)
