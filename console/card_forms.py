"""A card as an HTML form, and the form back as a card.

Forms are rendered from plain strings (``FormValues``), so a refused save
shows exactly what the editor typed. Validation is the card schema's own
(pydantic) plus the store's checks across cards; each message is put next to
its field, in Vietnamese.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from console import reasons
from knowledge.loader import CardError
from knowledge.schema import Card, LifeEventCard, ProcedureCard

FormValues = dict[str, Any]
Errors = dict[str, str]  # form field name -> message

CHANNELS = ("direct", "online", "postal")
CHANNEL_LABELS = {"direct": "Nộp trực tiếp", "online": "Nộp trực tuyến", "postal": "Qua bưu điện"}
LEVELS = {"xa": "Cấp xã", "tinh": "Cấp tỉnh", "trung-uong": "Trung ương"}
ONLINE_LEVELS = {"toan-trinh": "Toàn trình", "mot-phan": "Một phần", "khong": "Không"}
LINE_FIELDS = ("codes", "steps", "legal_basis", "related", "life_events", "aliases", "examples")
TEXT_FIELDS = ("id", "short_code", "name", "field", "agency", "summary", "who", "conditions", "time", "where",
               "official_url", "result", "reviewed_at", "source")  # fmt: skip
DOCUMENT_PARTS = ("name", "copies", "form", "note")
BLANK_ROWS = 2  # empty rows after the documents and life-event steps, to add one without scripts
MAX_ROWS = 60


def _lines(items: list[str]) -> str:
    return "\n".join(items)


def values_of(card: Card | None) -> FormValues:
    """The form of an existing card (or an empty one)."""
    data: dict[str, Any] = card.model_dump(mode="json") if card else {}
    values: FormValues = {name: _text(data.get(name)) for name in TEXT_FIELDS}
    if card is None or isinstance(card, ProcedureCard):
        values |= {name: _lines(data.get(name, [])) for name in LINE_FIELDS}
        values["levels"] = list(data.get("levels", []))
        values["documents"] = [{p: _text(d.get(p)) for p in DOCUMENT_PARTS} for d in data.get("documents", [])]
        fees = {f["channel"]: f for f in data.get("fees", [])}
        values["fees"] = {
            c: {"text": _text(fees.get(c, {}).get("text")), "amount_vnd": _text(fees.get(c, {}).get("amount_vnd"))}
            for c in CHANNELS
        }
        online = data.get("online") or {}
        values["online_level"] = online.get("level", "khong")
        values["online_url"] = _text(online.get("url"))
    else:
        values |= {name: _lines(data.get(name, [])) for name in ("aliases", "examples")}
        values["event_steps"] = [{"procedure": s["procedure"], "note": s["note"]} for s in data.get("steps", [])]
    return values


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def values_from_form(form: FormData, kind: str) -> FormValues:
    """What the editor typed, as strings (nothing is lost when the save is refused)."""

    def get(name: str) -> str:
        value = form.get(name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else ""

    values: FormValues = {name: get(name) for name in TEXT_FIELDS}
    if kind == "procedure":
        values |= {name: get(name) for name in LINE_FIELDS}
        values["levels"] = [v for v in form.getlist("levels") if isinstance(v, str)]
        values["documents"] = [
            {p: get(f"documents-{i}-{p}") for p in DOCUMENT_PARTS} for i in range(_rows(form, "documents"))
        ]
        values["fees"] = {
            c: {"text": get(f"fees-{c}-text"), "amount_vnd": get(f"fees-{c}-amount_vnd")} for c in CHANNELS
        }
        values["online_level"] = get("online_level")
        values["online_url"] = get("online_url")
    else:
        values |= {name: get(name) for name in ("aliases", "examples")}
        values["event_steps"] = [
            {"procedure": get(f"steps-{i}-procedure"), "note": get(f"steps-{i}-note")}
            for i in range(_rows(form, "steps"))
        ]
    return values


def _rows(form: FormData, prefix: str) -> int:
    count = form.get(f"{prefix}-rows")
    return min(int(count), MAX_ROWS) if isinstance(count, str) and count.isdigit() else 0


def _split(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _optional(text: str) -> str | None:
    return text.strip() or None


def data_of(values: FormValues, kind: str) -> tuple[dict[str, Any], dict[tuple, str]]:
    """The card's data as the schema reads it, and where each list item came from
    (schema location -> form field), to put messages back next to the fields."""
    where: dict[tuple, str] = {}
    data: dict[str, Any] = {"kind": kind}
    for name in ("id", "short_code", "name", "summary", "source", "reviewed_at"):
        data[name] = values[name].strip()
    if not data["reviewed_at"]:
        data.pop("reviewed_at")
    if kind == "procedure":
        for name in ("field", "agency", "who"):
            data[name] = values[name].strip()
        for name in ("conditions", "time", "where", "official_url", "result"):
            data[name] = _optional(values[name])
        for name in LINE_FIELDS:
            data[name] = _split(values[name])
        data["levels"] = values["levels"]
        documents: list[dict[str, Any]] = []
        for i, row in enumerate(values["documents"]):
            if not any(row[p].strip() for p in DOCUMENT_PARTS):
                continue
            where[("documents", len(documents))] = f"documents-{i}"
            documents.append({"name": row["name"].strip(), **{p: _optional(row[p]) for p in DOCUMENT_PARTS[1:]}})
        data["documents"] = documents
        fees: list[dict[str, Any]] = []
        for channel in CHANNELS:
            fee = values["fees"][channel]
            if not (fee["text"].strip() or fee["amount_vnd"].strip()):
                continue
            where[("fees", len(fees))] = f"fees-{channel}"
            amount = fee["amount_vnd"].strip().replace(" ", "")
            fees.append({"channel": channel, "text": fee["text"].strip(), "amount_vnd": amount or None})
        data["fees"] = fees
        data["online"] = {"level": values["online_level"], "url": _optional(values["online_url"])}
        where[("online", "level")] = "online_level"
        where[("online", "url")] = "online_url"
    else:
        steps: list[dict[str, str]] = []
        for i, row in enumerate(values["event_steps"]):
            if not (row["procedure"].strip() or row["note"].strip()):
                continue
            where[("steps", len(steps))] = f"steps-{i}"
            steps.append({"procedure": row["procedure"].strip(), "note": row["note"].strip()})
        data["steps"] = steps
        data["aliases"] = _split(values["aliases"])
        data["examples"] = _split(values["examples"])
    return data, where


def parse(values: FormValues, kind: str) -> tuple[Card | None, Errors]:
    """The card, or the messages by form field."""
    data, where = data_of(values, kind)
    model = ProcedureCard if kind == "procedure" else LifeEventCard
    try:
        return model.model_validate(data), {}
    except ValidationError as invalid:
        return None, _errors(invalid.errors(), where)


def _errors(details: Sequence[Mapping[str, Any]], where: dict[tuple, str]) -> Errors:
    errors: Errors = {}
    for detail in details:
        loc = tuple(detail["loc"])
        field = _field(loc, where)
        message = _message(detail, loc)
        errors.setdefault(field, message)
    return errors


def _field(loc: tuple, where: dict[tuple, str]) -> str:
    if loc[:2] in where:
        row = where[loc[:2]]
        return f"{row}-{loc[2]}" if loc[0] != "online" and len(loc) > 2 else row
    return str(loc[0])


def _message(detail: Mapping[str, Any], loc: tuple) -> str:
    message = reasons.field_reason(detail["type"], loc, str(detail.get("msg", "")))
    numbered = detail["type"] == "string_pattern_mismatch" or str(loc[0]) in LINE_FIELDS
    if numbered and len(loc) > 1 and isinstance(loc[1], int):
        return f"Dòng {loc[1] + 1}: {message}"
    return message


def store_errors(errors: list[CardError]) -> Errors:
    """The store's checks across cards (unknown references, a short code used twice)."""
    return {e.field: reasons.card_reason(e) for e in errors}


def reviewed_long_ago(card: Card, months: int, today: dt.date | None = None) -> bool:
    """True when the card has not been reviewed for ``months`` months."""
    today = today or dt.date.today()
    return months_since(card.reviewed_at, today) >= months


def months_since(day: dt.date, today: dt.date) -> int:
    return (today.year - day.year) * 12 + today.month - day.month - (today.day < day.day)
