"""Console security: accounts, sessions, roles, CSRF, log-in limits, audit log
(on SQLite and PostgreSQL), each attack replayed against the real app."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from starlette.routing import Mount, Route

from console import audit
from console.accounts import AccountError, LoginRefused, authenticate, create_account
from console.auth import COOKIE
from console.models import Account, AuditEntry
from database import session_scope
from settings import ROOT, get_settings
from tests.app.console_client import PASSWORD, account, client, csrf, login

# Public on purpose: printable QR posters, the HMAC-signed push API, the log-in form, the style sheet.
PUBLIC = ("/staff/posters", "/staff/qr/", "/api/v1/dossier-events", "/login", "/static", "/health")


@pytest.fixture(autouse=True)
def console_key(monkeypatch):
    monkeypatch.setenv("TTHC_CONSOLE_KEY", "test-console-key-0123456789abcdef")
    get_settings.cache_clear()


def test_no_account_exists_until_the_command_creates_the_admin(database_url):
    with session_scope() as session:
        assert session.scalars(select(Account)).all() == []
    env = {"PYTHONPATH": str(ROOT), "TTHC_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "console", "create-admin", "Chi.Lan", "--password-stdin"]
    short = subprocess.run(command, input="ngan\n", text=True, capture_output=True, env=env, cwd=ROOT)
    assert short.returncode != 0 and "10 ký tự" in short.stderr
    made = subprocess.run(command, input=f"{PASSWORD}\n", text=True, capture_output=True, env=env, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    with session_scope() as session:
        admin = session.scalars(select(Account)).one()
    assert (admin.username, admin.role) == ("chi.lan", "admin")
    assert admin.password_hash.startswith("$argon2id$") and PASSWORD not in admin.password_hash
    assert authenticate("chi.lan", PASSWORD, "127.0.0.1") is not None
    with pytest.raises(AccountError):
        create_account("chi.lan", PASSWORD, "editor")
    web = client()
    login(web, "chi.lan")
    reset = [sys.executable, "-m", "console", "set-password", "chi.lan", "--password-stdin"]
    new = "mat-khau-moi-5678"
    assert subprocess.run(reset, input=f"{new}\n", text=True, capture_output=True, env=env, cwd=ROOT).returncode == 0
    assert web.get("/").status_code == 303  # the old session ended with the old password
    assert authenticate("chi.lan", PASSWORD, "127.0.0.1") is None
    assert authenticate("chi.lan", new, "127.0.0.1") is not None


def test_log_in_sets_a_hardened_cookie_and_log_out_ends_it(database_url):
    account("bien.tap", "editor")
    web = client()
    assert web.get("/").headers["location"].startswith("/login")
    token = login(web, "bien.tap")
    stolen = web.cookies.get(COOKIE)
    assert web.get("/", follow_redirects=False).status_code == 200
    assert web.post("/logout", data={"csrf_token": token}).status_code == 303
    web.cookies.set(COOKIE, stolen)  # the old cookie, replayed after log-out
    assert web.get("/").status_code == 303


def test_the_cookie_is_httponly_samesite_and_secure_behind_https(database_url, monkeypatch):
    account("bien.tap", "editor")
    monkeypatch.setenv("TTHC_CONSOLE_HTTPS", "1")
    get_settings.cache_clear()
    web = client("https://testserver")
    form = web.get("/login")
    anonymous = form.headers["set-cookie"].lower()
    assert "httponly" in anonymous and "samesite=lax" in anonymous and "secure" in anonymous
    response = web.post("/login", data={"username": "bien.tap", "password": PASSWORD, "csrf_token": csrf(form.text)})
    assert response.status_code == 303
    logged_in = response.headers["set-cookie"].lower()
    assert "httponly" in logged_in and "samesite=lax" in logged_in and "secure" in logged_in


def test_every_non_public_route_refuses_without_a_session(database_url):
    web = client()
    checked = 0
    for route in web.app.routes:
        if isinstance(route, Mount) or not isinstance(route, Route) or route.path.startswith(PUBLIC):
            continue
        path = route.path.replace("{", "").replace("}", "").replace(":int", "").replace(":path", "")
        path = "/".join("1" if "_id" in part or part in ("revision", "id") else part for part in path.split("/"))
        for method in sorted(route.methods or {"GET"}):
            if method == "HEAD":
                continue
            response = web.request(method, path)
            assert response.status_code in (303, 401, 403), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/login")
            api = web.request(method, path, headers={"accept": "application/json"})
            assert api.status_code in (401, 403), (method, path)
            checked += 1
    assert checked >= 5


def test_a_forged_cookie_is_refused(database_url):
    account("bien.tap", "editor")
    with session_scope() as session:
        uid = session.scalars(select(Account.id)).one()
    forged = URLSafeTimedSerializer("not-the-key-0123456789", salt="tthc-console-session").dumps(
        {"uid": uid, "epoch": 0, "csrf": "x"}
    )
    web = client()
    web.cookies.set(COOKIE, forged)
    assert web.get("/").status_code == 303


def test_an_editor_cannot_reach_admin_pages_and_an_admin_can(database_url):
    account("bien.tap", "editor")
    account("quan.tri", "admin")
    editor = client()
    login(editor, "bien.tap")
    for path in ("/accounts", "/audit"):
        assert editor.get(path).status_code == 403
    admin = client()
    login(admin, "quan.tri")
    for path in ("/accounts", "/audit", "/"):
        assert admin.get(path).status_code == 200
    staff = client()
    account("can.bo", "staff")
    login(staff, "can.bo")
    assert staff.get("/accounts").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(database_url):
    account("quan.tri", "admin")
    web = client()
    token = login(web, "quan.tri")
    form = {"username": "ke.gian", "password": PASSWORD, "role": "admin"}
    assert web.post("/accounts", data=form).status_code == 403
    assert web.post("/accounts", data={**form, "csrf_token": "sai"}).status_code == 403
    other = client()
    assert web.post("/accounts", data={**form, "csrf_token": login(other, "quan.tri")}).status_code == 403
    with session_scope() as session:
        assert session.scalar(select(Account).where(Account.username == "ke.gian")) is None
    assert web.post("/accounts", data={**form, "csrf_token": token}).status_code == 200
    # the log-in form too: a page of another site cannot log a browser in
    assert client().post("/login", data={"username": "quan.tri", "password": PASSWORD}).status_code == 403


def test_repeated_wrong_passwords_are_slowed_then_refused_for_a_while(database_url):
    account("bien.tap", "editor")
    t0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
    limit = get_settings().console_login_max_failures  # 6: slowed after 3
    for i in range(3):
        assert authenticate("bien.tap", f"sai-{i}", "10.0.0.1", now=t0) is None
    with pytest.raises(LoginRefused) as slowed:
        authenticate("bien.tap", PASSWORD, "10.0.0.1", now=t0)  # even the right password must wait
    assert not slowed.value.locked and slowed.value.wait_seconds == 2
    t = t0
    for i in range(3, limit):
        t += dt.timedelta(seconds=60)
        assert authenticate("bien.tap", f"sai-{i}", "10.0.0.2", now=t) is None  # another address: same account
    with pytest.raises(LoginRefused) as locked:
        authenticate("bien.tap", PASSWORD, "10.0.0.3", now=t + dt.timedelta(minutes=5))
    assert locked.value.locked and locked.value.wait_seconds == 10 * 60
    lock_end = t + dt.timedelta(minutes=get_settings().console_login_lock_minutes)
    assert authenticate("bien.tap", PASSWORD, "10.0.0.3", now=lock_end) is not None


def test_one_address_trying_many_accounts_is_refused(database_url):
    t = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
    limit = get_settings().console_login_max_failures * 4
    for i in range(limit):
        t += dt.timedelta(seconds=61)
        assert authenticate(f"ten-{i}", "sai-mat-khau", "10.9.9.9", now=t) is None
    account("bien.tap", "editor")
    with pytest.raises(LoginRefused) as refused:
        authenticate("bien.tap", PASSWORD, "10.9.9.9", now=t)
    assert refused.value.locked
    assert authenticate("bien.tap", PASSWORD, "10.9.9.10", now=t) is not None


def test_the_log_in_page_says_when_to_retry(database_url):
    account("bien.tap", "editor")
    web = client()
    token = csrf(web.get("/login").text)
    codes = [
        web.post("/login", data={"username": "bien.tap", "password": "sai-mat-khau", "csrf_token": token}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    refused = web.post("/login", data={"username": "bien.tap", "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "chờ" in refused.text


def test_the_audit_log_records_who_did_what_and_when(database_url):
    account("quan.tri", "admin")
    web = client()
    token = login(web, "quan.tri")
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    web.post("/accounts", data={"username": "bien.tap", "password": PASSWORD, "role": "editor", "csrf_token": token})
    audit.record(None, "quan.tri", "test", "card:procedure/khai-sinh", {"field": "fees"})
    with session_scope() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    made = next(e for e in entries if e.action == "account_create")
    assert (made.username, made.target, made.detail) == ("quan.tri", "user:bien.tap", {"role": "editor"})
    assert made.at >= before
    assert PASSWORD not in str([(e.target, e.detail) for e in entries])
    assert [e.action for e in entries][:1] == ["login"]
    assert "bien.tap" in web.get("/audit").text


def test_log_in_returns_to_local_pages_only(database_url):
    account("bien.tap", "editor")
    for target, expected in (("/cards?q=ks", "/cards?q=ks"), ("//evil.example", "/"), ("/\\evil.example", "/")):
        web = client()
        token = csrf(web.get("/login").text)
        form = {"username": "bien.tap", "password": PASSWORD, "csrf_token": token, "next": target}
        assert web.post("/login", data=form).headers["location"] == expected


def test_an_admin_disables_an_account_and_its_session_ends_at_once(database_url):
    account("quan.tri", "admin")
    account("bien.tap", "editor")
    admin, editor = client(), client()
    token = login(admin, "quan.tri")
    login(editor, "bien.tap")
    with session_scope() as session:
        ids = {a.username: a.id for a in session.scalars(select(Account))}
    assert (
        admin.post(f"/accounts/{ids['quan.tri']}/active", data={"active": "0", "csrf_token": token}).status_code == 400
    )
    assert (
        admin.post(f"/accounts/{ids['bien.tap']}/active", data={"active": "0", "csrf_token": token}).status_code == 200
    )
    assert editor.get("/").status_code == 303
    assert authenticate("bien.tap", PASSWORD, "127.0.0.1") is None
    admin.post(f"/accounts/{ids['bien.tap']}/active", data={"active": "1", "csrf_token": token})
    assert authenticate("bien.tap", PASSWORD, "127.0.0.1") is not None
    assert [e.action for e in audit.recent(10)][:2] == ["account_enable", "account_disable"]
