"""The shape of a knowledge card.

A card is what the assistant knows about one procedure (or one life event).
Cards are written as YAML in ``knowledge/cards/`` and validated against these
models before they reach the database, so that a malformed card is rejected
with the file and the field that is wrong, and nothing already loaded is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CardId = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
ShortCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")]
NationalCode = Annotated[str, Field(pattern=r"^\d\.\d{6}$")]
NonEmpty = Annotated[str, Field(min_length=1)]

Aspect = Literal["documents", "fees", "time", "where", "steps", "online", "eligibility", "result"]
ASPECTS: tuple[str, ...] = Aspect.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    """One item of the dossier (thành phần hồ sơ)."""

    name: NonEmpty
    copies: str | None = None  # e.g. "1 bản chính", "1 bản sao có chứng thực"
    form: str | None = None  # official form (mẫu) number, when there is one
    note: str | None = None  # when this item is needed, or how to get it


class Fee(_Strict):
    """What one submission channel costs. ``text`` is what the citizen reads."""

    channel: Literal["direct", "online", "postal"]
    text: NonEmpty
    amount_vnd: int | None = Field(default=None, ge=0)


class Online(_Strict):
    level: Literal["toan-trinh", "mot-phan", "khong"]
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("https://"):
            raise ValueError("must be an https:// link")
        return url


class ProcedureCard(_Strict):
    id: CardId
    kind: Literal["procedure"] = "procedure"
    short_code: ShortCode
    name: NonEmpty
    codes: list[NationalCode] = []
    field: NonEmpty
    agency: NonEmpty
    levels: list[Literal["xa", "tinh", "trung-uong"]] = Field(min_length=1)
    summary: NonEmpty
    who: NonEmpty
    conditions: str | None = None
    documents: list[Document] = []
    steps: list[NonEmpty] = []
    time: str | None = None
    fees: list[Fee] = []
    where: str | None = None
    online: Online
    official_url: str | None = None
    result: str | None = None
    legal_basis: list[NonEmpty] = []
    related: list[CardId] = []
    life_events: list[CardId] = []
    aliases: list[NonEmpty] = Field(min_length=1)
    examples: list[NonEmpty] = []
    reviewed_at: dt.date
    source: NonEmpty


class LifeEventStep(_Strict):
    procedure: CardId
    note: NonEmpty


class LifeEventCard(_Strict):
    id: CardId
    kind: Literal["life_event"] = "life_event"
    short_code: ShortCode
    name: NonEmpty
    summary: NonEmpty
    steps: list[LifeEventStep] = Field(min_length=1)
    aliases: list[NonEmpty] = Field(min_length=1)
    examples: list[NonEmpty] = []
    reviewed_at: dt.date
    source: NonEmpty


Card = ProcedureCard | LifeEventCard
