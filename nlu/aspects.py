"""Which aspect of a procedure a message asks about.

Cue phrases are folded and abbreviation-expanded (see ``nlu.text.normalize``);
the first aspect whose cue appears wins, so the more specific cues come first.
"""

from __future__ import annotations

import re

from nlu.text import normalize

ASPECT_CUES: dict[str, tuple[str, ...]] = {
    "fees": (
        "le phi", "phi", "bao nhieu tien", "het bao nhieu", "mat bao nhieu", "ton bao nhieu",
        "bao nhieu tien", "tien", "mien phi", "gia", "chi phi", "nop phat bao nhieu",
    ),
    "time": (
        "bao lau", "may ngay", "bao nhieu ngay", "thoi gian", "thoi han", "bao gio co", "khi nao co",
        "khi nao nhan", "lau khong", "mat may", "trong bao lau", "may hom", "may tuan",
    ),
    "online": (
        "online", "truc tuyen", "qua mang", "tren mang", "dich vu cong", "tai nha", "qua dien thoai",
        "vneid", "qua app", "tren app", "qua internet",
    ),
    "where": (
        "o dau", "noi nao", "cho nao", "co quan nao", "di dau", "den dau", "nop tai", "lam tai dau",
        "dia chi", "o cho nao", "noi nop", "cap nao",
    ),
    "documents": (
        "giay to", "ho so gom", "thanh phan ho so", "can gi", "can nhung gi", "mang gi", "mang theo",
        "chuan bi", "can nhung", "can giay", "ho so can", "bo ho so", "to khai", "mau don", "can co",
    ),
    "eligibility": (
        "ai duoc", "dieu kien", "doi tuong", "co duoc khong", "duoc khong", "ai co the", "ai phai",
        "co phai lam", "bat buoc", "co can", "uy quyen",
    ),
    "result": (
        "nhan duoc gi", "ket qua", "nhan ket qua", "tra ket qua", "duoc cap gi", "nhan o dau",
    ),
    "steps": (
        "cac buoc", "trinh tu", "quy trinh", "nhu the nao", "the nao", "lam sao", "cach lam",
        "thu tuc lam", "huong dan", "lam gi", "ra sao",
    ),
}

_CUE_PATTERNS = {
    aspect: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) + r")\b")
    for aspect, cues in ASPECT_CUES.items()
}


def detect_aspect(text: str) -> str | None:
    """The aspect a message asks about, or None when it asks in general."""
    normalized = normalize(text)
    for aspect, pattern in _CUE_PATTERNS.items():
        if pattern.search(normalized):
            return aspect
    return None
