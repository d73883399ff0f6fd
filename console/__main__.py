"""``python -m console``: the staff web service on TTHC_CONSOLE_PORT.

``python -m console create-admin USERNAME`` creates the first admin (the
password is asked for, or read from standard input with ``--password-stdin``
for deployment scripts); ``create-account USERNAME --role editor|staff``
another account; ``set-password USERNAME`` a forgotten password. No account
and no password exist until someone makes them.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys

import uvicorn

from console.accounts import ROLES, AccountError, create_account, set_password
from console.app import create_app
from database import migrate
from settings import get_settings, require_production_secrets
from webapp import quiet_http_logs


def serve() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    quiet_http_logs()
    settings = get_settings()
    require_production_secrets(settings)
    migrate()
    uvicorn.run(create_app(), host=settings.listen_host, port=settings.console_port, log_level="warning")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mật khẩu: ")
    if first != getpass.getpass("Nhập lại mật khẩu: "):
        raise SystemExit("Hai lần nhập mật khẩu không giống nhau.")
    return first


def _set_password(username: str, password: str) -> None:
    from console import audit

    try:
        set_password(username, password)
    except AccountError as refused:
        raise SystemExit(str(refused)) from None
    audit.record(None, None, "password_set", f"user:{username.strip().lower()}", {"by": "command line"})
    print("Đã đặt mật khẩu mới; các phiên đăng nhập cũ đã kết thúc.")


def main(argv: list[str] | None = None) -> None:
    """Serve, or run the command in ``argv`` (``python -m console`` passes its arguments)."""
    parser = argparse.ArgumentParser(prog="python -m console", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command")
    admin = commands.add_parser("create-admin", help="create the first admin (asks for the password)")
    admin.add_argument("username")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    account = commands.add_parser("create-account", help="create an editor or staff account")
    account.add_argument("username")
    account.add_argument("--role", choices=ROLES, required=True)
    account.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset = commands.add_parser("set-password", help="set a new password (ends the account's sessions)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv or [])
    if args.command is None:
        serve()
        return
    migrate()
    if args.command == "set-password":
        _set_password(args.username, _password(args.password_stdin))
        return
    role = "admin" if args.command == "create-admin" else args.role
    try:
        created = create_account(args.username, _password(args.password_stdin), role)
    except AccountError as refused:
        raise SystemExit(str(refused)) from None
    from console import audit

    audit.record(None, None, "account_create", f"user:{created.username}", {"role": role, "by": "command line"})
    print(f"Đã tạo tài khoản {created.username} ({role}).")


if __name__ == "__main__":
    main(sys.argv[1:])
