"""Procedures without a card, in the action: the catalog's facts, a choice,
or an honest abstention — never a card the NLU did not name."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.procedures import ActionAnswerProcedure
from database import session_scope
from knowledge import catalog_store, store
from knowledge.unanswered import UnansweredQuestion
from settings import get_settings
from tests.app.test_catalog_import import EXPORT, portal


@pytest.fixture
def known(database_url):
    store.import_files()
    catalog_store.import_catalog(EXPORT)


def tracker(
    text: str,
    catalog: list[dict],
    entities: dict | None = None,
    cards: list[dict] | None = None,
    everyday: dict | None = None,
    **slots: str,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": "ask_procedure", "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        "procedure_candidates": cards or [],
        "catalog_candidates": catalog,
        "everyday_matter": everyday,
    }
    events = [{"event": "user", "text": text, "input_channel": "telegram", "parse_data": latest}]
    return Tracker("telegram:5", dict(slots), latest, events, False, None, {}, "action_listen")


def run(tracker: Tracker) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    events = ActionAnswerProcedure().run(dispatcher, tracker, {})
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_clear_catalog_match_gets_its_facts_and_a_person(known):
    catalog = [{"code": "2.000002", "name": "Cấp lại thẻ ABTC", "score": 0.8}]
    messages, slots = run(tracker("thẻ ABTC hết hạn xin cấp lại thế nào", catalog))
    text = messages[0]["text"]
    assert "Cấp lại thẻ ABTC (mã 2.000002)" in text
    assert "Cơ quan thực hiện: Ủy ban nhân dân cấp xã" in text
    assert "/thu-tuc-hanh-chinh/page-2.000002" in text
    assert [b["title"] for b in messages[0]["buttons"]] == ["Gặp cán bộ"]
    assert slots == {"procedure": None}


def test_another_provinces_procedure_is_labelled(known):
    catalog = [{"code": "3.000003", "name": "Hỗ trợ doanh nghiệp bán dẫn", "score": 0.9}]
    messages, _ = run(tracker("hỗ trợ doanh nghiệp bán dẫn", catalog))
    assert "thủ tục riêng của Huế" in messages[0]["text"]


def test_an_unsure_match_offers_cards_and_entries_to_choose(known):
    catalog = [
        {"code": "1.000001", "name": "Đăng ký giám hộ", "score": 0.45},
        {"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "score": 0.42, "card": "khai-sinh"},
    ]
    messages, _ = run(tracker("cháu mồ côi tôi muốn đứng ra nhận nuôi", catalog))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == ['/ask_procedure{"catalog_code": "1.000001"}', '/ask_procedure{"procedure": "khai-sinh"}']
    assert messages[0]["buttons"][-1]["title"].startswith("Không phải")


def test_a_card_offered_among_entries_answers_the_aspect_asked(known):
    catalog = [
        {"code": "1.000001", "name": "Đăng ký giám hộ", "score": 0.45},
        {"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "score": 0.42, "card": "khai-sinh"},
    ]
    messages, _ = run(tracker("nhận nuôi cháu mồ côi thì lệ phí bao nhiêu", catalog, {"aspect": "fees"}))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[:2] == [
        '/ask_procedure{"catalog_code": "1.000001"}',
        '/ask_procedure{"procedure": "khai-sinh", "aspect": "fees"}',
    ]


@pytest.mark.parametrize(("card_score", "offered"), [(0.29, "procedure"), (0.15, "catalog_code")])
def test_a_card_without_a_national_code_is_offered_when_it_beats_the_entries(known, card_score, offered):
    """Such a card is never among the catalog candidates; the better match of the two is offered."""
    catalog = [{"code": "1.000001", "name": "Đăng ký giám hộ", "score": 0.16}]
    cards = [{"id": "nop-phat-giao-thong", "score": card_score}]
    messages, _ = run(tracker("đã bị lập biên bản, muốn nộp tiền phạt qua mạng", catalog, cards=cards))
    assert messages[0]["buttons"][0]["payload"].startswith(f'/ask_procedure{{"{offered}"')


def test_nothing_matched_abstains_and_offers_a_person(known):
    messages, _ = run(tracker("cho hỏi thủ tục xin cấp phép nuôi rồng kiểng trong nhà", []))
    assert messages[0]["response"] == "utter_abstain"


BANK_CARD = {"id": "bank-cards", "score": 0.7}


def test_a_private_matter_is_named_as_not_a_procedure_and_kept_for_editors(known):
    messages, slots = run(tracker("thẻ atm bị nuốt thì làm lại ở đâu", [], everyday=BANK_CARD, procedure="can-cuoc"))
    assert [m["response"] for m in messages] == ["utter_not_a_procedure"]
    assert slots == {"procedure": None}  # not a follow-up on the card in context
    with session_scope() as session:
        [kept] = session.scalars(select(UnansweredQuestion)).all()
    assert kept.reasons == {"everyday": 1}


def test_a_chosen_entry_is_answered(known):
    messages, _ = run(tracker('/ask_procedure{"catalog_code": "1.000001"}', [], {"catalog_code": "1.000001"}))
    assert "Đăng ký giám hộ (mã 1.000001)" in messages[0]["text"]


def test_a_catalog_question_does_not_fall_back_to_the_card_in_context(known):
    catalog = [{"code": "2.000002", "name": "Cấp lại thẻ ABTC", "score": 0.8}]
    messages, _ = run(tracker("thẻ ABTC thì sao", catalog, procedure="khai-sinh"))
    assert "2.000002" in messages[0]["text"]


def test_the_same_procedure_at_other_levels_is_named_with_its_agency(database_url, monkeypatch):
    """The catalog lists one procedure per level under one name: the answer names
    each, with its agency and code, so a citizen finds theirs; another
    province's own procedure of that name is left out."""
    monkeypatch.setenv("TTHC_PROVINCE", "Huế")
    get_settings.cache_clear()
    store.import_files()
    catalog_store.import_catalog([
        portal("1.115231", "Đăng ký mẫu con dấu mới"),
        portal("2.001428", "Đăng ký mẫu con dấu mới (thực hiện tại cấp tỉnh)", authority="Bộ Công an"),
        portal("3.000111", "Đăng ký mẫu con dấu mới", "SPECIFIC", "UBND Tỉnh Lào Cai"),
    ])  # fmt: skip
    catalog = [{"code": "2.001428", "name": "Đăng ký mẫu con dấu mới", "score": 0.8, "siblings": ["1.115231"]}]
    messages, _ = run(tracker("hội mới lập, khắc dấu xong đăng ký mẫu dấu ở đâu", catalog))
    text = messages[0]["text"]
    assert "(mã 2.001428)" in text
    assert "Cùng thủ tục này tại Ủy ban nhân dân cấp xã: mã 1.115231" in text
    assert "3.000111" not in text
    get_settings.cache_clear()


@pytest.fixture
def with_foreign_variant(database_url):
    store.import_files()
    catalog_store.import_catalog([*EXPORT, portal("2.000806", "Thủ tục đăng ký kết hôn có yếu tố nước ngoài")])


_MARRIAGE = [{"id": "ket-hon", "score": 0.8}]


@pytest.mark.parametrize(
    "text", ["đăng ký kết hôn với người Hàn Quốc cần giấy tờ gì", "lay chong dai loan lam giay to gi"]
)
def test_a_foreign_party_is_pointed_to_the_procedure_with_a_foreign_element(with_foreign_variant, text):
    """The home card answers ("Đăng ký kết hôn" is for two Vietnamese citizens),
    then the citizen is told of the other procedure, with a button to it."""
    messages, slots = run(tracker(text, [], {"procedure": "ket-hon"}, cards=_MARRIAGE))
    assert messages[0]["text"].startswith("Đăng ký kết hôn")
    note = next(m for m in messages if m.get("response") == "utter_foreign_variant")
    assert (note["name"], note["code"]) == ("Thủ tục đăng ký kết hôn có yếu tố nước ngoài", "2.000806")
    assert [b["payload"] for b in note["buttons"]] == ['/ask_procedure{"catalog_code": "2.000806"}']
    assert slots == {"procedure": "ket-hon"}


@pytest.mark.parametrize(
    ("text", "cards"),
    [
        ("đăng ký kết hôn giữa hai công dân Việt Nam cần giấy tờ gì", _MARRIAGE),  # no foreign party
        ("làm hộ chiếu cho chồng người Hàn Quốc", [{"id": "ho-chieu", "score": 0.8}]),  # no such variant
        ("đăng ký kết hôn cho bố tôi, cựu chiến binh chống Mỹ", _MARRIAGE),  # "chống", not "chồng"
    ],
)
def test_no_pointer_without_a_foreign_party_or_a_variant(with_foreign_variant, text, cards):
    messages, _ = run(tracker(text, [], {"procedure": cards[0]["id"]}, cards=cards))
    assert messages and all(m.get("response") != "utter_foreign_variant" for m in messages)


def test_the_pointer_follows_the_card_chosen_by_a_button_after_a_foreign_party_question(with_foreign_variant):
    """Unsure, the assistant asked "có phải …?"; the citizen's button carries
    only the card: the question the buttons answered names the foreign party."""
    chosen = tracker('/ask_procedure{"procedure": "ket-hon"}', [], {"procedure": "ket-hon"}, cards=_MARRIAGE)
    asked = {"event": "user", "text": "lấy chồng Hàn Quốc thì làm giấy tờ gì", "parse_data": {}}
    chosen.events.insert(0, asked)
    messages, _ = run(chosen)
    assert any(m.get("response") == "utter_foreign_variant" for m in messages)


def test_no_pointer_when_the_question_before_the_button_names_no_foreign_party(with_foreign_variant):
    chosen = tracker('/ask_procedure{"procedure": "ket-hon"}', [], {"procedure": "ket-hon"}, cards=_MARRIAGE)
    chosen.events.insert(0, {"event": "user", "text": "đăng ký kết hôn ở đâu", "parse_data": {}})
    messages, _ = run(chosen)
    assert messages and all(m.get("response") != "utter_foreign_variant" for m in messages)


def test_an_aspect_button_on_the_card_in_focus_does_not_repeat_the_pointer(with_foreign_variant):
    """The card's follow-up buttons ("Lệ phí") send the same card again: the
    citizen has been told of the other procedure already."""
    fees = tracker(
        '/ask_procedure{"procedure": "ket-hon", "aspect": "fees"}',
        [],
        {"procedure": "ket-hon", "aspect": "fees"},
        cards=_MARRIAGE,
        procedure="ket-hon",
    )
    fees.events.insert(0, {"event": "user", "text": "lấy chồng Hàn Quốc thì làm giấy tờ gì", "parse_data": {}})
    messages, _ = run(fees)
    assert messages and all(m.get("response") != "utter_foreign_variant" for m in messages)


def test_the_question_behind_several_buttons_is_the_last_one_typed(with_foreign_variant):
    chosen = tracker('/ask_procedure{"procedure": "ket-hon"}', [], {"procedure": "ket-hon"}, cards=_MARRIAGE)
    chosen.events[:0] = [
        {"event": "user", "text": "lấy chồng Hàn Quốc thì làm giấy tờ gì", "parse_data": {}},
        {"event": "user", "text": "/help", "parse_data": {}},
    ]
    messages, _ = run(chosen)
    assert any(m.get("response") == "utter_foreign_variant" for m in messages)
