"""Fuzzing Vietnamese text handling (``nlu.text``, ``nlu.segment``) with what
citizens may send: any Unicode, decomposed accents, dossier codes with spaces
and odd case. Nothing raises; every offset lies in the text and slices back
to what it claims."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu.segment import segment
from nlu.text import (
    find_dossier_codes,
    fold,
    is_only_dossier_codes,
    mask_personal_numbers,
    nfc,
    nfc_with_offsets,
    normalize,
)

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

vietnamese = st.text(
    alphabet=st.sampled_from(
        [
            *"aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 .,-?!\n\t",
            *("\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u031b"),  # combining accents
            *"😀İßﬁ",  # two UTF-16 units; lower- or upper-cased into two characters
        ]
    ),
    max_size=80,
)
dossier_codes = st.from_regex(r"[A-Za-z0-9]{1,6}(\.[A-Za-z0-9]{1,6}){1,3} ?- ?[0-9]{6} ?- ?[0-9]{3,6}", fullmatch=True)
messages = st.one_of(
    st.text(max_size=80),
    vietnamese,
    st.lists(st.one_of(vietnamese, dossier_codes), max_size=5).map(" ".join),
    vietnamese.map(lambda text: unicodedata.normalize("NFD", text)),
)
_SPACES = re.compile(r"\s+")


@FUZZ
@given(messages)
def test_folding_keeps_one_character_per_character(text: str) -> None:
    assert len(fold(text)) == len(nfc(text))
    normalized = normalize(text)
    assert normalized == normalized.strip() and "  " not in normalized
    assert normalize(normalized) == normalized


@FUZZ
@given(messages)
def test_nfc_offsets_point_into_the_original(text: str) -> None:
    composed, starts, ends = nfc_with_offsets(text)
    assert len(composed) == len(starts) == len(ends)
    for char, start, end in zip(composed, starts, ends, strict=True):
        assert 0 <= start < end <= len(text)
        assert char in unicodedata.normalize("NFC", text[start:end])
    assert starts == sorted(starts)


@FUZZ
@given(messages)
def test_dossier_codes_slice_back_to_what_they_claim(text: str) -> None:
    found = find_dossier_codes(text)
    previous_end = 0
    for match in found:
        assert previous_end <= match.start < match.end <= len(text)
        assert _SPACES.sub("", text[match.start : match.end]).upper() == match.code
        previous_end = match.end
    masked = mask_personal_numbers(text)
    assert len(masked) == len(text)
    assert all(masked[m.start : m.end] == text[m.start : m.end] for m in found)
    assert is_only_dossier_codes(text) in (True, False)


@FUZZ
@given(messages)
def test_segmented_words_are_exact_substrings(text: str) -> None:
    words = segment(text)
    previous_end = 0
    for word in words:
        assert previous_end <= word.start < word.end <= len(text)
        assert text[word.start : word.end] == word.text
        previous_end = word.end
