"""A Zalo OA connector wired to a local stand-in of Zalo's API, for the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sanic import response
from sanic.response import HTTPResponse

from channels.deliveries import Deliveries
from channels.zalo_oa import ZaloOAInput, zalo_signature
from channels.zalo_oa_api import ZaloOAClient, refresh_tokens
from channels.zalo_tokens import TokenFile, TokenPair, ZaloTokens
from retry import Sleep

APP_ID = "360846524940903967"  # as in the recorded payloads
OA_SECRET = "test-oa-secret-key"
APP_SECRET = "test-app-secret-key"
USER_ID = "246845883529197922"
CONVERSATION = f"zalo_oa:{USER_ID}"
NOW = 1700000005.0  # the connector's clock: the recorded events are from then
SEND = "/v3.0/oa/message/cs"
REFRESH = "/v4/oa/access_token"


def signed(body: bytes, secret: str = OA_SECRET) -> dict[str, str]:
    timestamp = str(json.loads(body)["timestamp"])
    return {"X-ZEvent-Signature": "mac=" + zalo_signature(APP_ID, body, timestamp, secret)}


def zalo_ok(_: Any = None) -> HTTPResponse:
    return response.json({"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": USER_ID}})


def zalo_error(code: int) -> Any:
    return lambda _: response.json({"error": code, "message": f"error {code}"})


def http_status(status: int, headers: dict[str, str] | None = None) -> Any:
    return lambda _: response.json({"error": status}, status=status, headers=headers)


def new_pair(access: str, refresh: str) -> Any:
    return lambda _: response.json({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})


def make_input(
    api_url: str,
    token_file: Path,
    sleep: Sleep,
    seed: TokenPair | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    deliveries: Deliveries | None = None,
    clock: float = NOW,
) -> ZaloOAInput:
    http = httpx.AsyncClient(transport=transport) if transport else httpx.AsyncClient()
    tokens = ZaloTokens(
        TokenFile(token_file),
        seed or TokenPair("access-1", "refresh-1"),
        lambda token: refresh_tokens(http, api_url, APP_ID, APP_SECRET, token, sleep=sleep),
    )
    client = ZaloOAClient(http, api_url, tokens, sleep=sleep)
    return ZaloOAInput(APP_ID, OA_SECRET, client, deliveries=deliveries, clock=lambda: clock)
