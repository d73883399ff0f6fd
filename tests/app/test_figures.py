"""The managers' figures on a generated set of conversations with known
counts: conversations written by Rasa's own SQL tracker store (engine
Python), handoffs, notifications, ratings and unanswered questions in the
app database (SQLite and PostgreSQL). Every number of every table is checked,
on the page and in the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest

from actions.models import Rating
from console.figures import Window, compute
from database import session_scope
from dossiers.models import Dossier, DossierEvent, Notification, Subscription
from handoff.models import HandoffRequest
from knowledge import store
from knowledge.unanswered import UnansweredQuestion
from settings import ROOT, get_settings
from tests.app.console_client import account, client, login

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DAY_A, DAY_B, LATER = dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 20)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), VN)


def ts(day: dt.date, hour: int, minute: int = 0) -> float:
    return at(day, hour, minute).timestamp()


def user(day, minute, text, intent, **entities) -> dict:
    return {"type": "user", "at": ts(day, 9, minute), "text": text, "intent": intent, "entities": entities}


CONVERSATIONS = {
    # Two questions about one procedure (counted once), both understood.
    "web:a1": [
        user(DAY_A, 0, "làm giấy khai sinh", "ask_procedure"),
        {"type": "slot", "at": ts(DAY_A, 9, 0), "name": "procedure", "value": "khai-sinh"},
        {"type": "bot", "at": ts(DAY_A, 9, 0), "utter_action": "utter_answer"},
        user(DAY_A, 1, "lệ phí bao nhiêu", "ask_procedure"),
        {"type": "slot", "at": ts(DAY_A, 9, 1), "name": "procedure", "value": "khai-sinh"},
    ],
    # Not understood twice, then a person (handoff below).
    "web:a2": [user(DAY_A, 5, "asdf", "nlu_fallback"), user(DAY_A, 6, "qwer", "nlu_fallback")],
    # A dossier look-up, an abstention, and a notification triggered from outside (not a message).
    "zalo_oa:z1": [
        user(DAY_A, 10, "hồ sơ H29.22-240903-0007", "check_status", dossier_code="H29.22-240903-0007"),
        user(DAY_A, 11, "thủ tục nuôi rồng", "ask_procedure"),
        {"type": "bot", "at": ts(DAY_A, 9, 11), "utter_action": "utter_abstain"},
        {**user(DAY_A, 30, "/dossier_status_changed", "dossier_status_changed"), "metadata": {"is_external": True}},
    ],
    # A walkthrough started and completed, a life event, a catalog entry.
    "telegram:t1": [
        user(DAY_B, 0, "tạo tài khoản", "create_account"),
        {"type": "action", "at": ts(DAY_B, 9, 0), "name": "action_guide_start"},
        {"type": "bot", "at": ts(DAY_B, 9, 2), "utter_action": "utter_guide_ask_rating"},
        user(DAY_B, 3, "vợ sinh con", "life_event"),
        {"type": "slot", "at": ts(DAY_B, 9, 3), "name": "life_event", "value": "sinh-con"},
        user(DAY_B, 4, "thủ tục 1.001193", "ask_procedure", catalog_code="1.001193"),
    ],
    # A private matter declined ("không phải thủ tục"): not understood, as an abstention is.
    "telegram:t2": [
        user(DAY_B, 19, "thẻ atm bị nuốt", "ask_procedure"),
        {"type": "bot", "at": ts(DAY_B, 9, 19), "utter_action": "utter_not_a_procedure"},
        user(DAY_B, 20, "gặp cán bộ", "handoff"),
    ],
    # Outside the window: counted nowhere.
    "web:late": [user(LATER, 0, "xin chào", "greet")],
}

EXPECTED_DAY = {
    "activity": [
        ["2026-11-02", "web", "2", "4", "50.0%", "50.0%", "1", "6.0"],
        ["2026-11-02", "zalo_oa", "1", "2", "50.0%", "100.0%", "0", "—"],
        ["2026-11-09", "telegram", "2", "5", "80.0%", "0.0%", "2", "15.0"],
        ["2026-11-09", "zalo_oa", "0", "0", "—", "—", "0", "—"],
    ],
    "services": [
        ["2026-11-02", "web", "0", "0", "0", "0", "0", "0"],
        ["2026-11-02", "zalo_oa", "1", "2", "0", "0", "0", "0"],
        ["2026-11-09", "telegram", "0", "0", "1", "0", "1", "1"],
        ["2026-11-09", "zalo_oa", "0", "0", "0", "1", "0", "0"],
    ],
    "unanswered": [["2026-11-02", "2", "0"], ["2026-11-09", "0", "1"]],
}


def topics(names: dict[str, str]) -> list[list[str]]:
    return [
        ["Thủ tục", "khai-sinh", names["khai-sinh"], "1"],
        ["Sự kiện", "sinh-con", names["sinh-con"], "1"],
        ["Danh mục quốc gia", "1.001193", "1.001193", "1"],  # the catalog is not imported here: its code
    ]


def ratings(names: dict[str, str]) -> list[list[str]]:
    return [["tất cả", "4", "3.50", "50.0%"], [names["khai-sinh"], "3", "3.67", "66.7%"], ["—", "1", "3.00", "0.0%"]]


@pytest.fixture
def figures_data(database_url, tmp_path, monkeypatch):
    tracker = tmp_path / "tracker.db"
    spec = json.dumps({"db": str(tracker), "conversations": CONVERSATIONS})
    subprocess.run([str(ROOT / ".venv-engine/bin/python"), "tests/app/write_trackers.py"], input=spec, text=True,
                   check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})  # fmt: skip
    monkeypatch.setenv("TTHC_TRACKER_DATABASE_URL", f"sqlite:///{tracker}")
    monkeypatch.setenv("TTHC_CONSOLE_KEY", "test-console-key-0123456789abcdef")
    get_settings.cache_clear()
    store.import_files()
    with session_scope() as session:
        for conversation, reason, created, wait in [
            ("web:a2", "not_understood", at(DAY_A, 9, 6), 6),
            ("telegram:t1", "low_rating", at(DAY_B, 9, 5), 10),
            ("telegram:t2", "asked", at(DAY_B, 9, 20), 20),
            ("web:late", "asked", at(LATER, 9), 1),
        ]:
            session.add(HandoffRequest(conversation=conversation, channel=conversation.split(":")[0], reason=reason,
                                       state="closed", outside_hours=False, created_at=created,
                                       first_reply_at=created + dt.timedelta(minutes=wait)))  # fmt: skip
        session.add(Dossier(code="H29.22-240903-0007", status="processing", status_at=at(DAY_A, 8), source="test"))
        session.flush()
        event = DossierEvent(source="test", event_id="e1", code="H29.22-240903-0007", status="processing",
                             occurred_at=at(DAY_A, 8))  # fmt: skip
        session.add(event)
        session.flush()
        for n, (channel, state, day) in enumerate([
            ("zalo_oa", "sent", DAY_A), ("zalo_oa", "sent", DAY_A), ("telegram", "failed", DAY_B),
            ("zalo_oa", "outside_window", DAY_B), ("zalo_oa", "pending", None),
        ]):  # fmt: skip
            subscription = Subscription(code=event.code, sender_id=f"{channel}:{n}", channel=channel,
                                        last_interaction_at=at(DAY_A, 8))  # fmt: skip
            session.add(subscription)
            session.flush()
            session.add(Notification(event_pk=event.id, subscription_id=subscription.id, state=state,
                                     next_attempt_at=at(DAY_A, 8), done_at=at(day, 10) if day else None))  # fmt: skip
        for procedure, score, day in [("khai-sinh", 5, DAY_A), ("khai-sinh", 4, DAY_A), ("khai-sinh", 2, DAY_A),
                                      (None, 3, DAY_B), ("khai-sinh", 1, LATER)]:  # fmt: skip
            session.add(Rating(guide="submit", procedure_id=procedure, channel="telegram", score=score,
                               created_at=at(day, 11)))  # fmt: skip
        for n, (first, handled) in enumerate([(DAY_A, DAY_B), (DAY_A, None), (LATER, None)]):
            session.add(UnansweredQuestion(key=f"q{n}", text=f"câu hỏi {n}", count=1, channels={}, reasons={},
                                           cards={}, first_seen=at(first, 9), last_seen=at(first, 9),
                                           status="handled" if handled else "open",
                                           handled_at=at(handled, 9) if handled else None))  # fmt: skip
    return {card.id: card.name for card in store.all_cards()}


def as_text(tables) -> dict[str, list[list[str]]]:
    return {t.key: [[str(v) for v in row] for row in t.rows] for t in tables}


def test_every_number_per_day(figures_data):
    tables = as_text(compute(Window(DAY_A, DAY_B + dt.timedelta(days=7), "day", VN)))
    assert tables == {**EXPECTED_DAY, "topics": topics(figures_data), "ratings": ratings(figures_data)}


def test_weeks_and_months_add_the_days_up(figures_data):
    weeks = as_text(compute(Window(DAY_A, DAY_B + dt.timedelta(days=7), "week", VN)))
    assert weeks["activity"] == [
        ["2026-W45", "web", "2", "4", "50.0%", "50.0%", "1", "6.0"],
        ["2026-W45", "zalo_oa", "1", "2", "50.0%", "100.0%", "0", "—"],
        ["2026-W46", "telegram", "2", "5", "80.0%", "0.0%", "2", "15.0"],
        ["2026-W46", "zalo_oa", "0", "0", "—", "—", "0", "—"],
    ]
    months = as_text(compute(Window(DAY_A, DAY_B + dt.timedelta(days=7), "month", VN)))
    assert months["activity"] == [
        ["2026-11", "telegram", "2", "5", "80.0%", "0.0%", "2", "15.0"],
        ["2026-11", "web", "2", "4", "50.0%", "50.0%", "1", "6.0"],
        ["2026-11", "zalo_oa", "1", "2", "50.0%", "100.0%", "0", "—"],
    ]
    assert months["services"] == [
        ["2026-11", "telegram", "0", "0", "1", "0", "1", "1"],
        ["2026-11", "web", "0", "0", "0", "0", "0", "0"],
        ["2026-11", "zalo_oa", "1", "2", "0", "1", "0", "0"],
    ]
    assert months["unanswered"] == [["2026-11", "2", "1"]]


_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<td>(.*?)</td>", re.S)


def page_tables(page: str) -> dict[str, list[list[str]]]:
    found = {}
    for key, section in re.findall(r'data-testid="table-(\w+)">(.*?)</section>', page, re.S):
        body = section.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in section else ""
        found[key] = [[html.unescape(c.strip()) for c in _CELL.findall(row)] for row in _ROW.findall(body)]
    return found


def test_the_page_and_every_csv_show_the_same_numbers(figures_data):
    web = client()
    login(web, account("quanly", "staff"))
    query = "period=day&from=2026-11-02&to=2026-11-15"
    page = web.get(f"/figures?{query}")
    assert page.status_code == 200
    expected = {**EXPECTED_DAY, "topics": topics(figures_data), "ratings": ratings(figures_data)}
    assert page_tables(page.text) == expected
    assert page.text.count("Cách tính:") == len(expected)
    assert page.text.count("<svg") == 2 and "<script" not in page.text.split("</header>")[1]
    for key, rows in expected.items():
        exported = web.get(f"/figures/{key}.csv?{query}")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))[1:] == rows


def test_wrong_dates_are_refused_with_the_reason(figures_data):
    web = client()
    login(web, account("quanly", "staff"))
    assert web.get("/figures?from=2026-13-01").status_code == 422
    assert web.get("/figures?from=2026-11-10&to=2026-11-01").status_code == 422
    assert web.get("/figures?period=year").status_code == 422
    assert web.get("/figures/nothing.csv").status_code == 404


def test_figures_need_a_log_in(figures_data):
    web = client()
    assert web.get("/figures").status_code == 303
    assert web.get("/figures/activity.csv", headers={"accept": "application/json"}).status_code == 401
