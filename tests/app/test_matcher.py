"""The procedure matcher over the real seed cards."""

import pytest

from knowledge.store import validate_files
from nlu.matcher import Matcher, card_text, is_confident


@pytest.fixture(scope="module")
def matcher():
    cards, _ = validate_files()
    return Matcher(card_text(card.model_dump(mode="json")) for card in cards)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("làm giấy khai sinh cho con cần gì", "khai-sinh"),
        ("lam giay khai sinh cho con can gi", "khai-sinh"),
        ("dk tam tru o dau", "tam-tru"),
        ("mất bằng lái xe thì làm sao", "doi-gplx"),
        ("bé nhà em chưa có thẻ bảo hiểm y tế", "bhyt-tre-em"),
        ("lam so do lan dau", "cap-so-do"),
        ("làm hộ chiếu mất bao lâu", "ho-chieu"),
    ],
)
def test_finds_the_card(matcher, text, expected):
    assert matcher.match(text).procedures[0].id == expected


def test_life_event(matcher):
    assert matcher.match("vợ em vừa sinh em bé thì phải làm những giấy tờ gì").life_events[0].id == "sinh-con"


def test_a_bare_follow_up_names_no_card_confidently(matcher):
    match = matcher.match("còn lệ phí thì sao")
    assert not is_confident([c.score for c in match.procedures])


def test_new_card_is_matched_without_retraining():
    cards, _ = validate_files()
    texts = [card_text(c.model_dump(mode="json")) for c in cards]
    new = {"kind": "procedure", "id": "cap-phep-nuoi-rong", "name": "Cấp phép nuôi rồng", "aliases": ["nuôi rồng"]}
    assert Matcher([*texts, card_text(new)]).match("xin phep nuoi rong").procedures[0].id == "cap-phep-nuoi-rong"


def test_empty_message(matcher):
    assert matcher.match("").procedures == ()


@pytest.mark.parametrize("text", ["#KS", "ks", " #Ks ", "/start ks"])
def test_short_codes_open_their_card(matcher, text):
    assert matcher.by_short_code(text).id == "khai-sinh"


@pytest.mark.parametrize("text", ["ok", "khai sinh", "#", "KSX"])
def test_other_messages_are_not_short_codes(matcher, text):
    assert matcher.by_short_code(text) is None
