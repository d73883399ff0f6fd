"""Vietnamese word segmentation with exact character offsets.

underthesea groups syllables into words ("Hà Nội" -> one word) but reports
words as strings, not positions, and sometimes glues punctuation or a dossier
code's pieces into a word. This module aligns its output back onto the
original text, keeps dossier codes whole and gives every word a folded,
abbreviation-expanded lemma ("Đăng ký" and "dk" both become "dang_ky") that
the featurizers read, so that accents and Zalo shorthand do not change what
the classifier sees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from underthesea import word_tokenize

from nlu.text import expand_word, find_dossier_codes, fold, nfc_with_offsets

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Word:
    text: str  # exactly original_text[start:end]
    start: int
    end: int
    lemma: str  # folded, abbreviations expanded, syllables joined with "_"


def segment(text: str) -> list[Word]:
    """Words of ``text`` with offsets into ``text`` itself; punctuation and
    emoji are dropped, dossier codes are single words."""
    if not text.strip():
        return []
    composed, starts, ends = nfc_with_offsets(text)
    spans = _merge_codes(_word_spans(composed), composed)
    return [
        Word(
            text=text[starts[start] : ends[end - 1]],
            start=starts[start],
            end=ends[end - 1],
            lemma=_lemma(composed[start:end]),
        )
        for start, end in spans
    ]


def _word_spans(composed: str) -> list[tuple[int, int]]:
    """(start, end) of each word in the NFC text."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for word in word_tokenize(composed, use_token_normalize=False):
        syllables = _align(word.split(), composed, cursor)
        if syllables is None:
            logger.debug("Segmenter output did not align; falling back to syllables.")
            return _syllable_spans(composed)
        cursor = syllables[-1][1]
        trimmed = [t for t in (_trim(composed, s, e) for s, e in syllables) if t]
        if len(trimmed) == len(syllables) and all(composed[s:e].isalpha() for s, e in trimmed):
            spans.append((trimmed[0][0], trimmed[-1][1]))
        else:
            spans.extend(trimmed)
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without leading and trailing punctuation, or None if nothing is left."""
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return (start, end) if start < end else None


def _align(syllables: list[str], text: str, cursor: int) -> list[tuple[int, int]] | None:
    spans = []
    for syllable in syllables:
        start = text.find(syllable, cursor)
        if start < 0:
            return None
        cursor = start + len(syllable)
        spans.append((start, cursor))
    return spans or None


def _syllable_spans(composed: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for index, ch in enumerate(composed + " "):
        if ch.isalnum() and start is None:
            start = index
        elif not ch.isalnum() and start is not None:
            spans.append((start, index))
            start = None
    return spans


def _merge_codes(spans: list[tuple[int, int]], composed: str) -> list[tuple[int, int]]:
    """Replace the words that a dossier code was cut into by the code itself."""
    for code in find_dossier_codes(composed):
        inside = [s for s in spans if s[0] < code.end and s[1] > code.start]
        spans = [s for s in spans if s not in inside]
        spans.append((min([code.start] + [s[0] for s in inside]), max([code.end] + [s[1] for s in inside])))
    return sorted(spans)


def _lemma(word: str) -> str:
    return "_".join(_syllable_lemma(part) for part in word.split())


def _syllable_lemma(syllable: str) -> str:
    folded = fold(syllable)
    # Shorthand is typed without accents ("dk", "đk"); "ạ" is a particle, not "a".
    if all(ch.isascii() or ch in "đĐ" for ch in syllable):
        return expand_word(folded).replace(" ", "_")
    return folded
