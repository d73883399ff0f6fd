"""The Zalo OA access and refresh tokens, kept safe across refreshes and restarts.

Zalo's access token lives about 25 hours; its refresh token is single-use:
each refresh returns a new pair and the old refresh token stops working. So
the new pair is written to disk atomically (temporary file, fsync,
``os.replace``) BEFORE the new access token is used, and until that write has
succeeded the old pair stays the current one, on disk and in memory. A crash
at any point leaves a complete pair in the file, never a half-written one.

What no client can prevent: if the process dies after Zalo answered the
refresh and before the new pair reached the disk, Zalo has already spent the
old refresh token. Then the OA must be authorised again (Zalo's developer
console gives a new pair: put it in ``TTHC_ZALO_OA_ACCESS_TOKEN`` and
``TTHC_ZALO_OA_REFRESH_TOKEN`` and delete the token file). A failed write
that does not kill the process loses nothing: the new pair is kept in memory
and written again before it is used.

The file wins over the environment once it exists: the environment only
seeds the first pair. One process should refresh a given OA's tokens; a
second process sharing the file adopts a pair it finds there rather than
refreshing an already-spent token, but two processes refreshing at the same
instant would still race (no cross-process lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# Refresh this long before the access token expires rather than on a rejected send.
EXPIRY_MARGIN_SECONDS = 300.0


class NoTokens(Exception):
    """Neither the token file nor the environment holds a Zalo OA token pair."""


class TokenFileError(Exception):
    """The token file exists but cannot be read as a pair: fix it, never overwrite it blindly."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: float | None = None  # Unix time; None when unknown

    def __repr__(self) -> str:  # tokens never reach a log through repr()
        return f"TokenPair(expires_at={self.expires_at})"


class TokenFile:
    """The current pair on disk (JSON, mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenPair | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise TokenFileError(f"{self.path}: {type(exc).__name__}") from None
        if not (isinstance(data, dict) and data.get("access_token") and data.get("refresh_token")):
            raise TokenFileError(f"{self.path}: no access_token and refresh_token")
        expires_at = data.get("expires_at")
        return TokenPair(
            str(data["access_token"]),
            str(data["refresh_token"]),
            float(expires_at) if isinstance(expires_at, (int, float)) else None,
        )

    def save(self, pair: TokenPair) -> None:
        """Replace the file with ``pair`` in one step: readers see the old pair or the new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(asdict(pair), file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_directory(self.path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where unsupported."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


Refresher = Callable[[str], Awaitable[TokenPair]]


class ZaloTokens:
    """Hands out the current access token and refreshes it once for all callers."""

    def __init__(
        self,
        file: TokenFile,
        seed: TokenPair | None,
        refresher: Refresher,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file = file
        self._seed = seed
        self._refresher = refresher
        self._clock = clock
        self._pair: TokenPair | None = None
        self._unsaved: TokenPair | None = None  # refreshed, not yet on disk: never used before it is
        self._lock = asyncio.Lock()

    def current(self) -> TokenPair:
        if self._pair is None:
            self._pair = self._file.load() or self._seed
        if self._pair is None:
            raise NoTokens("set TTHC_ZALO_OA_ACCESS_TOKEN and TTHC_ZALO_OA_REFRESH_TOKEN")
        return self._pair

    async def access_token(self) -> str:
        pair = self.current()
        if self._unsaved is not None or (
            pair.expires_at is not None and pair.expires_at - EXPIRY_MARGIN_SECONDS <= self._clock()
        ):
            return await self.refresh(rejected=pair.access_token)
        return pair.access_token

    async def refresh(self, rejected: str) -> str:
        """A new access token after ``rejected`` was refused or is expiring.

        Callers that were refused the same token share one refresh: whoever
        comes second finds a different current token and uses it.
        """
        async with self._lock:
            on_disk = self._file.load()
            if on_disk is not None and on_disk != self._pair:
                self._pair = on_disk  # refreshed by another process sharing the file
            pair = self.current()
            if pair.access_token != rejected and self._unsaved is None:
                return pair.access_token
            fresh = self._unsaved or await self._refresher(pair.refresh_token)
            try:
                self._file.save(fresh)
            except Exception as exc:
                self._unsaved = fresh
                logger.error(
                    "Zalo OA: could not save the refreshed tokens (%s); the old pair stays current "
                    "and the save is retried before the new token is used",
                    type(exc).__name__,
                )
                raise
            self._unsaved = None
            self._pair = fresh
            logger.info("Zalo OA: tokens refreshed and saved")
            return fresh.access_token
