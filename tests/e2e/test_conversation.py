"""Conversations through the running stack: web chat -> Rasa -> action server."""

import time

from knowledge import store
from knowledge.answers import payload
from tests.e2e.conftest import button_titles, texts

MENU = ["Hỏi thủ tục", "Tra cứu hồ sơ", "Tạo tài khoản", "Nộp hồ sơ trực tuyến", "Gặp cán bộ"]


def test_greeting_shows_the_main_menu(chat):
    replies = chat.say("xin chào")
    assert texts(replies).startswith("Dạ, em chào anh/chị")
    assert button_titles(replies) == MENU


def test_greeting_without_diacritics(chat):
    assert button_titles(chat.say("chao ad")) == MENU


def test_help_goodbye_thanks(chat):
    assert button_titles(chat.say("bạn giúp được gì")) == MENU
    assert "không có gì" in texts(chat.say("cảm ơn nhé"))
    assert "em chào anh/chị" in texts(chat.say("tạm biệt"))


def test_out_of_scope_says_what_the_assistant_does(chat):
    replies = chat.say("thời tiết hôm nay thế nào")
    assert "chưa hỗ trợ" in texts(replies)
    assert button_titles(replies) == MENU


def test_handoff_gives_the_configured_hotline(chat):
    replies = chat.say("cho tôi gặp cán bộ")
    assert "1900 0000" in texts(replies)


def test_menu_button_payloads_work(chat):
    assert "mã hồ sơ" in texts(chat.say("/check_status"))
    assert "VNeID" in texts(chat.say("/create_account"))


def test_procedure_question_gets_the_aspect_asked_then_follow_up_keeps_context(chat):
    card = store.get_card("procedure", "khai-sinh")
    replies = chat.say("lam giay khai sinh cho con can giay to gi")
    answer = texts(replies)
    assert card.name in answer
    assert card.documents[0].name in answer
    assert card.reviewed_at.strftime("%d/%m/%Y") in answer
    assert "Lệ phí" in button_titles(replies)

    follow_up = texts(chat.say("còn lệ phí thì sao?"))
    assert card.fees[0].text in follow_up


def test_aspect_button_answers_that_aspect(chat):
    card = store.get_card("procedure", "ho-chieu")
    answer = texts(chat.say(payload("ask_procedure", procedure="ho-chieu", aspect="time")))
    assert card.time in answer


def test_unsure_match_offers_candidates_and_the_choice_is_answered(chat):
    replies = chat.say("chứng thực")
    assert texts(replies).startswith("Dạ, có phải anh/chị hỏi về")
    choices = [b for r in replies for b in r.get("buttons", []) if "procedure" in b["payload"]]
    assert len(choices) >= 2
    chosen = choices[0]
    answer = texts(chat.say(chosen["payload"]))
    procedure_id = chosen["payload"].split('"procedure": "')[1].split('"')[0]
    assert store.get_card("procedure", procedure_id).name in answer


def test_life_event_answers_the_bundle_in_order(chat):
    replies = chat.say("vợ em vừa sinh em bé thì cần làm những giấy tờ gì")
    event = store.get_card("life_event", "sinh-con")
    payloads = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert payloads == [payload("ask_procedure", procedure=s.procedure) for s in event.steps]


def _until(ask, expected: str, seconds: float = 10) -> str:
    deadline = time.monotonic() + seconds
    answer = ask()
    while expected not in answer and time.monotonic() < deadline:
        time.sleep(0.5)
        answer = ask()
    return answer


def test_an_edited_fact_is_answered_without_retraining(chat):
    card = store.get_card("procedure", "ket-hon")
    new_time = "Ngay trong ngày làm việc (đã cập nhật cho kiểm thử)."
    store.save_card(card.model_copy(update={"time": new_time}), author="e2e")
    assert new_time in _until(lambda: texts(chat.say("đăng ký kết hôn mất bao lâu")), new_time)


def test_a_new_alias_is_matched_within_seconds_without_retraining(chat):
    card = store.get_card("procedure", "xac-nhan-hon-nhan")
    store.save_card(card.model_copy(update={"aliases": [*card.aliases, "giấy chứng nhận độc thân vui tính"]}), "e2e")
    answer = _until(lambda: texts(chat.say("giay chung nhan doc than vui tinh")), card.name)
    assert card.name in answer


def test_a_short_code_from_a_poster_opens_its_card(chat):
    card = store.get_card("procedure", "khai-sinh")
    assert card.name in texts(chat.say(f"#{card.short_code}"))
    event = store.get_card("life_event", "sinh-con")
    assert len(chat.say(event.short_code.lower())[0]["buttons"]) == len(event.steps)


def test_a_procedure_question_that_also_fits_a_life_event_gets_the_procedure(chat):
    card = store.get_card("procedure", "nop-phat-giao-thong")
    assert texts(chat.say("xe bị phạt nguội")).startswith(card.name)
