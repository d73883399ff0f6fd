"""``make -s parse``: the measuring interface keeps its contract on any input."""

import pytest

from tests.support import parse

LINES = [
    "làm giấy khai sinh ở đâu",
    "lam giay khai sinh o dau",
    "",
    "   ",
    "H29.22-240903-0007",
    "cho hỏi hồ sơ 000.00.15.h29-240301-0012 của tôi đến đâu rồi",
    "G01.912.000 - 241012 - 0105 và H29.22-240903-0007",
    "😀😀😀",
    "Xin cho biết thành phần hồ sơ đăng ký thường trú. " * 100,
    "a" * 5000,
]


@pytest.fixture(scope="module")
def results():
    return parse(LINES)


def test_one_json_line_per_input_line(results):
    assert [r["text"] for r in results] == [line.replace("\n", " ") for line in LINES]


def test_every_result_has_the_contract_keys(results):
    for result in results:
        assert set(result["intent"]) == {"name", "confidence"}
        assert set(result["entities"]) == {"procedure", "life_event", "dossier_code", "aspect"}
        for candidate in result["procedure_candidates"]:
            assert set(candidate) == {"id", "score"}
            assert 0 <= candidate["score"] <= 1


def test_a_message_of_only_a_code_is_check_status_with_the_code(results):
    only_code = results[4]
    assert only_code["intent"]["name"] == "check_status"
    assert only_code["entities"]["dossier_code"] == "H29.22-240903-0007"


def test_codes_inside_sentences_are_extracted_exactly(results):
    assert results[5]["entities"]["dossier_code"] == "000.00.15.H29-240301-0012"
    assert results[6]["dossier_codes"] == ["G01.912.000-241012-0105", "H29.22-240903-0007"]


def test_procedure_and_aspect_with_and_without_diacritics(results):
    for result in results[:2]:
        assert result["intent"]["name"] == "ask_procedure"
        assert result["entities"]["procedure"] == "khai-sinh"
        assert result["entities"]["aspect"] == "where"
        assert result["procedure_candidates"][0]["id"] == "khai-sinh"
