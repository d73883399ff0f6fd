"""The Zalo OA token store: atomic file, one refresh for many callers, adoption."""

from __future__ import annotations

import asyncio
import json
import stat

import pytest

from channels.zalo_tokens import NoTokens, TokenFile, TokenFileError, TokenPair, ZaloTokens


class Refresher:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, refresh_token: str) -> TokenPair:
        self.calls.append(refresh_token)
        await asyncio.sleep(0)  # let the other callers pile up on the lock
        n = len(self.calls) + 1
        return TokenPair(f"access-{n}", f"refresh-{n}", 1_000_000.0)


def test_the_file_round_trips_and_is_private(tmp_path) -> None:
    file = TokenFile(tmp_path / "var" / "tokens.json")
    assert file.load() is None
    file.save(TokenPair("secret-access", "secret-refresh", 12.5))
    assert file.load() == TokenPair("secret-access", "secret-refresh", 12.5)
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert "secret" not in repr(file.load())  # tokens stay out of repr()


def test_a_damaged_file_is_an_error_not_a_reason_to_overwrite(tmp_path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"access_token": "a"')
    with pytest.raises(TokenFileError):
        TokenFile(path).load()
    path.write_text(json.dumps({"access_token": "a"}))
    with pytest.raises(TokenFileError):
        TokenFile(path).load()


def test_the_file_wins_over_the_environment_seed(tmp_path) -> None:
    file = TokenFile(tmp_path / "tokens.json")
    file.save(TokenPair("from-file", "r-file"))
    tokens = ZaloTokens(file, TokenPair("from-env", "r-env"), Refresher())
    assert tokens.current().access_token == "from-file"
    with pytest.raises(NoTokens):
        ZaloTokens(TokenFile(tmp_path / "none.json"), None, Refresher()).current()


async def test_callers_refused_the_same_token_share_one_refresh(tmp_path) -> None:
    refresher = Refresher()
    tokens = ZaloTokens(TokenFile(tmp_path / "tokens.json"), TokenPair("access-1", "refresh-1"), refresher)
    results = await asyncio.gather(*(tokens.refresh(rejected="access-1") for _ in range(5)))
    assert results == ["access-2"] * 5
    assert refresher.calls == ["refresh-1"]


async def test_a_pair_refreshed_by_another_process_is_adopted(tmp_path) -> None:
    path = tmp_path / "tokens.json"
    refresher = Refresher()
    tokens = ZaloTokens(TokenFile(path), TokenPair("access-1", "refresh-1"), refresher)
    assert await tokens.access_token() == "access-1"
    TokenFile(path).save(TokenPair("access-9", "refresh-9"))  # the other process
    assert await tokens.refresh(rejected="access-1") == "access-9"
    assert refresher.calls == []


async def test_an_expiring_token_is_refreshed_before_it_is_refused(tmp_path) -> None:
    refresher = Refresher()
    now = 1_000.0
    tokens = ZaloTokens(
        TokenFile(tmp_path / "tokens.json"), TokenPair("access-1", "refresh-1", now + 60), refresher, clock=lambda: now
    )
    assert await tokens.access_token() == "access-2"
    assert refresher.calls == ["refresh-1"]
