"""The console's figures for managers: what the assistant did, per day, week
or month and per channel, from the conversations (Rasa's SQL tracker store,
its ``events`` table, read-only) and the app database (handoffs, dossier
notifications, ratings, unanswered questions).

Every table says how it is computed (``Table.how``), and the page shows it.
Buckets are dates in the office's time zone. Web chat conversations are
``web:`` in Rasa and ``rest`` as an input channel: both are "web" here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Float, Integer, MetaData, String, Text, func, select
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import SQLAlchemyError

from actions.models import Rating
from channels.ids import channel_of
from database import get_engine, session_scope
from dossiers.models import Notification, Subscription
from handoff.models import HandoffRequest
from knowledge import catalog_store, store
from knowledge.unanswered import ABSTENTIONS, UnansweredQuestion
from settings import get_settings

logger = logging.getLogger(__name__)

PERIODS = ("day", "week", "month")
ALL = "tất cả"
TOP = 10
SATISFIED = 4  # CSAT: the share of ratings of 4 or 5 out of 5
NOTIFICATION_STATES = ("sent", "failed", "outside_window")
SERVICE_COLUMNS = (
    "Kỳ",
    "Kênh",
    "Tra cứu hồ sơ",
    "Thông báo đã gửi",
    "Thông báo lỗi",
    "Ngoài khung giờ",
    "Hướng dẫn bắt đầu",
    "Hướng dẫn hoàn thành",
)
# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
EVENTS = SqlTable(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def ratings_summary() -> list[tuple[str, str | None, str, int, float]]:
    """(guide, procedure, channel, count, average) of the walkthrough ratings."""
    with session_scope() as session:
        rows = session.execute(
            select(Rating.guide, Rating.procedure_id, Rating.channel, func.count(), func.avg(Rating.score))
            .group_by(Rating.guide, Rating.procedure_id, Rating.channel)
            .order_by(Rating.guide, Rating.procedure_id, Rating.channel)
        ).all()
    return [(g, p, c, n, round(float(a), 2)) for g, p, c, n, a in rows]


@dataclass(frozen=True)
class Table:
    key: str  # the CSV file's name
    title: str
    how: str  # how the numbers are computed, in Vietnamese, for the reader
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class Window:
    """The figures' dates (office time, ``end`` excluded) and their bucket size."""

    start: dt.date
    end: dt.date
    period: str
    zone: ZoneInfo

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), self.zone)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), self.zone)

    def bucket(self, moment: dt.datetime) -> str:
        local = moment.astimezone(self.zone)
        if self.period == "month":
            return f"{local:%Y-%m}"
        if self.period == "week":
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{local:%Y-%m-%d}"

    def contains(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.since <= _aware(moment) < self.until


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def channel_name(value: str | None) -> str:
    """One name per channel, whether it comes from a conversation id or an input channel."""
    return "web" if value in (None, "", "rest", "web") else value


@dataclass
class _Cell:
    conversations: set[str] = field(default_factory=set)
    messages: int = 0
    not_understood: int = 0
    lookups: int = 0
    walkthroughs_started: int = 0
    walkthroughs_completed: int = 0
    handed_over: set[str] = field(default_factory=set)
    handoffs: int = 0
    waits: list[float] = field(default_factory=list)
    notifications: Counter[str] = field(default_factory=Counter)


def tracker_events(window: Window, url: str | None = None) -> Iterator[dict[str, Any]]:
    """The tracker store's events within the window, oldest first, each with
    its ``sender_id``; nothing when the store is missing or unreadable."""
    engine = get_engine(url or get_settings().tracker_database_url)
    query = (
        select(EVENTS.c.sender_id, EVENTS.c.data)
        .where(EVENTS.c.timestamp >= window.since.timestamp(), EVENTS.c.timestamp < window.until.timestamp())
        .order_by(EVENTS.c.id)
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        logger.warning("Figures: the tracker store is unreadable (%s)", type(exc).__name__)
        return
    for sender, data in rows:
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield {**event, "sender_id": sender}


@dataclass
class _Topics:
    procedures: set[tuple[str, str]] = field(default_factory=set)  # (conversation, id)
    life_events: set[tuple[str, str]] = field(default_factory=set)
    catalog: set[tuple[str, str]] = field(default_factory=set)


def compute(window: Window, tracker_url: str | None = None) -> list[Table]:
    """Every table of the figures page for ``window``."""
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    topics = _Topics()
    for event in tracker_events(window, tracker_url):
        _count_event(cells, topics, window, event)
    _count_handoffs(cells, window)
    _count_notifications(cells, window)
    return [
        _activity(cells),
        _service(cells),
        _topics_table(topics),
        _ratings(window),
        _unanswered(window),
    ]


def _count_event(cells: dict[tuple[str, str], _Cell], topics: _Topics, window: Window, event: dict) -> None:
    sender = event["sender_id"]
    stamp = event.get("timestamp")
    if not isinstance(stamp, int | float):
        return
    cell = cells[(window.bucket(dt.datetime.fromtimestamp(stamp, dt.timezone.utc)), channel_name(channel_of(sender)))]
    kind = event.get("event")
    if kind == "user":
        if (event.get("metadata") or {}).get("is_external"):
            return  # a dossier notification triggered from outside, not the citizen
        parse = event.get("parse_data") or {}
        cell.conversations.add(sender)
        cell.messages += 1
        if (parse.get("intent") or {}).get("name") == "nlu_fallback":
            cell.not_understood += 1
        entities = parse.get("entities") or []
        if any(e.get("entity") == "dossier_code" for e in entities):
            cell.lookups += 1
        topics.catalog.update((sender, str(e["value"])) for e in entities if e.get("entity") == "catalog_code")
    elif kind == "bot":
        said = (event.get("metadata") or {}).get("utter_action")
        if said in ABSTENTIONS:
            cell.not_understood += 1
        elif said == "utter_guide_ask_rating":
            cell.walkthroughs_completed += 1
    elif kind == "action" and event.get("name") == "action_guide_start":
        cell.walkthroughs_started += 1
    elif kind == "slot" and event.get("value"):
        if event.get("name") == "procedure":
            topics.procedures.add((sender, str(event["value"])))
        elif event.get("name") == "life_event":
            topics.life_events.add((sender, str(event["value"])))


def _count_handoffs(cells: dict[tuple[str, str], _Cell], window: Window) -> None:
    with session_scope() as session:
        requests = session.scalars(
            select(HandoffRequest).where(
                HandoffRequest.created_at >= window.since, HandoffRequest.created_at < window.until
            )
        ).all()
    for request in requests:
        created = _aware(request.created_at)
        cell = cells[(window.bucket(created), channel_name(request.channel))]
        cell.handoffs += 1
        cell.handed_over.add(request.conversation)
        if request.first_reply_at is not None:
            cell.waits.append((_aware(request.first_reply_at) - created).total_seconds() / 60)


def _count_notifications(cells: dict[tuple[str, str], _Cell], window: Window) -> None:
    with session_scope() as session:
        rows = session.execute(
            select(Notification.state, Notification.done_at, Subscription.channel)
            .join(Subscription, Notification.subscription_id == Subscription.id)
            .where(
                Notification.state.in_(NOTIFICATION_STATES),
                Notification.done_at >= window.since,
                Notification.done_at < window.until,
            )
        ).all()
    for state, done_at, channel in rows:
        cells[(window.bucket(_aware(done_at)), channel_name(channel))].notifications[state] += 1


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _keys(cells: dict[tuple[str, str], _Cell]) -> list[tuple[str, str]]:
    return sorted(cells)


def _activity(cells: dict[tuple[str, str], _Cell]) -> Table:
    rows = []
    for bucket, channel in _keys(cells):
        c = cells[(bucket, channel)]
        conversations = len(c.conversations)
        without_person = len(c.conversations - c.handed_over)
        median = f"{statistics.median(c.waits):.1f}" if c.waits else "—"
        rows.append(
            (
                bucket,
                channel,
                conversations,
                c.messages,
                _share(c.messages - min(c.not_understood, c.messages), c.messages),
                _share(without_person, conversations),
                c.handoffs,
                median,
            )
        )
    return Table(
        "activity",
        "Hội thoại, tin nhắn và chuyển cán bộ",
        "Hội thoại: số cuộc trò chuyện có ít nhất một tin nhắn của công dân trong kỳ. Tin nhắn: tin nhắn và nút bấm "
        "của công dân (không tính thông báo hồ sơ tự động). Hiểu được: tin nhắn trừ tin trợ lý không hiểu "
        '(nlu_fallback) và câu trợ lý trả lời "chưa có thông tin" hay "không phải thủ tục", chia cho số tin nhắn. '
        "Tự giải quyết: hội thoại không có yêu cầu gặp cán bộ trong kỳ, chia cho số hội thoại. "
        "Chuyển cán bộ: số yêu cầu gặp cán bộ mở trong kỳ; thời gian chờ: trung vị số phút từ lúc yêu cầu "
        "đến câu trả lời đầu tiên của cán bộ.",
        (
            "Kỳ",
            "Kênh",
            "Hội thoại",
            "Tin nhắn",
            "Hiểu được",
            "Tự giải quyết",
            "Chuyển cán bộ",
            "Chờ trả lời (phút, trung vị)",
        ),
        rows,
    )


def _service(cells: dict[tuple[str, str], _Cell]) -> Table:
    rows = [
        (
            bucket,
            channel,
            c.lookups,
            c.notifications["sent"],
            c.notifications["failed"],
            c.notifications["outside_window"],
            c.walkthroughs_started,
            c.walkthroughs_completed,
        )
        for (bucket, channel), c in sorted(cells.items())
    ]
    return Table(
        "services",
        "Tra cứu hồ sơ, thông báo và hướng dẫn từng bước",
        "Tra cứu: tin nhắn của công dân có mã hồ sơ. Thông báo: kết quả cuối của hàng đợi thông báo hồ sơ (gửi được, "
        "lỗi sau khi thử lại, ngoài khung giờ Zalo cho phép), theo ngày có kết quả. Hướng dẫn: số lần bắt đầu "
        "(action_guide_start) và số lần đi hết các bước (trợ lý hỏi đánh giá).",
        SERVICE_COLUMNS,
        rows,
    )


def _topics_table(topics: _Topics) -> Table:
    names = {card.id: card.name for card in store.all_cards()}
    rows: list[tuple[Any, ...]] = []
    for label, pairs in (("Thủ tục", topics.procedures), ("Sự kiện", topics.life_events)):
        counted = Counter(value for _, value in pairs)
        rows += [(label, key, names.get(key, key), n) for key, n in sorted(counted.items(), key=_by_count)[:TOP]]
    counted = Counter(code for _, code in topics.catalog)
    for code, n in sorted(counted.items(), key=_by_count)[:TOP]:
        entry = catalog_store.get_entry(code)
        rows.append(("Danh mục quốc gia", code, entry.name if entry else code, n))
    return Table(
        "topics",
        f"Được hỏi nhiều nhất (tối đa {TOP} mỗi loại)",
        "Số cuộc trò chuyện mà trợ lý đã trả lời về thủ tục hoặc sự kiện đó (mỗi cuộc tính một lần), và số cuộc "
        "trò chuyện chọn hoặc gõ mã một thủ tục trong danh mục quốc gia.",
        ("Loại", "Mã", "Tên", "Số hội thoại"),
        rows,
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _ratings(window: Window) -> Table:
    with session_scope() as session:
        rows = session.execute(
            select(Rating.procedure_id, Rating.score).where(
                Rating.created_at >= window.since, Rating.created_at < window.until
            )
        ).all()
    names = {card.id: card.name for card in store.all_cards()}
    groups: dict[str, list[int]] = defaultdict(list)
    for procedure, score in rows:
        groups[ALL].append(score)
        groups[procedure or "—"].append(score)
    table = [
        (
            key if key == ALL else names.get(key, key),
            len(scores),
            f"{statistics.mean(scores):.2f}",
            _share(sum(s >= SATISFIED for s in scores), len(scores)),
        )
        for key, scores in sorted(groups.items(), key=lambda kv: (kv[0] != ALL, -len(kv[1]), kv[0]))
    ]
    return Table(
        "ratings",
        "Mức hài lòng (CSAT)",
        f"Đánh giá 1-5 sau hướng dẫn từng bước. CSAT: tỷ lệ đánh giá từ {SATISFIED} trở lên; "
        "dòng đầu là tất cả, sau đó theo thủ tục của hướng dẫn, nhiều đánh giá nhất trước.",
        ("Thủ tục", "Số đánh giá", "Điểm trung bình", "CSAT"),
        table,
    )


def _unanswered(window: Window) -> Table:
    with session_scope() as session:
        opened = session.scalars(
            select(UnansweredQuestion.first_seen).where(
                UnansweredQuestion.first_seen >= window.since, UnansweredQuestion.first_seen < window.until
            )
        ).all()
        handled: Sequence[dt.datetime | None] = session.scalars(
            select(UnansweredQuestion.handled_at).where(
                UnansweredQuestion.handled_at >= window.since, UnansweredQuestion.handled_at < window.until
            )
        ).all()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for moment in opened:
        counts[window.bucket(_aware(moment))]["opened"] += 1
    for when in handled:
        if when is not None:
            counts[window.bucket(_aware(when))]["handled"] += 1
    return Table(
        "unanswered",
        "Câu hỏi chưa trả lời được",
        "Mở: câu hỏi mới (lần đầu gặp) trong kỳ. Đã xử lý: câu hỏi biên tập viên đánh dấu đã xử lý trong kỳ.",
        ("Kỳ", "Mở", "Đã xử lý"),
        [(bucket, c["opened"], c["handled"]) for bucket, c in sorted(counts.items())],
    )
