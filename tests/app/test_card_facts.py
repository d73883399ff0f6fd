"""Facts in the seed cards that were checked against official records (issue #10, section 3)."""

import pytest

from knowledge.answers import answer_procedure
from knowledge.schema import ProcedureCard
from knowledge.store import validate_files

PORTAL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/"
# National land procedures and their pages on the National Public Service Portal.
NATIONAL_LAND = {
    "cap-so-do": ({"1.013978"}, PORTAL + "019d2bfa-8678-770b-8917-1872078767cd"),
    "bien-dong-dat": ({"1.013831", "1.013980"}, PORTAL + "019d2bfa-7ece-728d-9b60-6563e0a7a94e"),
}
# Codes wrongly mapped in the reference catalog: a police-only procedure, a city's own
# procedure and one province's land procedures. No card may cite them.
WRONG_CODES = ("2.000639", "1.012822", "1.115728", "1.115748", "1.115750", "1.115719")


@pytest.fixture(scope="module")
def cards():
    cards, errors = validate_files()
    assert [str(e) for e in errors] == []
    return {(c.kind, c.id): c for c in cards}


def test_birth_registration_fee_answer_mentions_the_late_registration_fee(cards):
    card = cards[("procedure", "khai-sinh")]
    text = answer_procedure(card, "fees").text
    assert "quá hạn" in text
    assert "Hội đồng nhân dân" in text
    direct = next(f for f in card.fees if f.channel == "direct")
    assert "quá hạn" in direct.text and direct.amount_vnd is None


@pytest.mark.parametrize("card_id", sorted(NATIONAL_LAND))
def test_land_cards_cite_the_national_procedures_and_their_portal_pages(cards, card_id):
    card = cards[("procedure", card_id)]
    codes, page = NATIONAL_LAND[card_id]
    assert set(card.codes) == codes
    assert card.official_url == page
    assert card.online.url == page
    assert not any(code.startswith("1.1157") for code in card.codes)
    assert page in answer_procedure(card, None).text


@pytest.mark.parametrize("card_id", sorted(NATIONAL_LAND))
def test_land_cards_say_time_and_fees_are_set_by_each_province(cards, card_id):
    card = cards[("procedure", card_id)]
    assert "tỉnh, thành phố" in card.time
    assert all("tỉnh, thành phố" in fee.text for fee in card.fees)
    # The form numbers were the province's; the citizen-facing text no longer gives them.
    assert "Mẫu số" not in card.model_dump_json(exclude={"source"})


@pytest.mark.parametrize("code", WRONG_CODES)
def test_no_card_cites_a_wrongly_mapped_code(cards, code):
    citing = [card.id for card in cards.values() if code in card.model_dump_json()]
    assert citing == []


def test_one_time_social_insurance_follows_the_2024_law(cards):
    card = cards[("procedure", "bhxh-mot-lan")]
    assert isinstance(card, ProcedureCard)
    assert any("41/2024/QH15" in basis for basis in card.legal_basis)
    assert "41/2024/QH15" in card.source
    conditions = card.conditions or ""
    for fact in ("01/7/2025", "12 tháng", "20 năm", "15 năm", "định cư", "81%", "phục viên"):
        assert fact in conditions, fact
