"""Answers rendered from cards: short, factual, honest about gaps."""

import json

import pytest

from knowledge.answers import (
    ASPECT_LABELS,
    answer_life_event,
    answer_procedure,
    ask_which,
    card_choice,
    payload,
    short_title,
)
from knowledge.schema import ASPECTS, Fee, LifeEventCard, ProcedureCard
from knowledge.store import validate_files

ZALO_LIMIT = 2000


@pytest.fixture(scope="module")
def cards():
    cards, _ = validate_files()
    return {(c.kind, c.id): c for c in cards}


def test_every_aspect_of_every_card_renders_within_channel_limits(cards):
    for card in cards.values():
        if not isinstance(card, ProcedureCard):
            continue
        for aspect in (None, *ASPECTS):
            answer = answer_procedure(card, aspect)
            assert len(answer.text) <= ZALO_LIMIT, (card.id, aspect)
            assert card.reviewed_at.strftime("%d/%m/%Y") in answer.text
            assert all(len(b.title) <= 40 for b in answer.buttons)


def test_fee_answer_comes_from_the_card_per_channel(cards):
    card = cards[("procedure", "khai-sinh")]
    answer = answer_procedure(card, "fees")
    for fee in card.fees:
        assert fee.text in answer.text
    assert ASPECT_LABELS["fees"] not in [b.title for b in answer.buttons]
    assert ASPECT_LABELS["documents"] in [b.title for b in answer.buttons]


def test_missing_fact_is_said_to_be_missing_never_invented(cards):
    card = cards[("procedure", "khai-sinh")].model_copy(update={"fees": [], "time": None})
    fees = answer_procedure(card, "fees").text
    assert "chưa có thông tin về lệ phí" in fees
    assert "đồng" not in fees
    assert "chưa có thông tin về thời gian" in answer_procedure(card, "time").text


def test_buttons_carry_ids_not_text(cards):
    answer = answer_procedure(cards[("procedure", "can-cuoc")], "documents")
    for button in answer.buttons:
        intent, _, entities = button.payload.partition("{")
        assert intent.startswith("/")
        assert json.loads("{" + entities)["procedure"] == "can-cuoc"


def test_life_event_answer_lists_steps_in_order_each_a_button(cards):
    event = cards[("life_event", "sinh-con")]
    assert isinstance(event, LifeEventCard)
    names = {c.id: c.name for c in cards.values() if isinstance(c, ProcedureCard)}
    answer = answer_life_event(event, names)
    assert [b.payload for b in answer.buttons] == [payload("ask_procedure", procedure=s.procedure) for s in event.steps]
    assert answer.text.index(names["khai-sinh"]) < answer.text.index(names["bhyt-tre-em"])


def test_unsure_match_names_the_procedures_whole_though_buttons_are_short():
    name = "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ dưới 6 tuổi"
    answer = ask_which([(card_choice("lien-thong-khai-sinh"), name)])
    assert f'"{name}"' in answer.text
    assert answer.buttons[0].title == short_title(name) != name


def test_unsure_match_asks_with_candidates():
    options = [("khai-sinh", "Đăng ký khai sinh"), ("trich-luc-ho-tich", "Cấp bản sao trích lục hộ tịch")]
    answer = ask_which([(card_choice(card_id), name) for card_id, name in options])
    assert answer.text.startswith("Dạ, có phải anh/chị hỏi về")
    assert [b.payload for b in answer.buttons][:2] == [
        payload("ask_procedure", procedure="khai-sinh"),
        payload("ask_procedure", procedure="trich-luc-ho-tich"),
    ]


def test_short_title_cuts_on_a_word():
    title = short_title("Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ BHYT cho trẻ dưới 6 tuổi")
    assert len(title) <= 40
    assert title.endswith("…")


def test_fee_model_rejects_unknown_channel():
    with pytest.raises(ValueError):
        Fee(channel="pigeon", text="0")
