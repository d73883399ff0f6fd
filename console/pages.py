"""Rendering the console's pages: one Jinja2 environment (autoescaped), the
layout's context (who is logged in, the CSRF field) and the security headers
of every page. Pages have no inline script or style, so the policy allows
this origin only."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from console.auth import csrf_field, current_user, has_role

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",  # pages show unpublished drafts and personal accounts
}

# The layout's menu: (path, label, roles that see it). Other parts of the console add theirs.
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("/", "Trang đầu", ("editor", "staff")),
    ("/cards", "Thẻ thủ tục", ("editor",)),
    ("/unanswered", "Câu hỏi chưa trả lời", ("editor",)),
    ("/transfer", "Nhập / xuất thẻ", ("editor",)),
    ("/staff/posters", "Áp phích QR", ("editor", "staff")),
    ("/accounts", "Tài khoản", ("admin",)),
    ("/audit", "Nhật ký thay đổi", ("admin",)),
]

templates = Environment(
    loader=PackageLoader("console"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of ``console/templates/`` inside the layout (``base.html``)."""
    user = current_user(request)
    html = templates.get_template(template).render(
        request=request,
        user=user,
        can=lambda *roles: user is not None and has_role(user, roles),
        csrf_field=csrf_field(request),
        nav=[(href, label) for href, label, roles in NAV if user is not None and has_role(user, roles)],
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)
