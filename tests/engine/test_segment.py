"""Vietnamese segmentation and the Rasa tokenizer: offsets are exact."""

import unicodedata
from itertools import pairwise

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.segment import segment
from nlu.tokenizer import VietnameseTokenizer

SAMPLES = [
    "Làm giấy khai sinh ở Hà Nội cần những gì?",
    "lam giay khai sinh o ha noi can nhung gi",
    "ĐĂNG KÝ Thường Trú cho con ạ!!!",
    "dk tạm trú 😀😀 ở đâu vậy ad???",
    "Hồ sơ H29.22-240903-0007 của tôi (nộp hôm qua) đến đâu rồi?",
    "  nhiều   khoảng   trắng \t và\nxuống dòng  ",
    unicodedata.normalize("NFD", "Đăng ký kết hôn với người nước ngoài"),
    "email: a@b.com, lệ phí 100.000đ, 2,5 triệu",
    ("Xin cho biết thành phần, số lượng hồ sơ khi thực hiện thủ tục đăng ký thường trú. " * 60).strip(),
]


@pytest.mark.parametrize("text", SAMPLES)
def test_every_word_is_the_exact_substring_at_its_offsets(text):
    words = segment(text)
    assert words
    for word in words:
        assert text[word.start : word.end] == word.text
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in pairwise(words))


def test_syllables_of_a_word_are_joined_and_folded():
    lemmas = [w.lemma for w in segment("Làm giấy khai sinh ở Hà Nội")]
    assert "ha_noi" in lemmas
    assert "khai_sinh" in lemmas


def test_with_and_without_diacritics_give_the_same_lemmas_per_syllable():
    with_marks = "_".join(w.lemma for w in segment("đăng ký thường trú"))
    without = "_".join(w.lemma for w in segment("dang ky thuong tru"))
    assert with_marks.replace("_", "") == without.replace("_", "")


def test_abbreviations_become_words_but_particles_do_not():
    lemmas = {w.text: w.lemma for w in segment("đk cccd ko được ạ")}
    assert lemmas["đk"] == "dang_ky"
    assert lemmas["cccd"] == "can_cuoc_cong_dan"
    assert lemmas["ko"] == "khong"
    assert lemmas["ạ"] == "a"


def test_dossier_code_is_one_word():
    words = segment("ma ho so UBND. H29.22-240903-0007 nhe")
    assert "H29.22-240903-0007" in [w.text for w in words]


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", "!!!", "😀"])
def test_empty_or_symbol_only_messages_do_not_fail(text):
    assert segment(text) == []


def _tokens(text):
    message = Message({TEXT: text})
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    tokenizer.process([message])
    return message.get(TOKENS_NAMES[TEXT])


@pytest.mark.parametrize("text", SAMPLES)
def test_rasa_tokens_round_trip(text):
    for token in _tokens(text):
        assert text[token.start : token.end] == token.text


@pytest.mark.parametrize("text", ["", "   ", "😀😀"])
def test_rasa_tokenizer_accepts_empty_and_emoji_messages(text):
    tokens = _tokens(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
