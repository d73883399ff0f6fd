"""The walkthrough texts: plain language, within channel limits, facts dated."""

import re

import pytest

from knowledge.guides import all_guides

ZALO_LIMIT = 2000
MAX_WORDS_PER_SENTENCE = 40
# Abbreviations a citizen may not know: explained at their first use.
ABBREVIATIONS = ("OTP", "NFC", "CCCD", "CMND", "QR", "PDF", "SMS")


def _texts(guide) -> list[str]:
    return [guide.intro, *(s.text for s in guide.steps), *(t for tr in guide.troubles for t in tr.steps), guide.outro]


@pytest.fixture(scope="module")
def guides():
    return all_guides()


def test_both_guides_exist_with_the_troubles_of_the_issue(guides):
    assert {"account", "submit"} <= set(guides)
    account = {t.id for t in guides["account"].troubles}
    assert {"otp", "passcode", "locked", "phone-changed", "no-nfc", "old-card", "elderly"} <= account


def test_every_message_fits_a_zalo_message(guides):
    for guide in guides.values():
        for text in _texts(guide):
            assert len(text) < ZALO_LIMIT


def test_sentences_are_short(guides):
    for guide in guides.values():
        for text in _texts(guide):
            for sentence in re.split(r"[.!?\n]+", text):
                assert len(sentence.split()) <= MAX_WORDS_PER_SENTENCE, sentence


def test_abbreviations_are_explained_at_first_use(guides):
    for guide in guides.values():
        whole = "\n".join(_texts(guide))
        for abbreviation in ABBREVIATIONS:
            found = re.search(rf"\b{abbreviation}\b", whole)
            if found is None:
                continue
            around = whole[max(0, found.start() - 60) : found.end() + 60]
            assert "(" in around, f"{guide.id}: {abbreviation} is not explained where it first appears"


def test_guides_say_when_they_were_reviewed(guides):
    for guide in guides.values():
        assert guide.reviewed_at.year >= 2025
        assert guide.source.strip()
