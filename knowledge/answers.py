"""What the assistant says about a card: short answer first, then buttons.

Channel-neutral: text plus buttons (title, payload). The channels render them
in each platform's best form. Facts come only from the card; a missing fact
is said to be missing, with the official link and the hotline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.schema import Document, LifeEventCard, ProcedureCard
from settings import get_settings

ASPECT_LABELS: dict[str, str] = {
    "documents": "Giấy tờ cần có",
    "fees": "Lệ phí",
    "time": "Thời gian",
    "where": "Nơi nộp",
    "steps": "Các bước",
    "online": "Nộp trực tuyến được không",
    "eligibility": "Ai được làm",
    "result": "Kết quả nhận được",
}
_CHANNEL_LABELS = {"direct": "Nộp trực tiếp", "online": "Nộp trực tuyến", "postal": "Qua bưu điện"}
_ONLINE_LEVELS = {
    "toan-trinh": "Làm được hoàn toàn trực tuyến (toàn trình), không phải đến nộp giấy tờ.",
    "mot-phan": (
        "Nộp trực tuyến được một phần: nộp hồ sơ qua mạng, nhưng phải đến cơ quan để hoàn tất hoặc nhận kết quả."
    ),
    "khong": "Chưa nộp trực tuyến được: anh/chị nộp trực tiếp tại cơ quan.",
}
BUTTON_TITLE_MAX = 40
# The aspects offered as buttons after an answer, in this order.
_FOLLOW_UPS = ("documents", "fees", "time", "where", "steps")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Answer:
    text: str
    buttons: list[Button] = field(default_factory=list)


def payload(intent: str, **entities: str) -> str:
    """A button payload that bypasses the NLU and carries ids: /intent{"k": "v"}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def short_title(text: str, limit: int = BUTTON_TITLE_MAX) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def answer_procedure(card: ProcedureCard, aspect: str | None) -> Answer:
    """The answer to ``aspect`` (or an overview), then buttons for the rest."""
    body = _ASPECT_WRITERS[aspect](card) if aspect in _ASPECT_WRITERS else _overview(card)
    text = f"{card.name}\n{body}\n\n{_footer(card)}"
    return Answer(text=text, buttons=_follow_up_buttons(card, aspect))


def answer_life_event(card: LifeEventCard, names: dict[str, str]) -> Answer:
    """The procedures of a life event in the order a family does them."""
    lines = [f"Dạ, khi {card.name.lower()}, anh/chị làm lần lượt:"]
    lines += [f"{i}. {names.get(step.procedure, step.procedure)}: {step.note}" for i, step in enumerate(card.steps, 1)]
    lines.append("Anh/chị bấm vào từng việc để xem giấy tờ, lệ phí và nơi nộp ạ.")
    buttons = [
        Button(
            f"{i}. {short_title(names.get(s.procedure, s.procedure), BUTTON_TITLE_MAX - 3)}",
            payload("ask_procedure", procedure=s.procedure),
        )
        for i, s in enumerate(card.steps, 1)
    ]
    return Answer("\n".join(lines), buttons)


def card_choice(card_id: str, aspect: str | None = None) -> str:
    """The payload of a card's button, carrying the ``aspect`` asked."""
    asked = {"aspect": aspect} if aspect else {}
    return payload("ask_procedure", procedure=card_id, **asked)


def ask_which(options: list[tuple[str, str]]) -> Answer:
    """Ask the citizen to choose when the match is unsure: (payload, name) pairs of
    cards (``card_choice``: the button carries the aspect asked, so the choice
    answers the question, "lệ phí bao nhiêu?", not only names the procedure) and
    catalog entries without a card."""
    names = ", ".join(f'"{name}"' for _, name in options[:3])
    buttons = [Button(short_title(name), choice) for choice, name in options[:3]]
    buttons.append(Button("Không phải, thủ tục khác", payload("help")))
    return Answer(f"Dạ, có phải anh/chị hỏi về {names} không ạ?", buttons)


def _footer(card: ProcedureCard) -> str:
    reviewed = card.reviewed_at.strftime("%d/%m/%Y")
    link = card.official_url or get_settings().portal_url
    return f"(Thông tin rà soát ngày {reviewed}. Chi tiết: {link})"


def _missing(what: str) -> str:
    settings = get_settings()
    return (
        f"Dạ, em chưa có thông tin {what} đã được kiểm chứng cho thủ tục này. "
        f"Anh/chị xem trên Cổng Dịch vụ công hoặc gọi tổng đài {settings.hotline} ạ."
    )


def _overview(card: ProcedureCard) -> str:
    lines = [card.summary]
    if card.time:
        lines.append(f"- Thời gian: {card.time}")
    if card.fees:
        lines.append(f"- Lệ phí: {_fee_line(card.fees[0].text)}")
    if card.where:
        lines.append(f"- Nơi nộp: {card.where}")
    lines.append(f"- Trực tuyến: {_ONLINE_LEVELS[card.online.level]}")
    return "\n".join(lines)


def _fee_line(text: str) -> str:
    return text if len(text) <= 160 else short_title(text, 160)


def _documents(card: ProcedureCard) -> str:
    if not card.documents:
        return _missing("về giấy tờ")
    return "Giấy tờ cần chuẩn bị:\n" + "\n".join(f"- {_document_line(d)}" for d in card.documents)


def _document_line(document: Document) -> str:
    parts = [document.name]
    if document.copies:
        parts.append(f"({document.copies})")
    line = " ".join(parts)
    return f"{line}. {document.note}" if document.note else line


def _fees(card: ProcedureCard) -> str:
    if not card.fees:
        return _missing("về lệ phí")
    return "Lệ phí:\n" + "\n".join(f"- {_CHANNEL_LABELS[f.channel]}: {f.text}" for f in card.fees)


def _time(card: ProcedureCard) -> str:
    return f"Thời gian giải quyết: {card.time}" if card.time else _missing("về thời gian giải quyết")


def _where(card: ProcedureCard) -> str:
    return f"Nơi nộp: {card.where}\nCơ quan giải quyết: {card.agency}" if card.where else _missing("về nơi nộp")


def _steps(card: ProcedureCard) -> str:
    if not card.steps:
        return _missing("về các bước")
    return "Các bước:\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(card.steps, 1))


def _online(card: ProcedureCard) -> str:
    text = _ONLINE_LEVELS[card.online.level]
    return f"{text}\nNộp tại: {card.online.url}" if card.online.url and card.online.level != "khong" else text


def _eligibility(card: ProcedureCard) -> str:
    return f"Người thực hiện: {card.who}" + (f"\nĐiều kiện: {card.conditions}" if card.conditions else "")


def _result(card: ProcedureCard) -> str:
    return f"Kết quả: {card.result}" if card.result else _missing("về kết quả")


_ASPECT_WRITERS = {
    "documents": _documents,
    "fees": _fees,
    "time": _time,
    "where": _where,
    "steps": _steps,
    "online": _online,
    "eligibility": _eligibility,
    "result": _result,
}


def _follow_up_buttons(card: ProcedureCard, asked: str | None) -> list[Button]:
    buttons = [
        Button(ASPECT_LABELS[aspect], payload("ask_procedure", procedure=card.id, aspect=aspect))
        for aspect in _FOLLOW_UPS
        if aspect != asked
    ]
    if card.online.level != "khong":
        buttons.append(Button("Hướng dẫn nộp trực tuyến", payload("submit_online", procedure=card.id)))
    return buttons


@dataclass(frozen=True)
class CatalogFacts:
    """What the national catalog says of a procedure without a card."""

    code: str
    name: str
    agencies: tuple[str, ...]
    targets: tuple[str, ...]
    province: str | None  # of a provincial procedure
    url: str


_ELSEWHERE_SHOWN = 3


def answer_catalog_entry(
    facts: CatalogFacts, home_province: str | None, elsewhere: Sequence[CatalogFacts] = ()
) -> Answer:
    """The catalog's facts, honestly labelled: no card, so no fee or time is said.
    ``elsewhere``: the same procedure at other levels (the catalog's entries of
    the same name), each with its code and agencies, so the citizen finds theirs."""
    lines = [
        "Dạ, em chưa có hướng dẫn chi tiết cho thủ tục này. Theo Danh mục thủ tục hành chính quốc gia:",
        f"- Tên thủ tục: {facts.name} (mã {facts.code})",
    ]
    if facts.province and facts.province != home_province:
        lines.append(f"- Đây là thủ tục riêng của {facts.province}, nơi khác có thể không áp dụng.")
    if facts.agencies:
        lines.append(f"- Cơ quan thực hiện: {', '.join(dict.fromkeys(facts.agencies))}")
    for other in elsewhere[:_ELSEWHERE_SHOWN]:
        where = ", ".join(dict.fromkeys(other.agencies)) or "cơ quan khác"
        lines.append(f"- Cùng thủ tục này tại {where}: mã {other.code}, {other.url}")
    if facts.targets:
        lines.append(f"- Đối tượng: {', '.join(facts.targets)}")
    lines.append(f"- Giấy tờ, lệ phí, thời hạn: anh/chị xem trên Cổng Dịch vụ công {facts.url}")
    return Answer("\n".join(lines), [Button("Gặp cán bộ", payload("handoff"))])


def ask_which_of(options: list[tuple[str, str]]) -> Answer:
    """Ask the citizen to choose among cards and catalog entries: (payload, name) pairs."""
    buttons = [Button(short_title(name), choice) for choice, name in options[:3]]
    buttons.append(Button("Không phải, gặp cán bộ", payload("handoff")))
    return Answer("Dạ, anh/chị hỏi về thủ tục nào dưới đây ạ?", buttons)
