"""Fuzzing the three webhook parsers: whatever the body, the answer is a 2xx or a
4xx (never a 500), and no background work fails.

Bodies are random bytes, random JSON objects, and events shaped like the
platform's with random values in every field; they carry valid signatures or
secrets, so the parsers and ``dispatch`` are reached. One server per platform
serves all examples (hypothesis drives them from a worker thread).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from channels.deliveries import Deliveries
from channels.zalo_oa import zalo_signature

from .conftest import fake_platform, serve_channel
from .platforms import ALL, ZALO_OA, PlatformCase
from .zalo_oa_support import APP_ID, NOW, OA_SECRET

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ANSWERED = {200, 400, 401, 413}
NOW_MS = int(NOW * 1000)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
user_ids = st.integers(1, 2**53) | st.from_regex(r"[0-9a-f]{1,24}", fullmatch=True)
texts = st.text(max_size=60) | st.sampled_from(["1", " 2 ", "/start ks", "/start", "#KS", "\ud800", "x" * 2001])
fresh = st.integers(NOW_MS - 15 * 60_000, NOW_MS + 5 * 60_000).map(str) | st.just(str(NOW_MS))


def fields(**values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(values)


zalo_oa_events = st.one_of(
    fields(
        app_id=st.just(APP_ID),
        event_name=st.sampled_from(["user_send_text", "user_send_image", "user_send_sticker", "oa_send_text"]),
        timestamp=fresh,
        sender=fields(id=user_ids.map(str)),
        recipient=fields(id=st.just("388613280878808645")),
        message=fields(text=texts, msg_id=user_ids.map(str)),
    ),
    fields(
        app_id=st.just(APP_ID),
        event_name=st.sampled_from(["follow", "unfollow"]),
        timestamp=fresh,
        follower=fields(id=user_ids.map(str)),
    ),
)
zalo_bot_events = fields(
    ok=st.just(True),
    result=fields(
        event_name=st.sampled_from(["message.text.received", "message.image.received", "message.sticker.received"]),
        message=fields(
            chat=fields(id=user_ids.map(str), chat_type=st.sampled_from(["PRIVATE", "GROUP", "private"])),
            text=texts,
            message_id=user_ids.map(str),
            date=st.integers(0, 2**45),
        ),
    ),
)
telegram_ids = st.integers(1, 2**53)
telegram_users = fields(id=telegram_ids, is_bot=st.booleans(), first_name=texts)
telegram_messages = fields(
    message_id=st.integers(1, 2**31),
    date=st.integers(0, 2**31),
    chat=fields(id=telegram_ids, type=st.sampled_from(["private", "group", "channel"])),
    text=texts,
    **{"from": telegram_users},
)
telegram_updates = st.one_of(
    fields(update_id=st.integers(0, 2**40), message=telegram_messages),
    fields(
        update_id=st.integers(0, 2**40),
        callback_query=fields(
            id=st.text(max_size=20), chat_instance=texts, data=texts, message=telegram_messages
        ).flatmap(lambda query: telegram_users.map(lambda user: {**query, "from": user})),
    ),
)


@st.composite
def mutated(draw: st.DrawFn, events: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A well-formed event with up to three fields, at any depth, replaced by any JSON value or removed."""
    event = draw(events)
    places = list(_places(event))
    for _ in range(draw(st.integers(0, 3))):
        container, key = draw(st.sampled_from(places))
        if draw(st.booleans()):
            container[key] = draw(json_values)
        else:
            container.pop(key, None)
    return event


def _places(value: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for key, child in value.items():
        yield value, key
        if isinstance(child, dict):
            yield from _places(child)


def as_bodies(events: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """Mostly events of the platform's shape, more or less broken; also any JSON object, and any bytes."""
    return st.one_of(
        mutated(events).map(lambda value: json.dumps(value).encode()),
        mutated(events).map(lambda value: json.dumps(value).encode()),
        st.dictionaries(st.text(max_size=10), json_values, max_size=6).map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=300),
    )


# One well-formed text message per platform, always tried: whether random
# bodies happen to reach Rasa is chance (about one in thirty for Zalo Bot).
WELL_FORMED = {
    "zalo_oa": {
        "app_id": APP_ID,
        "event_name": "user_send_text",
        "timestamp": str(NOW_MS),
        "sender": {"id": "1"},
        "recipient": {"id": "388613280878808645"},
        "message": {"text": "xin chào", "msg_id": "m1"},
    },
    "zalo_bot": {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {"chat": {"id": "1", "chat_type": "PRIVATE"}, "text": "xin chào", "message_id": "m1", "date": 0},
        },
    },
    "telegram": {
        "update_id": 9,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": "xin chào",
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
        },
    },
}
bodies = {
    "zalo_oa": as_bodies(zalo_oa_events),
    "zalo_bot": as_bodies(zalo_bot_events | zalo_bot_events.map(lambda update: update["result"])),
    "telegram": as_bodies(telegram_updates),
}


def authenticated(case: PlatformCase, body: bytes) -> dict[str, str]:
    """Valid credentials for ``body``: the secret header, or Zalo OA's signature over the body's timestamp."""
    if case is not ZALO_OA:
        return case.headers(body)
    try:
        stamp = json.loads(body).get("timestamp")
    except (ValueError, AttributeError, RecursionError):
        stamp = None
    stamp = stamp if isinstance(stamp, str) and stamp.isascii() else "0"
    return {"X-ZEvent-Signature": "mac=" + zalo_signature(APP_ID, body, stamp, OA_SECRET)}


class Failures(logging.Handler):
    """Background work that raised (``channels.background`` logs it at ERROR)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("case", ALL, ids=str)
async def test_no_body_makes_a_webhook_fail(case: PlatformCase, tmp_path) -> None:
    loop = asyncio.get_running_loop()
    forgetful = Deliveries(None, ttl=0)  # every example is a first delivery, so a failure replays the same way
    failures = Failures()
    logging.getLogger("channels.background").addHandler(failures)
    try:
        async with (
            fake_platform(default=case.answer) as api,
            serve_channel(case.make(api.url, tmp_path, forgetful), reply={"text": "Dạ."}) as server,
        ):

            @FUZZ
            @given(body=bodies[case.name])
            @example(body=b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "no chat"}}')
            @example(body=b'{"update_id": 2, "callback_query": {"id": "q", "chat_instance": "c", "data": "/x"}}')
            @example(body=b'{"update_id": 3, "message": {"message_id": 1, "date": 0, "chat": {"id": 1}, "text": {}}}')
            @example(body=json.dumps(WELL_FORMED[case.name]).encode())
            def answers_every_body(body: bytes) -> None:
                delivery = server.post(body, authenticated(case, body))
                assert asyncio.run_coroutine_threadsafe(delivery, loop).result().status_code in ANSWERED

            await asyncio.to_thread(answers_every_body)  # hypothesis drives, the server runs in this loop
    finally:
        logging.getLogger("channels.background").removeHandler(failures)
    assert [record.getMessage() for record in failures.records] == []
    assert "xin chào" in server.agent.texts  # the well-formed message went all the way, as the others could
