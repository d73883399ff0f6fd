"""Helpers of the console tests: an app client, accounts, logging in."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from console.accounts import create_account
from console.app import create_app

PASSWORD = "mat-khau-dung-1234"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client(base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_app(deliver_notifications=False), base_url=base_url, follow_redirects=False)


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(web: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    token = csrf(web.get("/login").text)
    response = web.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.text
    return csrf(web.get("/").text)


def account(username: str, role: str) -> str:
    create_account(username, PASSWORD, role)
    return username
