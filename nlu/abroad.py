"""Whether a message speaks of abroad or of a foreign party, and whether a
catalog entry is the procedure for people abroad: the catalog's most common
variant of a civil-status procedure is the one with a foreign element ("Đăng
ký kết hôn" and "Thủ tục đăng ký kết hôn có yếu tố nước ngoài")."""

from __future__ import annotations

import re

from nlu.text import fold, nfc, readings

# Countries by name, with diacritics; short forms only after a word that puts a
# person or a trip there ("người Hàn", "sang Nhật").
_COUNTRY_NAMES = (
    "hoa kỳ|hàn quốc|nhật bản|trung quốc|đài loan|hồng kông|canada|singapore|malaysia|thái lan|campuchia"
    "|philippines|indonesia|ấn độ|ba lan|hà lan|anh quốc"
)
_COUNTRIES = f"{_COUNTRY_NAMES}|mỹ|hàn|nhật|úc|pháp|đức|nga|lào(?! cai)|séc|ý"

# Abroad or a foreigner, read broadly on purpose (folded, "ở hẳn" reads as
# abroad too): then a variant abroad counts against a name said, as before; a
# question about a variant abroad read as domestic would get the domestic card.
# But not "tư pháp", "người lao động", "với anh".
_ABROAD = re.compile(
    r"\b(?:nuoc ngoai|ngoai quoc|quoc tich|viet kieu|dinh cu|xuat canh|lanh su|dai su quan|hai ngoai"
    rf"|xuat khau lao dong|xkld|du hoc|chau au|{fold(_COUNTRY_NAMES)}|cong dan (?!viet|vn\b)\w+"
    r"|(?:o|sang|di|tai|nguoi|ben|ve|voi|chong|vo) (?:my|han|nhat|uc|phap|duc|nga|hoa)"
    r"|(?:o|sang|ben|nuoc) lao(?! cai| dong)|nuoc anh)\b"
)

# An official name for those abroad or with a foreign element: "Đăng ký kết
# hôn | có yếu tố nước ngoài", "Đăng ký việc giám hộ | giữa công dân Việt Nam
# cư trú ở nước ngoài với nhau", "Cấp Giấy xác nhận tình trạng hôn nhân | cho
# công dân Việt Nam trong thời gian cư trú ở nước ngoài": who or where abroad,
# up to "nước ngoài". Other words make it a procedure of its own ("Chứng thực
# chữ ký người dịch … từ tiếng nước ngoài").
_FOR_ABROAD = re.compile(
    r" (?:co yeu to|giua|cho)(?: (?:cac|cong|dan|viet|nam|nguoi|dang|tam|tru|cu|o|tre|em|sinh|ra|trong|thoi|gian))*"
    r" nuoc ngoai "
)

# "người Hồng Kông", "chồng Tây", "công dân Philippines": a person named by a
# capitalised word (an ethnic group or a home town too: read broadly, as above).
_PERSON_OF = re.compile(r"\b(?:người|ng|công dân|chồng|vợ|quốc tịch)\s+(?=(\w+))", re.IGNORECASE)

# A foreign party, not a place abroad: "kết hôn với người nước ngoài", "lấy
# chồng Hàn Quốc", "Việt kiều" (for civil status, a Vietnamese settled abroad is
# a foreign element too). A Vietnamese working in Japan whose wife asks for a
# birth certificate at home ("chồng đang làm việc ở Nhật") names none. Read
# narrowly, since it adds a note to the answer: with diacritics when the message
# has them ("chống Mỹ" is not "chồng Mỹ"), countries by name, not an ethnic
# group of Viet Nam ("người Thái", "người Hoa") or a place ("người Lào Cai").
_FOREIGN_WORDS = (
    "(?:người|ng) (?:nước ngoài|ngoại quốc)|yếu tố nước ngoài|việt kiều|định cư ở nước ngoài|(?:hai|2) quốc tịch"
)
_FOREIGNER = re.compile(
    rf"\b(?:{_FOREIGN_WORDS}|(?:người|ng|chồng|vợ|công dân|quốc tịch) (?:{_COUNTRIES})"
    rf"|(?:lấy|cưới) (?:chồng|vợ) (?:nước ngoài|tây|{_COUNTRIES}))\b"
)
# Folded, "chồng" is also "chống" and "ý" is "y" ("người y tế"): only after
# "người", "công dân", "quốc tịch" or "lấy chồng / vợ".
_FOREIGNER_FOLDED = re.compile(
    rf"\b(?:{fold(_FOREIGN_WORDS)}|(?:nguoi|ng|cong dan|quoc tich|(?:lay|cuoi) (?:chong|vo))"
    rf" (?:{fold(_COUNTRIES.removesuffix('|ý'))})|(?:lay|cuoi) (?:chong|vo) (?:nuoc ngoai|tay))\b"
)


def for_abroad(name: str) -> bool:
    """Whether a catalog entry's official ``name`` is the procedure for those abroad (``_FOR_ABROAD``).
    Most names do not say "nước ngoài": they skip reading the shorthand (about 0.2 s of the index's build)."""
    return "nuoc ngoai" in fold(name.lower()) and bool(_FOR_ABROAD.search(f" {readings(name)[0]} "))


def says_abroad(text: str) -> bool:
    """Whether ``text`` says something abroad or foreign, in any reading of its shorthand."""
    return any(_ABROAD.search(reading) for reading in readings(text)) or _names_person_of(text) or says_foreigner(text)


def says_foreigner(text: str) -> bool:
    """Whether ``text`` names a foreign party (``_FOREIGNER``); without
    diacritics, in any reading of its shorthand."""
    if text.isascii():
        return any(_FOREIGNER_FOLDED.search(reading) for reading in readings(text))
    return bool(_FOREIGNER.search(" ".join(nfc(text).lower().split())))


def _names_person_of(text: str) -> bool:
    """A person named by a capitalised word (``_PERSON_OF``): a country, but an
    ethnic group, a home town or a name as well (read broadly, as ``_ABROAD``)."""
    return any(word[0].isupper() and fold(word.lower()) not in {"viet", "vn"} for word in _PERSON_OF.findall(nfc(text)))
