"""One Slack message per operation, edited in place: progress first, then the announcement.

Edits to one message are coalesced: while one ``chat.update`` is in flight, newer states
replace the queued one, so a burst of progress reports costs Slack a couple of calls and the
message always ends on the latest state (Slack allows about one message write per second per
channel). The message is posted lazily on the first report, so a command refused before any
platform call leaves nothing in the channel.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import blocks

log = logging.getLogger(__name__)

Send = Callable[[], Awaitable[object]]


class Coalescer:
    """Latest-wins edits per message key; awaiting :meth:`push` waits for the latest edit."""

    def __init__(self) -> None:
        self._pending: dict[str, Send] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    async def _drain(self, key: str) -> None:
        try:
            while key in self._pending:
                send = self._pending.pop(key)
                try:
                    await send()
                except Exception:
                    log.exception("could not edit Slack message %s", key)
        finally:
            self._running.pop(key, None)

    def push(self, key: str, send: Send) -> asyncio.Task[None]:
        self._pending[key] = send
        task = self._running.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._drain(key))
            self._running[key] = task
        return task

    async def flush(self, key: str, send: Send) -> None:
        await asyncio.shield(self.push(key, send))


@dataclass
class ProgressMessage:
    """The message of one command in one channel; the announcement takes it over."""

    client: AsyncWebClient
    coalescer: Coalescer
    channel: str
    title: str
    kind: str
    states: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    ts: str | None = None
    taken: bool = False
    #: the announcement that took this message over
    announcement: object | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def report(self, platform: str, state: str, note: str | None) -> None:
        self.states[platform] = (state, note)
        if self.taken:
            return
        async with self._lock:
            if self.ts is None:
                response = await self.client.chat_postMessage(
                    channel=self.channel,
                    text=f"Setting up {self.title}…",
                    blocks=blocks.progress(self.title, self.kind, self.states),
                )
                self.ts = str(response["ts"])
                return
        snapshot = dict(self.states)
        self.coalescer.push(
            f"{self.channel}/{self.ts}",
            lambda: self.client.chat_update(
                channel=self.channel,
                ts=self.ts,
                text=f"Setting up {self.title}…",
                blocks=blocks.progress(self.title, self.kind, snapshot),
            ),
        )


#: channel -> the progress message of the command running in this task
current: contextvars.ContextVar[dict[str, ProgressMessage] | None] = contextvars.ContextVar(
    "golive_slack_progress", default=None
)
