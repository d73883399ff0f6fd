"""Unanswered questions (SQLite and PostgreSQL): collected by the actions,
masked before storage, grouped, shown with what the matcher says now, and
attached to a card or to a catalog entry so that the matcher names it —
without retraining."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select, text

from actions.catalog import answer_without_card
from actions.fallback import ActionDefaultAskAffirmation
from actions.guides import ActionRate
from actions.handoff import ActionHandoff
from actions.models import GuideProgress
from console.unanswered_pages import matcher_now
from database import get_engine, session_scope
from knowledge import catalog_store, everyday_questions, store, unanswered
from knowledge.answers import ask_which_of, payload
from settings import get_settings
from tests.app.console_client import account, client, csrf, login

PERSONAL = "cccd 012345678901, sdt 0912.345.678, hồ sơ 000.00.15.H29-240301-0012, mail an.nguyen@gmail.com"
QUESTION = "bé nhà em mới oe oe cần làm gì"


@pytest.fixture
def cards(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_CONSOLE_KEY", "test-console-key-0123456789abcdef")
    get_settings.cache_clear()
    store.import_files()
    return database_url


def _tracker(text_: str, events: list[dict] | None = None, channel: str = "zalo_oa") -> Tracker:
    latest = {"text": text_, "intent": {"name": "nlu_fallback"}, "intent_ranking": [], "entities": []}
    events = events if events is not None else [{"event": "user", "text": text_, "input_channel": channel}]
    return Tracker("zalo_oa:123", {}, latest, events, False, None, {}, channel)


def test_personal_data_is_masked_before_it_is_stored(cards):
    unanswered.record_unanswered(f"làm lại giấy tờ, {PERSONAL}", "zalo_oa", "fallback")
    with get_engine().connect() as connection:
        rows = connection.execute(select(unanswered.UnansweredQuestion.__table__)).all()
    # Every text and JSON column; not the timestamps, whose microseconds may spell any four digits ("…590912").
    stored = " ".join(str(value) for row in rows for value in row if isinstance(value, str | dict))
    for secret in ("012345678901", "0912", "345.678", "H29-240301", "240301-0012", "an.nguyen", "gmail"):
        assert secret not in stored
    assert "[mã hồ sơ]" in stored and "[email]" in stored and "************" in stored


def test_the_actions_collect_fallbacks_abstentions_refusals_and_low_ratings(cards):
    ActionDefaultAskAffirmation().run(CollectingDispatcher(), _tracker("xin cái giấy gì đó 0912345678"), {})
    answer_without_card(CollectingDispatcher(), _tracker("thủ tục nuôi rồng"))
    offer = ask_which_of([(payload("ask_procedure", procedure="khai-sinh"), "Đăng ký khai sinh")])
    events = [
        {"event": "user", "text": "giấy cho em bé hàng xóm"},
        {"event": "bot", "text": offer.text, "data": {"buttons": [b.__dict__ for b in offer.buttons]}},
        {"event": "user", "text": payload("handoff"), "input_channel": "telegram"},
    ]
    ActionHandoff().run(CollectingDispatcher(), _tracker(payload("handoff"), events, "telegram"), {})
    ActionHandoff().run(CollectingDispatcher(), _tracker(payload("handoff")), {})  # no offer before: not a refusal
    by_text = {g.lead.text: g for g in unanswered.groups()}
    assert by_text["xin cái giấy gì đó **********"].reasons == {"fallback": 1}
    assert by_text["thủ tục nuôi rồng"].reasons == {"abstain": 1}
    denied = by_text["giấy cho em bé hàng xóm"]
    assert denied.reasons == {"denied": 1} and denied.channels == {"telegram": 1}
    with session_scope() as session:
        session.add(GuideProgress(sender_id="zalo_oa:123", guide="submit", phase="rating", procedure_id="ho-chieu",
                                  step=0, trouble_step=0, have=[]))  # fmt: skip
    rating = [{"event": "user", "text": "làm hộ chiếu online bị lỗi mãi", "input_channel": "zalo_oa"},
              {"event": "user", "text": '/rate{"score": "1"}', "input_channel": "zalo_oa"}]  # fmt: skip
    rated = Tracker("zalo_oa:123", {}, {"text": '/rate{"score": "1"}', "entities": [{"entity": "score", "value": "1"}]},
                    rating, False, None, {}, "zalo_oa")  # fmt: skip
    ActionRate().run(CollectingDispatcher(), rated, {})
    by_text = {g.lead.text: g for g in unanswered.groups()}
    assert by_text["làm hộ chiếu online bị lỗi mãi"].reasons == {"low_rating": 1}
    assert unanswered.open_counts_by_card() == {"khai-sinh": 1, "ho-chieu": 1}
    assert len(by_text) == 4


def test_the_same_question_counts_up_and_similar_ones_group(cards):
    t0 = dt.datetime(2026, 5, 1, 8, tzinfo=dt.timezone.utc)
    unanswered.record_unanswered("Làm giấy phép nuôi chim yến ở đâu?", "zalo_oa", "abstain", now=t0)
    unanswered.record_unanswered("lam giay phep nuoi chim yen o dau", "web", "abstain", now=t0 + dt.timedelta(days=1))
    unanswered.record_unanswered(
        "làm giấy phép nuôi chim yến ở đâu ạ", "telegram", "fallback", now=t0 + dt.timedelta(days=2)
    )
    unanswered.record_unanswered("đổi tên cho con trai", "web", "fallback", now=t0)
    groups = unanswered.groups()
    assert len(groups) == 2
    birds = groups[0]
    assert birds.count == 3 and len(birds.rows) == 2  # the unaccented one is the same question
    assert birds.channels == {"zalo_oa": 1, "web": 1, "telegram": 1}
    assert (birds.first_seen, birds.last_seen) == (t0, t0 + dt.timedelta(days=2))


def test_attaching_a_question_to_a_card_makes_the_matcher_name_it_without_retraining(cards):
    names = {c.id: c.name for c in store.all_cards()}
    before = matcher_now(QUESTION, names)
    assert before.card != "khai-sinh"
    unanswered.record_unanswered(QUESTION, "zalo_oa", "fallback")
    account("bien.tap", "editor")
    web = client()
    login(web, "bien.tap")
    page = web.get("/unanswered")
    assert page.status_code == 200 and QUESTION in page.text
    [group] = unanswered.groups()
    response = web.post(
        "/unanswered/attach",
        data={"ids": group.ids, "card_id": "khai-sinh", "question": QUESTION, "csrf_token": csrf(page.text)},
    )
    assert response.status_code == 303
    assert QUESTION in store.get_card("procedure", "khai-sinh").examples
    assert unanswered.groups() == [] and len(unanswered.groups("attached")) == 1
    time.sleep(1.1)  # the matcher re-reads changed cards at most every second in the console
    assert matcher_now(QUESTION, names).card == "khai-sinh"
    with session_scope() as session:
        actions = [row[0] for row in session.execute(text("SELECT action FROM console_audit"))]
    assert "unanswered_attach" in actions


def test_marking_handled_and_a_new_question_reopens(cards):
    unanswered.record_unanswered("hỏi vu vơ", "web", "fallback")
    account("bien.tap", "editor")
    web = client()
    token = login(web, "bien.tap")
    [group] = unanswered.groups()
    assert web.post("/unanswered/handled", data={"ids": group.ids, "csrf_token": token}).status_code == 303
    assert unanswered.groups() == []
    assert "hỏi vu vơ" in web.get("/unanswered?status=handled").text
    unanswered.record_unanswered("hỏi vu vơ", "web", "fallback")
    assert [g.lead.text for g in unanswered.groups()] == ["hỏi vu vơ"]
    new_card = web.get("/cards/new?question=h%E1%BB%8Fi%20vu%20v%C6%A1")
    assert "hỏi vu vơ" in new_card.text


def test_attaching_a_question_to_a_catalog_entry_makes_the_matcher_offer_it(cards):
    """A procedure without a card, asked in words its official name does not use."""
    from tests.app.test_catalog_import import portal

    catalog_store.import_catalog([portal("2.009999", "Đăng ký cơ sở gây nuôi chim yến"),
                                  portal("2.009998", "Cấp giấy phép khai thác khoáng sản")])  # fmt: skip
    question = "nhà em xây nhà cho yến về làm tổ, có phải khai báo với xã không?"
    assert matcher_now(question, {}).catalog_code != "2.009999"
    unanswered.record_unanswered(question, "zalo_oa", "abstain")
    account("bien.tap", "editor")
    web = client()
    login(web, "bien.tap")
    page = web.get("/unanswered")
    [group] = unanswered.groups()
    form = {"ids": group.ids, "question": question, "csrf_token": csrf(page.text)}
    other = web.post("/unanswered/attach-catalog", data=form | {"code": "2.009999", "question": "câu khác"})
    assert other.status_code == 400 and "Không tìm thấy câu hỏi này" in other.text
    unknown = web.post("/unanswered/attach-catalog", data=form | {"code": "9.999999"})
    assert unknown.status_code == 400 and "9.999999" in unknown.text and len(unanswered.groups()) == 1
    response = web.post("/unanswered/attach-catalog", data=form | {"code": "2.009999"})
    assert response.status_code == 303 and response.headers["location"].endswith("done=attached-catalog")
    assert unanswered.groups() == [] and unanswered.groups("attached")[0].rows[0].card_id == "catalog:2.009999"
    time.sleep(1.1)  # the console's matcher re-reads at most every second
    assert matcher_now(question, {}).catalog_code == "2.009999"
    with session_scope() as session:
        targets = [row[0] for row in session.execute(text("SELECT target FROM console_audit"))]
    assert "catalog:2.009999" in targets


def test_an_attached_catalog_question_is_listed_and_taken_off_again(cards):
    """An editor who attached a question to the wrong entry undoes it: the matcher
    forgets it, and the citizen's question is waiting again to be attached elsewhere."""
    from tests.app.test_catalog_import import portal

    catalog_store.import_catalog([portal("2.009999", "Đăng ký cơ sở gây nuôi chim yến")])
    question = "nhà em xây nhà cho yến về làm tổ, có phải khai báo với xã không?"
    unanswered.record_unanswered(question, "zalo_oa", "abstain")
    account("bien.tap", "editor")
    web = client()
    token = login(web, "bien.tap")
    [group] = unanswered.groups()
    attach = {"ids": group.ids, "question": question, "code": "2.009999", "csrf_token": token}
    assert web.post("/unanswered/attach-catalog", data=attach).status_code == 303
    time.sleep(1.1)  # the console's matcher re-reads at most every second
    assert matcher_now(question, {}).catalog_code == "2.009999"

    page = web.get("/unanswered/catalog-questions")
    assert page.status_code == 200 and question in page.text
    assert "2.009999 · Đăng ký cơ sở gây nuôi chim yến" in page.text
    [attached] = catalog_store.attached_questions()
    assert (attached.code, attached.text, attached.added_by) == ("2.009999", question, "bien.tap")

    missing = web.post("/unanswered/catalog-questions/remove", data={"id": "999999", "csrf_token": token})
    assert missing.status_code == 400 and "Không tìm thấy câu hỏi này" in missing.text
    assert web.post("/unanswered/catalog-questions/remove", data={"id": "abc", "csrf_token": token}).status_code == 400
    removed = web.post("/unanswered/catalog-questions/remove", data={"id": str(attached.id), "csrf_token": token})
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=removed")
    assert catalog_store.attached_questions() == []
    assert [g.lead.text for g in unanswered.groups()] == [question] and unanswered.groups("attached") == []
    time.sleep(1.1)
    assert matcher_now(question, {}).catalog_code != "2.009999"
    with session_scope() as session:
        actions = [row[0] for row in session.execute(text("SELECT action FROM console_audit"))]
    assert "catalog_question_removed" in actions


def test_only_editors_review_or_take_off_catalog_questions(cards):
    account("nhan.vien", "staff")
    web = client()
    token = login(web, "nhan.vien")
    assert web.get("/unanswered/catalog-questions").status_code == 403
    assert web.post("/unanswered/catalog-questions/remove", data={"id": "1", "csrf_token": token}).status_code == 403


def test_a_question_marked_a_private_matter_gets_no_card_until_taken_off(cards):
    """A citizen said "Không phải" to the card offered for a warranty slip: the
    editor marks it a private matter; the matcher then offers no card for it,
    and taking it off opens the citizen's question again."""
    question = "làm lại phiếu bảo hành máy lạnh bị mất"
    assert matcher_now(question, {}).card is not None and matcher_now(question, {}).everyday is None
    unanswered.record_unanswered(question, "zalo_oa", "denied", card_id="trich-luc-ho-tich")
    account("bien.tap", "editor")
    web = client()
    token = login(web, "bien.tap")
    [group] = unanswered.groups()
    form = {"ids": group.ids, "question": question, "csrf_token": token}
    other = web.post("/unanswered/everyday", data=form | {"question": "câu khác"})
    assert other.status_code == 400 and "Không tìm thấy câu hỏi này" in other.text
    response = web.post("/unanswered/everyday", data=form)
    assert response.status_code == 303 and response.headers["location"].endswith("done=everyday")
    assert unanswered.groups() == [] and unanswered.groups("attached")[0].rows[0].card_id == "everyday"
    time.sleep(1.1)  # the console's matcher re-reads at most every second
    now = matcher_now(question, {})
    assert now.everyday == "marked-by-editors" and now.card is None
    assert "Việc riêng, không phải thủ tục" in web.get("/unanswered?status=attached").text

    page = web.get("/unanswered/everyday-questions")
    assert page.status_code == 200 and question in page.text and "bien.tap" in page.text
    [marked] = everyday_questions.marked()
    assert web.post("/unanswered/everyday-questions/remove", data={"id": "abc", "csrf_token": token}).status_code == 400
    removed = web.post("/unanswered/everyday-questions/remove", data={"id": str(marked.id), "csrf_token": token})
    assert removed.status_code == 303 and removed.headers["location"].endswith("done=removed")
    assert everyday_questions.marked() == [] and [g.lead.text for g in unanswered.groups()] == [question]
    time.sleep(1.1)
    assert matcher_now(question, {}).everyday is None
    with session_scope() as session:
        actions = [row[0] for row in session.execute(text("SELECT action FROM console_audit"))]
    assert {"unanswered_everyday", "everyday_question_removed"} <= set(actions)


def test_only_editors_mark_private_matters(cards):
    account("nhan.vien", "staff")
    web = client()
    token = login(web, "nhan.vien")
    assert web.get("/unanswered/everyday-questions").status_code == 403
    marking = {"ids": ["1"], "question": "x", "csrf_token": token}
    assert web.post("/unanswered/everyday", data=marking).status_code == 403
    assert web.post("/unanswered/everyday-questions/remove", data={"id": "1", "csrf_token": token}).status_code == 403
