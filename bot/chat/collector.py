"""The collector runner: read a platform's chat page by page, store it, resume after restarts.

A platform collector knows one thing: given the cursor it returned last time, fetch what came
after it (:meth:`Collector.fetch`). The runner does the rest, the same way for every platform:
it loads the stored cursor on start, stores each page together with the cursor after it and
the quota it cost (one transaction, see :mod:`bot.chat.store`), hands only the new lines on,
and waits as long as the platform asked before the next call. Duplicates from a reconnect or
a redelivered page are dropped by the store, so the runner never has to reason about them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.chat.model import ChatLine
from bot.chat.store import ChatStore
from providers.errors import AuthExpired, InvalidRequest, PlatformError, RateLimited

log = logging.getLogger(__name__)

#: longest pause between failing calls
MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class Page:
    """What one fetch produced."""

    lines: list[ChatLine]
    cursor: str | None
    #: seconds the platform asked to wait before the next fetch
    wait_seconds: float
    #: quota units the fetch cost, added to the broadcast's ``quota_used``
    quota: int = 0
    #: the chat is over: stop collecting
    ended: bool = False


class Collector(Protocol):
    platform: str
    broadcast_id: str

    async def fetch(self, cursor: str | None) -> Page: ...


OnLines = Callable[[list[ChatLine]], Awaitable[None]]


async def _ignore(_lines: list[ChatLine]) -> None:
    return None


@dataclass
class CollectorRunner:
    """Runs one collector for one broadcast until stopped or the chat ends."""

    store: ChatStore
    collector: Collector
    on_lines: OnLines = _ignore
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    #: counters for status displays and tests
    calls: int = 0
    stored: int = 0
    errors: int = 0
    last_error: str | None = None
    _cursor: str | None = field(default=None, repr=False)
    _loaded: bool = field(default=False, repr=False)

    async def step(self) -> Page:
        """One fetch, stored with its cursor; the new lines are passed to ``on_lines``."""
        c = self.collector
        if not self._loaded:
            self._cursor = await self.store.cursor(c.broadcast_id, c.platform)
            self._loaded = True
        page = await c.fetch(self._cursor)
        self.calls += 1
        new = await self.store.add_page(
            c.broadcast_id, c.platform, page.lines, page.cursor, quota=page.quota
        )
        self._cursor = page.cursor
        self.stored += len(new)
        if new:
            await self.on_lines(new)
        return page

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Fetch, store, wait, until ``stop`` is set, the chat ends or the token is refused."""
        stop = stop or asyncio.Event()
        failures = 0
        while not stop.is_set():
            try:
                page = await self.step()
                failures = 0
                if page.ended:
                    return
                wait = page.wait_seconds
            except AuthExpired as exc:
                self._failed(exc)
                return  # the admin has to reconnect; polling on would only be refused
            except InvalidRequest as exc:
                self._failed(exc)
                return
            except RateLimited as exc:
                self._failed(exc)
                failures += 1
                wait = exc.retry_after if exc.retry_after is not None else self._backoff(failures)
            except PlatformError as exc:
                self._failed(exc)
                failures += 1
                wait = self._backoff(failures)
            await self._wait(stop, wait)

    def _failed(self, exc: PlatformError) -> None:
        self.errors += 1
        self.last_error = str(exc)
        log.warning("%s chat of %s: %s", self.collector.platform, self.collector.broadcast_id, exc)

    @staticmethod
    def _backoff(failures: int) -> float:
        return min(MAX_BACKOFF, 2.0 ** min(failures, 6)) * (0.5 + random.random() / 2)

    async def _wait(self, stop: asyncio.Event, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(self.sleep(seconds))
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
