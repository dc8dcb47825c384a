"""Restream's aggregated chat WebSocket (``wss://chat.api.restream.io/ws?accessToken=...``).

Pages followed: https://developers.restream.io/chat/getting-started (the URL and its token,
one-way traffic), .../chat/actions (``heartbeat`` about every 45 s; none for 60 s means the
connection is broken: reconnect), .../chat/events (``event`` actions, one per chat message
from a channel Restream carries).

The access token sits in the URL because that is the only way Restream takes it. So the URL
is built at connect time and kept nowhere else, and no error about the connection is logged
with its text (aiohttp puts the request URL into its exceptions): only the exception type.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

log = logging.getLogger(__name__)

WS_URL = "wss://chat.api.restream.io/ws"
#: Restream: "If not received in 60 seconds - consider the connection broken"
SILENCE_SECONDS = 60.0


class RestreamChatSocket:
    def __init__(
        self,
        token: Callable[[], Awaitable[str | None]],
        *,
        ws_url: str = WS_URL,
        silence_seconds: float = SILENCE_SECONDS,
    ) -> None:
        self._token = token
        self.ws_url = ws_url
        self.silence_seconds = silence_seconds
        self.reconnects = 0

    def __repr__(self) -> str:  # never the URL with its token
        return f"RestreamChatSocket(ws_url={self.ws_url!r}, reconnects={self.reconnects})"

    async def events(self, stop: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
        """The ``payload`` of every ``event`` action, reconnecting after silence or a drop."""
        failures = 0
        async with aiohttp.ClientSession() as client:
            while not stop.is_set():
                try:
                    token = await self._token()
                    url = f"{self.ws_url}?{urlencode({'accessToken': token or ''})}"
                    async with client.ws_connect(url) as ws:
                        del url
                        while not stop.is_set():
                            try:
                                message = await ws.receive(timeout=self.silence_seconds)
                            except TimeoutError:
                                log.warning(
                                    "restream chat silent for %ss; reconnecting",
                                    self.silence_seconds,
                                )
                                break
                            if message.type != aiohttp.WSMsgType.TEXT:
                                break
                            failures = 0
                            action = json.loads(message.data)
                            if action.get("action") == "event":
                                yield action.get("payload") or {}
                except (aiohttp.ClientError, OSError) as exc:
                    log.warning("restream chat connection failed (%s)", type(exc).__name__)
                    failures += 1
                if stop.is_set():
                    return
                self.reconnects += 1
                await asyncio.sleep(min(30.0, 0.05 * 2**failures))
