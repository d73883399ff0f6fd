"""Rendering bot responses: splitting, buttons, numbered options, callback data."""

from __future__ import annotations

import pytest

from channels.memory import ExpiringMap
from channels.render import (
    CALLBACK_DATA_BYTES,
    CHOOSE_BELOW,
    TELEGRAM,
    TYPE_A_NUMBER,
    ZALO_OA,
    CallbackData,
    Option,
    OptionMemory,
    compact_payload,
    render,
    split_text,
    utf16_length,
)

SENTENCE = "Công dân nộp tờ khai đăng ký khai sinh tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ. "
BUTTONS = [
    {"title": "Giấy tờ cần chuẩn bị", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "documents"}'},
    {"title": "Lệ phí", "payload": '/ask_procedure{"procedure": "khai-sinh", "aspect": "fees"}'},
    {"title": "Cổng Dịch vụ công", "url": "https://dichvucong.gov.vn"},
]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_short_text_is_one_piece() -> None:
    assert split_text("  Dạ, em chào anh/chị ạ.  ", 2000) == ["Dạ, em chào anh/chị ạ."]
    assert split_text("   ", 2000) == []


def test_long_text_is_split_on_sentence_boundaries_within_the_limit() -> None:
    text = SENTENCE * 60  # about 5,800 characters, no paragraph breaks
    chunks = split_text(text, 2000)
    assert len(chunks) == 3
    assert all(len(c) <= 2000 for c in chunks)
    assert all(c.endswith("cha hoặc mẹ.") for c in chunks)  # no sentence cut in two
    assert " ".join(chunks) == text.strip()


def test_paragraphs_are_preferred_to_sentences() -> None:
    first, second = "A" * 1200 + ".", "B" * 1200 + "."
    assert split_text(f"{first}\n\n{second}", 2000) == [first, second]


def test_a_sentence_longer_than_the_limit_is_cut_between_words_then_characters() -> None:
    words = "thủ tục " * 400
    chunks = split_text(words, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks).split() == words.split()
    assert split_text("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]


def test_telegram_counts_utf16_units() -> None:
    assert utf16_length("😀") == 2
    chunks = split_text("😀" * 3000, 4096, utf16_length)
    assert [utf16_length(c) for c in chunks] == [4096, 1904]


def test_zalo_gets_numbered_options_and_links_as_text() -> None:
    rendered = render({"text": "Dạ, anh/chị muốn biết thêm gì ạ?", "buttons": BUTTONS}, ZALO_OA)
    assert [p.text for p in rendered.parts] == [
        "Dạ, anh/chị muốn biết thêm gì ạ?\n\n"
        "1. Giấy tờ cần chuẩn bị\n2. Lệ phí\n" + TYPE_A_NUMBER + "\n• Cổng Dịch vụ công: https://dichvucong.gov.vn"
    ]
    assert [o.title for o in rendered.numbered] == ["Giấy tờ cần chuẩn bị", "Lệ phí"]
    assert all(not p.buttons for p in rendered.parts)


def test_numbering_continues_within_a_turn() -> None:
    rendered = render({"text": "Còn gì nữa ạ?", "buttons": BUTTONS[:1]}, ZALO_OA, first_number=3)
    assert "3. Giấy tờ cần chuẩn bị" in rendered.parts[0].text


def test_telegram_gets_native_buttons_on_the_last_piece() -> None:
    rendered = render({"text": SENTENCE * 60, "buttons": BUTTONS}, TELEGRAM)
    assert len(rendered.parts) == 2
    assert rendered.parts[0].buttons == ()
    assert [o.title for o in rendered.parts[1].buttons] == [b["title"] for b in BUTTONS]
    assert rendered.parts[1].buttons[2] == Option("Cổng Dịch vụ công", url="https://dichvucong.gov.vn")
    assert rendered.numbered == ()


def test_buttons_without_text_still_have_a_text() -> None:
    assert render({"buttons": BUTTONS[:1]}, TELEGRAM).parts[0].text == CHOOSE_BELOW


def test_images_and_custom_responses() -> None:
    rendered = render(
        {"text": "Mẫu tờ khai:", "image": "https://example.gov.vn/to-khai.png", "custom": {"text": "Thêm."}}, ZALO_OA
    )
    assert [(p.text, p.image) for p in rendered.parts] == [
        ("Mẫu tờ khai:\n\nThêm.", None),
        ("", "https://example.gov.vn/to-khai.png"),
    ]
    assert render({"custom": {"some": "json"}}, ZALO_OA).parts == ()  # never raw JSON for a citizen


def test_malformed_buttons_are_skipped() -> None:
    rendered = render({"text": "x", "buttons": [{"title": "no payload"}, "junk", {"payload": "/help"}]}, TELEGRAM)
    assert rendered.parts[0].buttons == ()


def test_typed_number_picks_the_option_shown_last_turn_only() -> None:
    memory = OptionMemory()
    memory.add("u1", render({"text": "?", "buttons": BUTTONS}, ZALO_OA).numbered)
    assert memory.take("u1", " 2 ") == BUTTONS[1]["payload"]
    # Spent: the same number later is plain text again.
    assert memory.take("u1", "2") == "2"


@pytest.mark.parametrize("typed", ["1", "1.", "số 1", "1 ạ"])
def test_ways_of_typing_a_number(typed: str) -> None:
    memory = OptionMemory()
    memory.add("u1", [Option("A", payload="/a")])
    assert memory.take("u1", typed) == "/a"


def test_numbers_out_of_range_or_other_senders_are_text() -> None:
    memory = OptionMemory()
    memory.add("u1", [Option("A", payload="/a")])
    assert memory.take("u2", "1") == "1"
    assert memory.take("u1", "7") == "7"


def test_options_expire() -> None:
    clock = Clock()
    memory = OptionMemory(ttl=60, clock=clock)
    memory.add("u1", [Option("A", payload="/a")])
    clock.now = 61
    assert memory.take("u1", "1") == "1"


def test_options_of_one_turn_accumulate() -> None:
    memory = OptionMemory()
    memory.add("u1", [Option("A", payload="/a")])
    assert memory.next_number("u1") == 2
    memory.add("u1", [Option("B", payload="/b")])
    assert memory.take("u1", "2") == "/b"


def test_callback_data_carries_short_payloads_compacted() -> None:
    callbacks = CallbackData()
    payload = '/ask_procedure{"procedure": "khai-sinh", "aspect": "fees"}'
    encoded = callbacks.encode(payload)
    assert encoded == '/ask_procedure{"procedure":"khai-sinh","aspect":"fees"}'
    assert callbacks.decode(encoded) == encoded


def test_callback_data_maps_long_payloads_to_short_ids() -> None:
    callbacks = CallbackData()
    payload = '/ask_procedure{"procedure": "dang-ky-thuong-tru-cho-nguoi-chua-thanh-nien", "aspect": "documents"}'
    encoded = callbacks.encode(payload)
    assert len(encoded.encode()) <= CALLBACK_DATA_BYTES
    assert encoded.startswith("~")
    assert callbacks.decode(encoded) == payload
    assert CallbackData().decode(encoded) is None  # another process (or after a restart): expired


def test_compact_payload_leaves_other_text_alone() -> None:
    assert compact_payload("/greet") == "/greet"
    assert compact_payload("/x{not json}") == "/x{not json}"
    assert compact_payload('/x{"a": "đ"}') == '/x{"a":"đ"}'


def test_expiring_map_expires_and_caps() -> None:
    clock = Clock()
    seen: ExpiringMap[str, bool] = ExpiringMap(ttl=10, max_items=2, clock=clock)
    seen.put("a", True)
    assert seen.get("a") is True
    seen.put("b", True)
    seen.put("c", True)
    assert seen.get("a") is None  # capped: the oldest went first
    assert len(seen) == 2
    clock.now = 11
    assert len(seen) == 0
    assert seen.get("b") is None
