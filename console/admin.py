"""Admin pages: accounts and the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console import audit
from console.accounts import ROLES, AccountError, create_account, list_accounts, set_active
from console.auth import current_user, requires_role
from console.pages import render


@requires_role("admin")
async def accounts_page(request: Request) -> Response:
    return render(request, "accounts.html", accounts=list_accounts(), roles=ROLES, error=None, done=None)


@requires_role("admin")
async def create(request: Request) -> Response:
    form = await request.form()
    username, role = str(form.get("username", "")), str(form.get("role", ""))
    try:
        account = create_account(username, str(form.get("password", "")), role)
    except AccountError as refused:
        return render(
            request, "accounts.html", status_code=400, accounts=list_accounts(), roles=ROLES, error=str(refused),
            done=None,
        )  # fmt: skip
    audit.record(None, current_user(request), "account_create", f"user:{account.username}", {"role": role})
    done = f"Đã tạo tài khoản {account.username}."
    return render(request, "accounts.html", accounts=list_accounts(), roles=ROLES, error=None, done=done)


@requires_role("admin")
async def toggle(request: Request) -> Response:
    """Disable an account (a person who left) or enable it again; never one's own."""
    admin = current_user(request)
    assert admin is not None
    form = await request.form()
    account_id = request.path_params["account_id"]
    if account_id == admin.id:
        return render(request, "accounts.html", status_code=400, accounts=list_accounts(), roles=ROLES,
                      error="Anh/chị không thể tự khóa tài khoản của mình.", done=None)  # fmt: skip
    active = form.get("active") == "1"
    account = set_active(account_id, active)
    if account is None:
        return render(request, "error.html", status_code=404, message="Không có tài khoản này.")
    audit.record(None, admin, "account_enable" if active else "account_disable", f"user:{account.username}")
    done = f"Đã {'mở lại' if active else 'khóa'} tài khoản {account.username}."
    return render(request, "accounts.html", accounts=list_accounts(), roles=ROLES, error=None, done=done)


@requires_role("admin")
async def audit_page(request: Request) -> Response:
    return render(request, "audit.html", entries=audit.recent(300))


routes = [
    Route("/accounts", accounts_page, methods=["GET"]),
    Route("/accounts", create, methods=["POST"]),
    Route("/accounts/{account_id:int}/active", toggle, methods=["POST"]),
    Route("/audit", audit_page, methods=["GET"]),
]
