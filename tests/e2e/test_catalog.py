"""Procedures without a card, through the running stack: the national
catalog's facts, other provinces labelled, asking by code, and an honest
"em chưa có thông tin" instead of an unrelated card."""

from tests.e2e.conftest import button_titles, texts

PORTAL_PAGE = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"


def test_a_catalog_only_question_gets_its_name_code_agency_and_link(chat):
    replies = chat.say("Hồ sơ dán nhãn năng lượng gồm những gì?")
    answer = texts(replies)
    assert "dán nhãn năng lượng" in answer.lower()
    assert "2.001734" in answer
    assert "Cơ quan thực hiện:" in answer
    assert PORTAL_PAGE in answer
    assert "Gặp cán bộ" in button_titles(replies)
    assert "Lệ phí" not in button_titles(replies)  # no card: no card's aspect buttons


def test_a_provincial_procedure_of_another_province_is_labelled(chat):
    answer = texts(chat.say("thủ tục 3.000616"))
    assert "3.000616" in answer
    assert "thủ tục riêng của Huế" in answer


def test_asking_by_the_code_of_a_card_opens_the_card(chat):
    answer = texts(chat.say("cho hỏi thủ tục 1.001193"))
    assert answer.startswith("Đăng ký khai sinh")


def test_an_unrelated_question_gets_an_honest_answer_and_a_person_not_a_card(chat):
    replies = chat.say("cho em hỏi thủ tục đăng ký học bơi mùa hè cho con ở bể bơi gần nhà")
    answer = texts(replies)
    assert any(honest in answer for honest in ("chưa có thông tin", "chưa hỗ trợ", "không phải thủ tục")), answer
    assert "Gặp cán bộ" in button_titles(replies)
    assert "rà soát ngày" not in answer  # no card was answered


def test_a_private_matter_that_borrows_a_cards_words_is_named_as_not_a_procedure(chat):
    """A bank's ATM card is "làm lại thẻ" as the citizen-ID card is; the answer
    says what it is about instead of naming that card."""
    replies = chat.say("thẻ ATM bị nuốt mất rồi thì làm lại thế nào ạ")
    answer = texts(replies)
    assert "không phải thủ tục hành chính" in answer
    assert "Gặp cán bộ" in button_titles(replies)
    assert "căn cước" not in answer.split("ví dụ")[0]  # no card named before the example


def test_a_question_about_nothing_known_is_not_answered_with_a_card(chat):
    replies = chat.say("cho hỏi thủ tục xin cấp phép nuôi rồng kiểng trong nhà")
    assert "rà soát ngày" not in texts(replies)


def test_a_catalog_choice_button_answers_that_entry(chat):
    answer = texts(chat.say('/ask_procedure{"catalog_code": "2.000293"}'))
    assert "2.000293" in answer and "ABTC" in answer


def test_an_unsure_card_is_offered_beside_the_likely_procedure_without_a_card(chat):
    """A lost licence names the renewal card, unsure: the reissue, which has no
    card, is offered beside it, and its button answers the catalog's facts."""
    replies = chat.say("mất bằng lái xe thì làm lại thế nào")
    titles = button_titles(replies)
    assert titles[:2] == ["Cấp đổi giấy phép lái xe", "Cấp lại giấy phép lái xe"]
    assert "rà soát ngày" not in texts(replies)  # asked, not answered
    answer = texts(chat.say('/ask_procedure{"catalog_code": "3.000348"}'))
    assert "3.000348" in answer
