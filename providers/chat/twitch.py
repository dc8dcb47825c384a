"""Twitch chat through EventSub over WebSocket (``channel.chat.message``).

Pages followed:
- https://dev.twitch.tv/docs/eventsub/handling-websocket-events (connect, ``session_welcome``
  with the session id, subscribe within ``keepalive_timeout_seconds``, treat that much
  silence as a dead connection, ``session_reconnect``: connect to ``reconnect_url`` and keep
  the old connection until the new one says welcome; the subscriptions move with it);
- https://dev.twitch.tv/docs/api/reference/#create-eventsub-subscription (``POST
  /helix/eventsub/subscriptions`` with ``transport.method=websocket`` and the session id);
- https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelchatmessage
  (``user:read:chat``; ``condition`` ``broadcaster_user_id`` and ``user_id``).

EventSub was chosen over IRC because it is Twitch's current interface for reading chat, uses
the same OAuth token and Helix client as the rest of golive, and gives every message a
``message_id`` to drop duplicates by (Twitch delivers at least once). Twitch keeps no chat
history: what is said while no connection is open is not delivered later, so the client
reconnects at once and a gap is logged, never silently assumed away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from providers.http import PlatformHttp

log = logging.getLogger(__name__)

WS_URL = "wss://eventsub.wss.twitch.tv/ws"


class SessionLost(Exception):
    """The socket closed, errored or stayed silent past the keepalive timeout."""


class EventSubChat:
    def __init__(
        self,
        http: PlatformHttp,
        broadcaster_id: str,
        user_id: str,
        *,
        ws_url: str = WS_URL,
        keepalive_seconds: int = 30,
    ) -> None:
        self.http = http
        self.broadcaster_id = broadcaster_id
        self.user_id = user_id
        self.ws_url = ws_url
        self.keepalive_seconds = keepalive_seconds
        #: how many times a connection was lost (each may be a gap in the chat)
        self.reconnects = 0
        self.subscriptions = 0

    def __repr__(self) -> str:
        return f"EventSubChat(broadcaster_id={self.broadcaster_id!r})"

    def _url(self, base: str) -> str:
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}keepalive_timeout_seconds={self.keepalive_seconds}"

    async def _subscribe(self, session_id: str) -> None:
        await self.http.json(
            "POST",
            "/eventsub/subscriptions",
            json={
                "type": "channel.chat.message",
                "version": "1",
                "condition": {"broadcaster_user_id": self.broadcaster_id, "user_id": self.user_id},
                "transport": {"method": "websocket", "session_id": session_id},
            },
        )
        self.subscriptions += 1

    @staticmethod
    async def _receive(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> dict[str, Any]:
        try:
            message = await ws.receive(timeout=seconds)
        except TimeoutError:
            raise SessionLost("no message within the keepalive timeout") from None
        if message.type != aiohttp.WSMsgType.TEXT:
            raise SessionLost(f"socket {message.type.name.lower()}")
        return json.loads(message.data)

    async def events(self, stop: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
        """Chat events (the ``event`` object of each notification), reconnecting as needed."""
        async with aiohttp.ClientSession() as client:
            ws: aiohttp.ClientWebSocketResponse | None = None
            failures = 0
            while not stop.is_set():
                try:
                    if ws is None:
                        ws = await client.ws_connect(self._url(self.ws_url))
                        welcome = await self._receive(ws, self.keepalive_seconds + 5)
                        if welcome["metadata"]["message_type"] != "session_welcome":
                            raise SessionLost("the first message was not a welcome")
                        session = welcome["payload"]["session"]
                        keepalive = float(session["keepalive_timeout_seconds"])
                        await self._subscribe(session["id"])
                    message = await self._receive(ws, keepalive * 1.2 + 0.05)
                    failures = 0
                    kind = message["metadata"]["message_type"]
                    if kind == "notification":
                        yield message["payload"]["event"]
                    elif kind == "session_reconnect":
                        url = message["payload"]["session"]["reconnect_url"]
                        fresh = await client.ws_connect(url)
                        welcome = await self._receive(fresh, keepalive + 5)
                        if welcome["metadata"]["message_type"] != "session_welcome":
                            raise SessionLost("the reconnect URL did not welcome")
                        await ws.close()
                        ws = fresh
                    elif kind == "revocation":
                        log.warning("twitch chat subscription revoked")
                        return
                except (SessionLost, aiohttp.ClientError, OSError) as exc:
                    self.reconnects += 1
                    failures += 1
                    log.warning("twitch chat connection lost (%s); reconnecting", exc)
                    if ws is not None:
                        await ws.close()
                    ws = None
                    await asyncio.sleep(min(30.0, 0.05 * 2**failures))
            if ws is not None:
                await ws.close()
