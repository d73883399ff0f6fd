"""Bot responses in each platform's best form: the one home for rendering.

Rasa hands an output channel one response at a time (text, buttons, image,
custom). Every connector turns it into ``Part``s here, so Zalo, the Zalo Bot
and Telegram say the same thing in their own way:

- text is split at the platform's limit (Zalo 2,000 characters, Telegram
  4,096 UTF-16 units) on paragraph, line, then sentence boundaries, so no
  sentence is cut in the middle unless a single one is longer than the limit;
- buttons become native buttons where the platform has them (Telegram inline
  keyboards), and numbered options ("1. ...") where it does not (Zalo OA and
  Zalo Bot); a citizen then types "1" and ``OptionMemory`` maps it back to
  that button's payload;
- Telegram callback data is at most 64 bytes: ``CallbackData`` carries the
  payload itself when it fits, else a short id mapped back in memory.

Plain Python (no Rasa, no platform SDK), so it is tested on its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from channels.memory import expiring_map

logger = logging.getLogger(__name__)


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Platform:
    name: str
    text_limit: int
    buttons: bool  # native buttons; otherwise numbered options
    measure: Callable[[str], int] = len


ZALO_OA = Platform("zalo_oa", 2000, buttons=False)
ZALO_BOT = Platform("zalo_bot", 2000, buttons=False)
TELEGRAM = Platform("telegram", 4096, buttons=True, measure=utf16_length)

CHOOSE_BELOW = "Dạ, anh/chị chọn một mục dưới đây ạ:"
TYPE_A_NUMBER = "Anh/chị gõ số thứ tự (ví dụ: 1) để chọn ạ."


@dataclass(frozen=True)
class Option:
    """A button: it sends ``payload`` back, or opens ``url``."""

    title: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Part:
    """One platform message: a text (with native buttons) or an image."""

    text: str = ""
    image: str | None = None
    buttons: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Rendered:
    parts: tuple[Part, ...]
    numbered: tuple[Option, ...]  # what typing 1, 2, ... picks, in order


def render(message: Mapping[str, Any], platform: Platform, first_number: int = 1) -> Rendered:
    """Turn one Rasa response into the platform's parts.

    ``first_number`` continues the numbering when one turn shows several lists,
    so every number on the citizen's screen means one thing.
    """
    text, options, images = _content(message)
    parts: list[Part] = []
    numbered: tuple[Option, ...] = ()
    if platform.buttons:
        chunks = split_text(text, platform.text_limit, platform.measure)
        if options and not chunks:
            chunks = [CHOOSE_BELOW]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            parts.append(Part(text=chunk, buttons=tuple(options) if last else ()))
    else:
        numbered = tuple(o for o in options if o.payload)
        block = _numbered_block(options, first_number)
        full = f"{text}\n\n{block}" if text and block else text or block
        parts.extend(Part(text=chunk) for chunk in split_text(full, platform.text_limit, platform.measure))
    parts.extend(Part(image=url) for url in images)
    return Rendered(tuple(parts), numbered)


def _content(message: Mapping[str, Any]) -> tuple[str, list[Option], list[str]]:
    """Text, options and image URLs of a response, ``custom`` included."""
    texts: list[str] = []
    options: list[Option] = []
    images: list[str] = []
    for source in (message, message.get("custom")):
        if not isinstance(source, Mapping):
            continue
        if isinstance(source.get("text"), str) and source["text"].strip():
            texts.append(source["text"].strip())
        options.extend(options_from(source.get("buttons") or source.get("quick_replies") or []))
        if isinstance(source.get("image"), str) and source["image"].strip():
            images.append(source["image"].strip())
        if isinstance(source.get("attachment"), str) and source["attachment"].strip():
            texts.append(source["attachment"].strip())
    custom = message.get("custom")
    if isinstance(custom, Mapping) and not set(custom) & {"text", "buttons", "quick_replies", "image", "attachment"}:
        # Never dump raw JSON on a citizen; note the keys (no values) for developers.
        logger.debug("custom response with no renderable keys: %s", sorted(custom))
    return "\n\n".join(texts), options, images


def options_from(buttons: Sequence[Any]) -> list[Option]:
    """Rasa buttons (``title`` with ``payload`` or ``url``) as options; malformed ones are skipped."""
    found: list[Option] = []
    for button in buttons:
        if not isinstance(button, Mapping) or not isinstance(button.get("title"), str):
            continue
        title = button["title"].strip()
        url, payload = button.get("url"), button.get("payload")
        if title and isinstance(url, str) and url.startswith(("https://", "http://")):
            found.append(Option(title, url=url))
        elif title and isinstance(payload, str) and payload.strip():
            found.append(Option(title, payload=payload.strip()))
    return found


def _numbered_block(options: Sequence[Option], first_number: int) -> str:
    lines: list[str] = []
    number = first_number
    for option in options:
        if option.payload:
            lines.append(f"{number}. {option.title}")
            number += 1
    links = [f"• {o.title}: {o.url}" for o in options if o.url]
    if lines:
        lines.append(TYPE_A_NUMBER)
    return "\n".join(lines + links)


# -- Splitting ---------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?…:;])(\s+)")


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces of at most ``limit`` (by ``measure``), cut at the largest boundary that fits:
    paragraphs, then lines, then sentences, then words, and only then mid-word."""
    text = text.strip()
    if not text:
        return []
    return [chunk for chunk in _pack(text, limit, measure, 0) if chunk]


def _pieces(text: str, level: int) -> list[str]:
    """``text`` cut after each boundary of ``level``, every piece keeping its separator."""
    if level == 0:
        parts = re.split(r"(\n\s*\n)", text)
    elif level == 1:
        parts = re.split(r"(\n)", text)
    elif level == 2:
        parts = _SENTENCE_END.split(text)
    else:
        parts = re.split(r"( +)", text)
    return ["".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]


_LEVELS = 4


def _pack(text: str, limit: int, measure: Callable[[str], int], level: int) -> list[str]:
    if measure(text) <= limit:
        return [text]
    if level == _LEVELS:
        return _hard_cut(text, limit, measure)
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, level):
        if measure((current + piece).strip()) <= limit:
            current += piece
            continue
        if current.strip():
            chunks.append(current.strip())
        if measure(piece.strip()) <= limit:
            current = piece
        else:
            chunks.extend(_pack(piece.strip(), limit, measure, level + 1))
            current = ""
    if current.strip():
        chunks.append(current.strip())
    return chunks


def _hard_cut(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for char in text:
        if measure(current + char) > limit:
            chunks.append(current)
            current = ""
        current += char
    if current:
        chunks.append(current)
    return chunks


# -- Typed numbers back to payloads -----------------------------------------

_TYPED_NUMBER = re.compile(r"^\s*(?:số\s*)?(\d{1,2})\s*[.)]?\s*(?:ạ)?\s*$", re.IGNORECASE)


class OptionMemory:
    """The numbered options each sender was last shown, so "2" means the second.

    Options are valid for the citizen's next message only: ``take`` hands them
    out and forgets them, and the bot's replies to that message offer new ones
    (``add`` continues the numbering within one turn). So a number typed later,
    as an answer to a question without options, is never taken for an option.
    Kept for ``ttl`` seconds (30 minutes), in Redis when it is configured
    (``channels.memory``), so every Rasa server knows them.
    """

    def __init__(self, ttl: float = 1800, max_senders: int = 50_000, clock: Callable[[], float] | None = None) -> None:
        self._shown = expiring_map("options", ttl, max_senders, _encode_options, _decode_options, clock)

    def next_number(self, sender_id: str) -> int:
        return len(self._shown.get(sender_id) or ()) + 1

    def add(self, sender_id: str, options: Sequence[Option]) -> None:
        if options:
            self._shown.put(sender_id, (*(self._shown.get(sender_id) or ()), *options))

    def take(self, sender_id: str, text: str) -> str:
        """The payload ``text`` picks, or ``text`` itself; the sender's options are spent."""
        shown = self._shown.get(sender_id) or ()
        if shown:
            self._shown.put(sender_id, ())
        found = _TYPED_NUMBER.match(text)
        if found and 1 <= int(found.group(1)) <= len(shown):
            return shown[int(found.group(1)) - 1].payload or text
        return text


def _encode_options(options: tuple[Option, ...]) -> str:
    return json.dumps([asdict(option) for option in options], ensure_ascii=False)


def _decode_options(text: str) -> tuple[Option, ...]:
    return tuple(Option(**fields) for fields in json.loads(text))


# -- Telegram callback data --------------------------------------------------

CALLBACK_DATA_BYTES = 64
_ID_PREFIX = "~"


class CallbackData:
    """Button payloads as Telegram callback data (1-64 bytes).

    A payload that fits is carried as is (with its JSON compacted), so it
    survives restarts. A longer one is replaced by ``~`` and a hash, mapped back
    in memory for ``ttl`` seconds (a day); after that, or after a restart, the
    button answers that the choice has expired and the citizen asks again
    (in Redis, when it is configured, a restart forgets nothing).
    """

    def __init__(self, ttl: float = 86_400, max_items: int = 50_000) -> None:
        self._long = expiring_map("telegram-callback", ttl, max_items)

    def encode(self, payload: str) -> str:
        compact = compact_payload(payload)
        if len(compact.encode()) <= CALLBACK_DATA_BYTES and not compact.startswith(_ID_PREFIX):
            return compact
        key = _ID_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]
        self._long.put(key, payload)
        return key

    def decode(self, data: str) -> str | None:
        """The payload behind ``data``; None when a short id is no longer known."""
        if data.startswith(_ID_PREFIX):
            return self._long.get(data)
        return data or None


_INTENT_PAYLOAD = re.compile(r"^(/[^{\s]+)(\{.*\})$", re.DOTALL)


def compact_payload(payload: str) -> str:
    """``/intent{"k": "v"}`` without the spaces Rasa does not need; anything else unchanged."""
    found = _INTENT_PAYLOAD.match(payload.strip())
    if not found:
        return payload
    try:
        entities = json.loads(found.group(2))
    except ValueError:
        return payload
    return found.group(1) + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
