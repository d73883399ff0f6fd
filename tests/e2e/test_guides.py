"""Walkthroughs through the running stack."""

import httpx

from console.figures import ratings_summary
from knowledge import store
from knowledge.answers import payload
from knowledge.guides import all_guides
from tests.e2e.conftest import button_titles, texts

NEXT, TROUBLE, STOP = "/guide_next", "/guide_trouble", "/guide_stop"


def test_the_whole_account_walkthrough_then_a_rating(chat):
    guide = all_guides()["account"]
    replies = chat.say("em muốn tạo tài khoản vneid")
    assert guide.intro in texts(replies)
    assert f"Bước 1/{len(guide.steps)}" in texts(replies)
    assert button_titles(replies) == ["Xong, bước tiếp theo", "Tôi gặp khó khăn", "Dừng lại"]
    for number in range(2, len(guide.steps) + 1):
        assert f"Bước {number}/{len(guide.steps)}" in texts(chat.say(NEXT))
    finish = chat.say(NEXT)
    assert "1 đến 5 sao" in texts(finish)
    assert "5 ★" in button_titles(finish)
    assert "cảm ơn" in texts(chat.say(payload("rate", score="5")))
    assert "chỉ ghi nhận đánh giá" in texts(chat.say(payload("rate", score="1")))  # once per walkthrough


def test_each_trouble_branch_returns_to_the_main_path(chat):
    guide = all_guides()["account"]
    for trouble in guide.troubles:
        chat.say("/create_account")
        chat.say(NEXT)  # now at step 2
        chosen = chat.say(payload("guide_trouble", trouble=trouble.id))
        assert trouble.steps[0][:40] in texts(chosen)
        for _ in trouble.steps[1:]:
            chat.say(NEXT)
        back = texts(chat.say(NEXT))
        assert "quay lại bước 2" in back
        assert "Bước 2/" in back


def test_trouble_menu_offers_the_troubles_of_the_step(chat):
    guide = all_guides()["account"]
    chat.say("/create_account")
    titles = button_titles(chat.say("tôi gặp khó khăn"))
    offered = guide.steps[0].troubles or [t.id for t in guide.troubles]
    assert titles[: len(offered)] == [guide.trouble(t).title for t in offered]


def test_an_interruption_then_resumption_at_the_same_step(chat):
    chat.say("/create_account")
    chat.say(NEXT)
    chat.say(NEXT)  # step 3
    answer = chat.say("làm hộ chiếu mất bao lâu")
    assert store.get_card("procedure", "ho-chieu").name in texts(answer)
    assert "tiếp tục hướng dẫn" in texts(answer)
    assert "Bước 3/" in texts(chat.say("tiếp tục"))


def test_restart_after_the_conversation_was_idle(chat, stack):
    chat.say("/create_account")
    chat.say(NEXT)
    # The session expires (60 minutes idle): Rasa starts a new session.
    restart = httpx.post(
        stack.api(f"/conversations/{chat.sender}/tracker/events"),
        json=[{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
    )
    assert restart.status_code == 200
    assert "Bước 2/" not in texts(chat.say("xin chào"))
    assert "Bước 2/" in texts(chat.say("tiếp tục"))


def test_stop_then_resume(chat):
    chat.say("/create_account")
    chat.say(NEXT)
    assert "dừng ở bước 2" in texts(chat.say(STOP))
    assert "Bước 2/" in texts(chat.say("làm tiếp"))


def _submission(chat, procedure: str) -> list[dict]:
    return chat.say(payload("submit_online", procedure=procedure))


def test_submission_fully_online_with_checklist_reporting_missing_documents(chat):
    card = store.get_card("procedure", "khai-sinh")
    assert card.online.level == "toan-trinh"
    start = _submission(chat, card.id)
    assert "hoàn toàn trực tuyến" in texts(start)
    for document in card.documents:
        assert document.name in texts(start)
    ticked = chat.say(payload("guide_have", document="0"))
    assert f"✓ 1. {card.documents[0].name}" in texts(ticked)
    checked = texts(chat.say("/guide_checked"))
    assert "còn thiếu" in checked
    assert card.documents[0].name not in checked.split("còn thiếu")[1].split("Bước")[0]
    for document in card.documents[1:]:
        assert document.name in checked
    assert "Bước 1/" in checked
    submit = all_guides()["submit"]
    for _ in submit.steps[1:]:
        chat.say(NEXT)
    finish = texts(chat.say(NEXT))
    assert "mã hồ sơ" in finish
    chat.say(payload("rate", score="4"))
    assert ("submit", "khai-sinh", "rest", 1, 4.0) in ratings_summary()


def test_submission_partly_online(chat):
    card = store.get_card("procedure", "ket-hon")
    assert card.online.level == "mot-phan"
    assert "một phần" in texts(_submission(chat, card.id))


def test_submission_in_person_only_says_where_to_go(chat):
    card = store.get_card("procedure", "chung-thuc-ban-sao")
    assert card.online.level == "khong"
    answer = texts(_submission(chat, card.id))
    assert "chưa nộp trực tuyến được" in answer
    assert (card.where or card.agency) in answer


def test_submission_asks_which_procedure_when_none_is_known(chat):
    assert "thủ tục nào" in texts(chat.say("chỉ tôi nộp hồ sơ trực tuyến"))


def test_resume_with_nothing_in_progress_offers_the_guides(chat):
    replies = chat.say("tiếp tục")
    assert "chưa có hướng dẫn nào đang làm dở" in texts(replies)
    assert button_titles(replies) == ["Tạo tài khoản", "Nộp hồ sơ trực tuyến"]


def test_a_rating_outside_the_rating_step_counts_for_nothing(chat):
    before = ratings_summary()
    for score in ("1", "9"):
        assert "chỉ ghi nhận đánh giá khi anh/chị làm xong" in texts(chat.say(payload("rate", score=score)))
    assert ratings_summary() == before
