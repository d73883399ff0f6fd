"""The Zalo Official Account Open API v3, as far as the assistant needs it.

No maintained Python SDK exists for v3, so this is httpx and the documented
shapes: consultation messages (``POST /v3.0/oa/message/cs``, header
``access_token``) and the token refresh (``POST /v4/oa/access_token`` on the
OAuth host, header ``secret_key``, form fields ``refresh_token``, ``app_id``,
``grant_type=refresh_token``).

Zalo answers HTTP 200 with ``{"error": <code>}``: 0 is success, -216/-220 an
invalid or expired access token (refresh once, then retry), -32 the rate
limit (back off), -230/-232 the citizen is outside the interaction window
(record it and stop: retrying cannot help). What v3 ``message/cs`` accepts:
text, an image (template ``media``), a file, a sticker, a quote and the
``request_user_info`` card; buttons (``oa.query.show``...) exist only in the
transaction and promotion templates, so options are sent as numbered text
(see ``channels.render``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from channels.zalo_tokens import TokenPair, ZaloTokens
from retry import Backoff, GaveUp, Sleep, Transient, with_retries

logger = logging.getLogger(__name__)

SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_REJECTED = frozenset({-216, -220})
RATE_LIMITED = frozenset({-32})
OUTSIDE_WINDOW = frozenset({-230, -232})
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class ZaloOAError(Exception):
    """Zalo refused a call; ``code`` is Zalo's error code or the HTTP status."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class OutsideWindow(ZaloOAError):
    """The citizen has not written to the OA recently enough for a consultation message."""


class _TokenRejected(Exception):
    pass


def text_message(text: str) -> dict[str, Any]:
    return {"text": text}


def image_message(url: str) -> dict[str, Any]:
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "image", "url": url}]},
        }
    }


class ZaloOAClient:
    """Sends consultation messages, refreshing the token and backing off as Zalo asks."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        tokens: ZaloTokens,
        backoff: Backoff | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._http = http
        self._url = api_url.rstrip("/") + SEND_PATH
        self._tokens = tokens
        self._retry: dict[str, Any] = {"backoff": backoff or Backoff()}
        if sleep is not None:
            self._retry["sleep"] = sleep

    async def send(self, user_id: str, message: dict[str, Any]) -> None:
        """Send one message; raises ``OutsideWindow``, ``ZaloOAError`` or ``GaveUp``."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        token = await self._tokens.access_token()
        try:
            await self._send_retrying(body, token)
        except _TokenRejected:
            token = await self._tokens.refresh(rejected=token)
            try:
                await self._send_retrying(body, token)
            except _TokenRejected:
                raise ZaloOAError("access token rejected right after a refresh") from None

    async def _send_retrying(self, body: dict[str, Any], token: str) -> None:
        await with_retries(lambda: self._send_once(body, token), "Zalo OA send", **self._retry)

    async def _send_once(self, body: dict[str, Any], token: str) -> None:
        try:
            answer = await self._http.post(self._url, json=body, headers={"access_token": token}, timeout=TIMEOUT)
        except httpx.TimeoutException:
            raise Transient("timeout") from None
        except httpx.TransportError as exc:
            raise Transient(type(exc).__name__) from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Transient(f"HTTP {answer.status_code}", _retry_after(answer))
        if answer.status_code != 200:
            raise ZaloOAError(f"HTTP {answer.status_code}", answer.status_code)
        code = _error_code(answer)
        if code == 0:
            return
        if code in TOKEN_REJECTED:
            raise _TokenRejected
        if code in RATE_LIMITED:
            raise Transient(f"error {code}", _retry_after(answer))
        if code in OUTSIDE_WINDOW:
            raise OutsideWindow(f"error {code}", code)
        raise ZaloOAError(f"error {code}", code)


async def refresh_tokens(
    http: httpx.AsyncClient,
    oauth_url: str,
    app_id: str,
    app_secret: str,
    refresh_token: str,
    backoff: Backoff | None = None,
    sleep: Sleep | None = None,
    clock: Any = time.time,
) -> TokenPair:
    """Trade ``refresh_token`` (single-use) for a new pair.

    Retried only where Zalo cannot have used the refresh token: the connection
    failed, or Zalo answered 429/5xx. A read timeout is not retried, because
    the token may already be spent and a second try would only hide that.
    """
    url = oauth_url.rstrip("/") + REFRESH_PATH
    form = {"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"}

    async def once() -> TokenPair:
        try:
            answer = await http.post(url, data=form, headers={"secret_key": app_secret}, timeout=TIMEOUT)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Transient(type(exc).__name__) from None
        except httpx.HTTPError as exc:
            raise ZaloOAError(f"token refresh: {type(exc).__name__}") from None
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Transient(f"HTTP {answer.status_code}", _retry_after(answer))
        try:
            data = answer.json()
        except ValueError:
            raise ZaloOAError(f"token refresh: HTTP {answer.status_code}, not JSON") from None
        if not (isinstance(data, dict) and data.get("access_token") and data.get("refresh_token")):
            code = data.get("error") if isinstance(data, dict) else None
            raise ZaloOAError(f"token refresh refused (error {code})", code if isinstance(code, int) else None)
        expires_in = _number(data.get("expires_in"))
        return TokenPair(
            str(data["access_token"]),
            str(data["refresh_token"]),
            clock() + expires_in if expires_in else None,
        )

    retry: dict[str, Any] = {"backoff": backoff or Backoff()}
    if sleep is not None:
        retry["sleep"] = sleep
    try:
        return await with_retries(once, "Zalo OA token refresh", **retry)
    except GaveUp as exc:
        raise ZaloOAError(f"token refresh: {exc.reason}") from None


def _error_code(answer: httpx.Response) -> int:
    try:
        data = answer.json()
    except ValueError:
        raise Transient("answer is not JSON") from None
    code = data.get("error", 0) if isinstance(data, dict) else None
    number = _number(code)
    if number is None:
        raise ZaloOAError("answer has no error code")
    return int(number)


def _retry_after(answer: httpx.Response) -> float | None:
    return _number(answer.headers.get("retry-after"))


def _number(value: Any) -> float | None:
    """Zalo sends some numbers as strings ("expires_in": "90000")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None
