"""Console accounts: argon2 password hashes, roles, and log-in limits.

Log-in attempts are counted per account and per client address, in the
database, so every console process shares them. An attempt is reserved as a
failure in one locked transaction *before* the password is checked, so
parallel guesses cannot get more tries than the limit; a right password then
gives the reservation back. After half the limit each try must wait longer
(2, 4, 8... up to 60 seconds), and at the limit the account (or address) is refused
for ``console_login_lock_minutes``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import ROLES, Account, LoginThrottle
from database import insert_if_missing, session_scope
from settings import get_settings

__all__ = [
    "ROLES",
    "Account",
    "AccountError",
    "LoginRefused",
    "authenticate",
    "create_account",
    "end_sessions",
    "get_account",
    "list_accounts",
    "set_active",
    "set_password",
]

MIN_PASSWORD_CHARS = 10
MAX_DELAY_SECONDS = 60
ADDRESS_FACTOR = 4  # a commune office shares one address: its limit is larger
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


class AccountError(ValueError):
    """A refused account change; the message is Vietnamese, for the person."""


class LoginRefused(Exception):
    """Too many failed log-ins: refused without checking the password."""

    def __init__(self, wait_seconds: int, locked: bool) -> None:
        super().__init__(f"wait {wait_seconds} s")
        self.wait_seconds = wait_seconds
        self.locked = locked  # refused for the lock time, not only slowed


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked for unknown names too, so the answer's timing does not say which names exist."""
    return _hasher().hash("not-a-password-of-anyone")


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")


def create_account(username: str, password: str, role: str) -> Account:
    """A new account; refuses a taken name, an unknown role or a short password."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AccountError("Tên đăng nhập gồm 3-40 chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.")
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    _check_new_password(password)
    with session_scope() as session:
        if session.scalar(select(Account.id).where(Account.username == name)) is not None:
            raise AccountError(f"Tên đăng nhập '{name}' đã có.")
        account = Account(username=name, password_hash=_hasher().hash(password), role=role, active=True)
        session.add(account)
        session.flush()
        return account


def set_password(username: str, password: str) -> None:
    """Change a password and end the account's sessions."""
    _check_new_password(password)
    with session_scope() as session:
        account = session.scalar(select(Account).where(Account.username == normalise_username(username)))
        if account is None:
            raise AccountError("Không có tài khoản này.")
        account.password_hash = _hasher().hash(password)
        account.session_epoch += 1


def get_account(account_id: int) -> Account | None:
    with session_scope() as session:
        return session.get(Account, account_id)


def list_accounts() -> list[Account]:
    with session_scope() as session:
        return list(session.scalars(select(Account).order_by(Account.username)))


def set_active(account_id: int, active: bool) -> Account | None:
    """Disable (or enable again) an account; disabling ends its sessions at once."""
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is not None:
            account.active = active
            account.session_epoch += 1
        return account


def end_sessions(account_id: int) -> None:
    """Log the account out everywhere (its signed cookies stop being accepted)."""
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is not None:
            account.session_epoch += 1


def authenticate(username: str, password: str, address: str, now: dt.datetime | None = None) -> Account | None:
    """The account if the password is right, None if not; ``LoginRefused`` when
    the account or the address has failed too often to be tried now."""
    now = now or dt.datetime.now(dt.timezone.utc)
    name = normalise_username(username)[:80]
    keys = sorted({f"user:{name}", f"addr:{address[:100]}"})
    _reserve(keys, now)
    with session_scope() as session:
        account = session.scalar(select(Account).where(Account.username == name, Account.active.is_(True)))
        stored = account.password_hash if account else _dummy_hash()
    if not _verify(stored, password) or account is None:
        return None
    with session_scope() as session:
        _give_back(session, keys, name)
        fresh = session.get(Account, account.id)
        assert fresh is not None
        if _hasher().check_needs_rehash(fresh.password_hash):
            fresh.password_hash = _hasher().hash(password)
        fresh.last_login_at = now
        return fresh


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _limit(key: str) -> int:
    limit = get_settings().console_login_max_failures
    return limit * ADDRESS_FACTOR if key.startswith("addr:") else limit


def _reserve(keys: list[str], now: dt.datetime) -> None:
    """Count this attempt as a failure now, or refuse it (slowed or locked)."""
    lock = dt.timedelta(minutes=get_settings().console_login_lock_minutes)
    with session_scope() as session:
        for key in keys:
            insert_if_missing(session, LoginThrottle, key=key, failures=0)
        rows = list(session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).with_for_update()))
        for row in rows:
            expired = row.locked_until is not None and now >= row.locked_until
            if expired or (row.last_failure_at is not None and now - row.last_failure_at > lock):
                row.failures, row.locked_until = 0, None  # a lock served, or an old run of failures, is forgotten
            refusal = _refusal(row, now)
            if refusal is not None:
                raise refusal
        for row in rows:
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= _limit(row.key):
                row.locked_until = now + lock


def _refusal(row: LoginThrottle, now: dt.datetime) -> LoginRefused | None:
    if row.locked_until is not None and now < row.locked_until:
        return LoginRefused(_seconds(row.locked_until - now), locked=True)
    slow_after = _limit(row.key) // 2
    if row.failures < slow_after or row.last_failure_at is None:
        return None
    delay = min(MAX_DELAY_SECONDS, 2 ** (row.failures - slow_after + 1))
    ready_at = row.last_failure_at + dt.timedelta(seconds=delay)
    return LoginRefused(_seconds(ready_at - now), locked=False) if now < ready_at else None


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


def _give_back(session: Session, keys: list[str], name: str) -> None:
    """A right password: the account starts afresh, the address gets its try back."""
    for row in session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)).with_for_update()):
        if row.key == f"user:{name}":
            row.failures, row.locked_until = 0, None
        else:
            row.failures = max(row.failures - 1, 0)
