"""Text normalisation: run in both environments (Python 3.10 and 3.11+)."""

import unicodedata

import pytest

from nlu.aspects import detect_aspect
from nlu.text import find_dossier_codes, fold, is_only_dossier_codes, nfc_with_offsets, normalize


def test_fold_removes_diacritics_and_keeps_length():
    text = "Đăng ký KHAI SINH ở Hà Nội, Hoà Bình"
    assert fold(text) == "dang ky khai sinh o ha noi, hoa binh"
    assert len(fold(text)) == len(unicodedata.normalize("NFC", text))


def test_fold_of_decomposed_text_equals_fold_of_composed_text():
    composed = "Thường trú"
    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed)


def test_nfc_offsets_point_back_into_the_original():
    original = unicodedata.normalize("NFD", "Đăng ký")
    composed, starts, ends = nfc_with_offsets(original)
    assert composed == "Đăng ký"
    assert original[starts[0] : ends[3]] == unicodedata.normalize("NFD", "Đăng")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dk ks o dau", "dang ky ks o dau"),
        ("Đk   tạm trú ko?", "dang ky tam tru khong"),
        ("cccd bị mất, e làm lại ntn", "can cuoc cong dan bi mat em lam lai nhu the nao"),
        ("bhyt cho bé", "bao hiem y te cho be"),
    ],
)
def test_normalize_expands_zalo_abbreviations(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("000.00.15.H29-240301-0012", "000.00.15.H29-240301-0012"),
        ("ma hs cua em la h29.22-240903-0007 a", "H29.22-240903-0007"),
        ("Hồ sơ G01.912.000 - 241012 - 0105 đến đâu rồi?", "G01.912.000-241012-0105"),
        ("(H48.10.3-250101-0001).", "H48.10.3-250101-0001"),
        ("nộp ở UBND. H29.22-240903-0007 nhé", "H29.22-240903-0007"),
    ],
)
def test_dossier_codes_are_found_inside_sentences_in_canonical_form(text, code):
    assert [m.code for m in find_dossier_codes(text)] == [code]


def test_several_codes_and_no_false_codes():
    text = "H29.22-240903-0007 và G01.912.000-241012-0105; sđt 0912345678, ngày 12-03-2024"
    assert [m.code for m in find_dossier_codes(text)] == ["H29.22-240903-0007", "G01.912.000-241012-0105"]


def test_only_codes():
    assert is_only_dossier_codes("  H29.22-240903-0007 ! ")
    assert not is_only_dossier_codes("hồ sơ H29.22-240903-0007 đến đâu rồi")
    assert not is_only_dossier_codes("")


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("làm giấy khai sinh cần giấy tờ gì", "documents"),
        ("le phi lam ho chieu bn", "fees"),
        ("mất bao lâu thì có căn cước", "time"),
        ("nộp hồ sơ tạm trú ở đâu", "where"),
        ("nộp online được không", "online"),
        ("ai được đăng ký khai tử", "eligibility"),
        ("khai sinh", None),
        ("Xin cho biết thời hạn cấp đổi thẻ căn cước kể từ ngày nhận đủ hồ sơ?", "time"),
        ("Xin cho biết các bước nộp phạt trên Cổng Dịch vụ công quốc gia?", "steps"),
        ("Xin cho biết thành phần, số lượng hồ sơ đăng ký thường trú?", "documents"),
    ],
)
def test_aspect_detection(text, aspect):
    assert detect_aspect(text) == aspect
