"""Console sessions: a signed cookie, roles, and CSRF tokens.

The cookie holds the account id, the account's session epoch (log-out and a
password change move it, ending every older cookie) and the session's CSRF
token, signed with ``TTHC_CONSOLE_KEY`` (itsdangerous) and limited to
``console_session_hours``. It is HttpOnly and SameSite=Lax, and Secure when
the console is served over HTTPS. Every unsafe request of a protected
endpoint must carry the CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``); ``/login`` checks it too, with the token of the visitor's
anonymous session.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from console.accounts import Account, get_account
from settings import get_settings

COOKIE = "tthc_console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SALT = "tthc-console-session"

Endpoint = Callable[[Request], Awaitable[Response]]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().console_key, salt=_SALT)


def session_data(request: Request) -> dict[str, Any]:
    """The verified cookie's content, or {} (missing, forged or expired)."""
    cached = getattr(request.state, "console_session", None)
    if cached is not None:
        return cached
    data: dict[str, Any] = {}
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            loaded = _serializer().loads(raw, max_age=get_settings().console_session_hours * 3600)
            data = loaded if isinstance(loaded, dict) else {}
        except BadSignature:
            data = {}
    request.state.console_session = data
    return data


def current_user(request: Request) -> Account | None:
    """The logged-in account, or None; a disabled account or an ended session is None."""
    if hasattr(request.state, "console_user"):
        return request.state.console_user
    data = session_data(request)
    account = get_account(data["uid"]) if isinstance(data.get("uid"), int) else None
    if account is not None and (not account.active or account.session_epoch != data.get("epoch")):
        account = None
    request.state.console_user = account
    return account


def csrf_token(request: Request) -> str:
    return str(session_data(request).get("csrf", ""))


def csrf_field(request: Request) -> Markup:
    """The hidden form field every console form carries."""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">')


async def csrf_ok(request: Request) -> bool:
    """True when the request carries this session's CSRF token."""
    expected = csrf_token(request)
    if not expected:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def anonymous_session(request: Request) -> dict[str, Any] | None:
    """A CSRF token for a visitor without a session (the log-in form needs one):
    the new session to set on the response with ``keep_session``, or None."""
    if csrf_token(request):
        return None
    data = {"csrf": secrets.token_urlsafe(32)}
    request.state.console_session = data
    return data


def keep_session(response: Response, data: dict[str, Any] | None) -> None:
    if data is not None:
        _set_cookie(response, data)


def start_session(response: Response, account: Account) -> None:
    """Log in: a fresh cookie with a new CSRF token (no fixation of an old one)."""
    _set_cookie(response, {"uid": account.id, "epoch": account.session_epoch, "csrf": secrets.token_urlsafe(32)})


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=get_settings().console_https)


def _set_cookie(response: Response, data: dict[str, Any]) -> None:
    settings = get_settings()
    response.set_cookie(
        COOKIE,
        _serializer().dumps(data),
        max_age=settings.console_session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.console_https,
    )


def wants_json(request: Request) -> bool:
    """API callers get status codes; browsers get pages and redirects."""
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or ("application/json" in accept and "text/html" not in accept)


def has_role(account: Account, roles: tuple[str, ...]) -> bool:
    return account.role == "admin" or account.role in roles


def requires_role(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Protect a Starlette endpoint: no session -> /login (401 for the API),
    another role -> 403, an unsafe method without the CSRF token -> 403.
    An admin passes every role check."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            account = current_user(request)
            if account is None:
                if wants_json(request):
                    return JSONResponse({"error": "log in first"}, status_code=401)
                return RedirectResponse(f"/login?next={_safe_next(request.url.path)}", status_code=303)
            if not has_role(account, roles):
                return refuse(request, "Anh/chị không có quyền mở trang này.")
            if request.method in UNSAFE_METHODS and not await csrf_ok(request):
                return refuse(request, "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Anh/chị tải lại trang.")
            return await endpoint(request)

        return guarded

    return decorate


def refuse(request: Request, reason: str) -> Response:
    """A 403 with the reason, as JSON or as a page."""
    if wants_json(request):
        return JSONResponse({"error": reason}, status_code=403)
    from console.pages import render

    return render(request, "error.html", status_code=403, message=reason)


def _safe_next(path: str) -> str:
    """Only a local path may be a redirect target after log-in."""
    local = path.startswith("/") and not path.startswith(("//", "/\\")) and "\\" not in path
    return path if local else "/"


def safe_next(value: str | None) -> str:
    return _safe_next(value or "/")


def address(request: Request) -> str:
    """The client's address: uvicorn takes it from the local proxy's ``X-Forwarded-For``."""
    return request.client.host if request.client else "unknown"
