"""Which aspect of a procedure a message asks about.

Vietnamese puts the question word at the end ("... cần giấy tờ gì?",
"... mất bao lâu?"), so the cue that appears last wins — except in formal
questions ("Xin cho biết thời hạn cấp ..."), which name what they ask right
after the opening, so there the first cue wins. Strong cues name the aspect
outright; weak cues ("được không", "thế nào") count only when no strong cue
is present. Cues are folded and abbreviation-expanded like
``nlu.text.normalize``.
"""

from __future__ import annotations

import re

from nlu.text import normalize

STRONG_CUES: dict[str, tuple[str, ...]] = {
    "documents": (
        "giay to",
        "ho so gom",
        "thanh phan ho so",
        "can gi",
        "can nhung gi",
        "mang gi",
        "mang theo",
        "chuan bi gi",
        "can giay",
        "ho so can",
        "bo ho so",
        "to khai",
        "mau don",
        "nop them gi",
        "ho so gi",
        "gom nhung gi",
        "can nhung giay",
        "giay gi",
        "can mang",
        "thanh phan",
    ),
    "fees": (
        "le phi",
        "bao nhieu tien",
        "het bao nhieu",
        "mat bao nhieu",
        "ton bao nhieu",
        "mien phi",
        "chi phi",
        "phi bao nhieu",
        "phi la",
        "mat phi",
        "tien phi",
        "dong phi",
        "phi lam",
        "muc dong",
        "muc thu",
        "muc phi",
    ),
    "time": (
        "bao lau",
        "may ngay",
        "bao nhieu ngay",
        "thoi gian",
        "thoi han giai quyet",
        "bao gio co",
        "khi nao co",
        "khi nao nhan",
        "mat may",
        "may hom",
        "may tuan",
        "lay ngay",
        "trong ngay",
        "thoi han cap",
        "thoi han thuc hien",
        "thoi diem nao",
        "bao nhieu ngay lam viec",
    ),
    "online": (
        "online",
        "truc tuyen",
        "qua mang",
        "tren mang",
        "dich vu cong",
        "tai nha",
        "vneid",
        "qua app",
        "tren app",
        "qua internet",
        "vssid",
    ),
    "where": (
        "o dau",
        "noi nao",
        "cho nao",
        "co quan nao",
        "di dau",
        "den dau",
        "lam tai dau",
        "dia chi",
        "noi nop",
        "o xa nao",
        "nop tai",
        "phong nao",
    ),
    "eligibility": (
        "ai duoc",
        "dieu kien",
        "doi tuong",
        "ai co the",
        "ai phai",
        "bat buoc",
        "ai co trach nhiem",
        "truong hop nao",
    ),
    "result": (
        "nhan duoc gi",
        "ket qua",
        "nhan giay gi",
        "duoc cap gi",
        "gia tri su dung",
        "co gia tri",
        "muc huong",
        "duoc huong bao nhieu",
        "huong may thang",
        "nhan qua buu dien",
        "duoc nhan gi",
    ),
    "steps": ("cac buoc", "trinh tu", "quy trinh", "cach lam", "thu tuc lam", "huong dan"),
}
WEAK_CUES: dict[str, tuple[str, ...]] = {
    "steps": ("nhu the nao", "the nao", "lam sao", "ra sao"),
    "eligibility": ("duoc khong", "co can", "co phai", "da duoc", "co duoc"),
    "fees": ("phi", "tien"),
    "documents": ("chuan bi",),
}


def _patterns(cues: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    return {
        aspect: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(words, key=len, reverse=True)) + r")\b")
        for aspect, words in cues.items()
    }


_STRONG = _patterns(STRONG_CUES)
_WEAK = _patterns(WEAK_CUES)
_FORMAL_OPENING = re.compile(r"^(?:xin|kinh|de nghi|vui long|cho toi)?\s*(?:hoi|cho biet|cho hoi|huong dan)\b")


def detect_aspect(text: str) -> str | None:
    """The aspect a message asks about, or None when it asks in general."""
    normalized = normalize(text)
    first = bool(_FORMAL_OPENING.match(normalized))
    return _pick(_STRONG, normalized, first) or _pick(_WEAK, normalized, first)


def asked_aspects(text: str) -> frozenset[str]:
    """Every aspect a strong cue in ``text`` names ("hồ sơ gồm gì, lệ phí bao
    nhiêu" asks documents and fees). Give it what a message asks, not its
    story (``nlu.matcher.asked_part``): "qua đời tại nhà" asks nothing."""
    normalized = normalize(text)
    return frozenset(aspect for aspect, pattern in _STRONG.items() if pattern.search(normalized))


def _pick(patterns: dict[str, re.Pattern[str]], text: str, first: bool) -> str | None:
    """The aspect whose cue comes first (formal questions) or last (the rest)."""
    positions = {
        aspect: min(m.start() for m in matches) if first else -max(m.end() for m in matches)
        for aspect, pattern in patterns.items()
        if (matches := list(pattern.finditer(text)))
    }
    return min(positions, key=positions.__getitem__) if positions else None
