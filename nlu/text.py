"""Vietnamese text normalisation: the one home for it.

Plain Python on purpose: the Rasa components (engine environment, Python 3.10)
and the app (Python 3.11+) both import this module, so it must not import
anything environment-specific.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import product

from nlu.abbreviations import ABBREVIATIONS, AMBIGUOUS

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]+")

# Dossier codes as printed on receipts: a dotted agency prefix, the date the
# dossier was received (yymmdd) and a sequence number, e.g.
# 000.00.15.H29-240301-0012, H29.22-240903-0007, G01.912.000-241012-0105.
# Citizens type them in lower case and with spaces around the dashes.
_DOSSIER_CODE = re.compile(
    r"(?<![\w.])"
    r"(?P<prefix>[A-Za-z0-9]{1,6}(?:\.[A-Za-z0-9]{1,6}){1,5})"
    r"\s?-\s?(?P<date>[0-9]{6})\s?-\s?(?P<seq>[0-9]{3,6})"
    r"(?![\w])"
)


def nfc(text: str) -> str:
    """Compose characters (NFC): Zalo and old keyboards send decomposed accents."""
    return unicodedata.normalize("NFC", text)


def nfc_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """NFC text plus, for each of its characters, the start and end offset of
    the original characters it was composed from."""
    composed: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        for ch in unicodedata.normalize("NFC", text[start:end]):
            composed.append(ch)
            starts.append(start)
            ends.append(end)
    return "".join(composed), starts, ends


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans of a base character with the combining marks that follow it."""
    spans: list[tuple[int, int]] = []
    for index, ch in enumerate(text):
        if spans and unicodedata.combining(ch):
            spans[-1] = (spans[-1][0], index + 1)
        else:
            spans.append((index, index + 1))
    return spans


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics: "Đăng Ký" -> "dang ky".

    One character in, one character out: offsets into the folded text are
    offsets into ``nfc(text)``.
    """
    return nfc(text).translate(_FOLDED)


class _FoldTable(dict[int, str]):
    """``str.translate``'s table, filled the first time a character is met:
    folding is on every message's path, and a per-character call cost a
    matcher tenth of its time."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLDED = _FoldTable()


def _fold_char(ch: str) -> str:
    lower = ch.lower()
    if len(lower) != 1:  # e.g. "İ" lower-cases to two characters
        return ch
    if lower == "đ":
        return "d"
    base = unicodedata.normalize("NFD", lower)[0]
    return base if base.isascii() else lower


def expand_word(folded_word: str) -> str:
    """The folded meaning of one folded syllable: "dk" -> "dang ky"."""
    expansion = ABBREVIATIONS.get(folded_word)
    return fold(expansion) if expansion else folded_word


def normalize(text: str) -> str:
    """The form used for matching: folded, abbreviations expanded, punctuation
    and repeated spaces removed. "Đk   KS ở đâu?" -> "dang ky ks o dau"."""
    words = _SPACES.split(_NON_WORD.sub(" ", fold(text)).strip())
    return " ".join(expand_word(word) for word in words if word)


MAX_READINGS = 8


def readings(text: str) -> list[str]:
    """The normalised text once per reading of its ambiguous shorthand
    ("dk ks" -> "dang ky khai sinh", "dang ky khach san"), at most ``MAX_READINGS``."""
    words = normalize(text).split()
    options = [[fold(r) for r in AMBIGUOUS[w]] if w in AMBIGUOUS else [w] for w in words]
    variants = []
    for choice in product(*options):
        variants.append(" ".join(choice))
        if len(variants) == MAX_READINGS:
            break
    return variants or [""]


@dataclass(frozen=True)
class DossierCodeMatch:
    code: str  # canonical form: upper case, no spaces
    start: int
    end: int


def find_dossier_codes(text: str) -> list[DossierCodeMatch]:
    """Every dossier code in a message, in order, in canonical form."""
    return [
        DossierCodeMatch(_SPACES.sub("", match.group(0)).upper(), match.start(), match.end())
        for match in _DOSSIER_CODE.finditer(text)
    ]


# Personal numbers, masked before a message is stored or logged: 12-digit
# citizen ID numbers (and 9-digit old ID cards), and Vietnamese phone numbers
# written with spaces, dots or dashes (0912 345 678, +84 912.345.678).
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{12}|[0-9]{9})(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?84|0)(?:[\s.-]?[0-9]){8,10}(?![0-9])")
_ANY_DIGIT = re.compile(r"[0-9]")
MASK = "*"


def mask_personal_numbers(text: str) -> str:
    """``text`` with ID and phone numbers masked; dossier codes are kept, as
    they identify a dossier, not a person, and staff need them."""
    kept = find_dossier_codes(text)
    masked = _PHONE.sub(_mask, _ID_NUMBER.sub(_mask, text))
    for match in kept:  # same length, so the offsets still hold
        masked = masked[: match.start] + text[match.start : match.end] + masked[match.end :]
    return masked


# Texts kept for analysis (the console's unanswered questions) lose more:
# dossier codes, e-mail addresses and any other long run of digits.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"[0-9](?:[\s.-]?[0-9]){7,}")
DOSSIER_CODE_MASK = "[mã hồ sơ]"
EMAIL_MASK = "[email]"


def mask_for_analysis(text: str) -> str:
    """``text`` without anything that points to a person or their dossier:
    ID and phone numbers, dossier codes, e-mail addresses, long numbers.
    A national procedure code (``1.001193``) is short enough to stay."""
    masked = text
    for match in reversed(find_dossier_codes(text)):
        masked = masked[: match.start] + DOSSIER_CODE_MASK + masked[match.end :]
    masked = _EMAIL.sub(EMAIL_MASK, masked)
    return _LONG_NUMBER.sub(_mask, _PHONE.sub(_mask, _ID_NUMBER.sub(_mask, masked)))


def mask_digits(text: str) -> str:
    """Every digit masked: for answers to the second-factor question."""
    return _ANY_DIGIT.sub(MASK, text)


def _mask(match: re.Match[str]) -> str:
    return _ANY_DIGIT.sub(MASK, match.group(0))


def is_only_dossier_codes(text: str) -> bool:
    """True when a message holds dossier codes and nothing else worth reading."""
    matches = find_dossier_codes(text)
    if not matches:
        return False
    rest = text
    for match in reversed(matches):
        rest = rest[: match.start] + rest[match.end :]
    return not _NON_WORD.sub("", rest).strip()
