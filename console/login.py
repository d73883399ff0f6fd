"""Logging in and out of the console."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from console import audit
from console.accounts import LoginRefused, authenticate, end_sessions
from console.auth import (
    address,
    anonymous_session,
    clear_session,
    csrf_ok,
    current_user,
    keep_session,
    requires_role,
    safe_next,
    start_session,
)
from console.pages import render
from nlu.text import mask_for_analysis

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


async def login_form(request: Request) -> Response:
    new = anonymous_session(request)
    response = render(request, "login.html", error=None, username="", next=safe_next(request.query_params.get("next")))
    keep_session(response, new)
    return response


async def login(request: Request) -> Response:
    if not await csrf_ok(request):
        new = anonymous_session(request)
        response = render(
            request, "login.html", status_code=403, error="Biểu mẫu đã hết hạn, anh/chị đăng nhập lại.", username="",
            next="/",
        )  # fmt: skip
        keep_session(response, new)
        return response
    form = await request.form()
    username, password = str(form.get("username", ""))[:200], str(form.get("password", ""))[:1000]
    target = safe_next(str(form.get("next", "/")))
    try:
        account = authenticate(username, password, address(request))
    except LoginRefused as refused:
        audit.record(None, None, "login_refused", _typed(username), {"locked": refused.locked})
        message = (
            f"Đăng nhập sai quá nhiều lần. Anh/chị thử lại sau {max(1, refused.wait_seconds // 60)} phút."
            if refused.locked
            else f"Anh/chị vui lòng chờ {refused.wait_seconds} giây rồi thử lại."
        )
        headers = {"retry-after": str(refused.wait_seconds)}
        response = render(request, "login.html", status_code=429, error=message, username=username, next=target)
        response.headers.update(headers)
        return response
    if account is None:
        audit.record(None, None, "login_failed", _typed(username))
        return render(request, "login.html", status_code=401, error=WRONG, username=username, next=target)
    audit.record(None, account, "login", f"user:{account.username}")
    redirect = RedirectResponse(target, status_code=303)
    start_session(redirect, account)
    return redirect


@requires_role("editor", "staff")
async def logout(request: Request) -> Response:
    account = current_user(request)
    assert account is not None
    end_sessions(account.id)
    audit.record(None, account, "logout", f"user:{account.username}")
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


def _typed(username: str) -> str:
    """What was typed as a name, for the audit log: masked, as it may be anything."""
    return f"user:{mask_for_analysis(username.strip().lower()[:80])}"


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
